"""Storing parsed rows: set-wise through COPY on PostgreSQL, through the ORM elsewhere.

Both loaders follow the same rules, and the tests hold them to identical results:
the first row of a unique key in a file wins and later ones are duplicates; a
request whose stored values all equal the new ones is left untouched; a changed
request is updated and its old and new values are kept as a ServiceRequestChange.

A file fills only the fields it has columns for (parsing.filled_fields). A stored
request keeps the others as they are, with the quality flags read from them and
their raw values; a new request gets them empty. A file without an Agency column
maps a stored request's complaint type and resolution text under the request's
own agency, as a full row would; a new request from it has neither.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL
from django.utils import timezone

from agencies.closures import handle_closures
from agencies.importing.parsing import (
    COLUMNS,
    DATE_FIELDS,
    FILE_FIELDS,
    NEW_YORK,
    RAW_VALUE_FIELDS,
)
from agencies.models import (
    Agency,
    ComplaintType,
    ImportRun,
    Integration,
    ServiceRequest,
    ServiceRequestChange,
)
from agencies.nyc import AGENCY_NAMES
from agencies.quality import Flag, flags_decided_by
from resolutions.legacy import ensure_legacy_descriptions

# The stored fields that an import sets, compared to decide "changed".
STORED_FIELDS = (
    "created_at",
    "closed_at",
    "due_at",
    "resolution_updated_at",
    "status",
    "agency_id",
    "agency_name",
    "complaint_type_id",
    "descriptor",
    "additional_details",
    "location_type",
    "incident_zip",
    "incident_address",
    "street_name",
    "city",
    "borough",
    "community_board",
    "bbl",
    "latitude",
    "longitude",
    "channel",
    "resolution_text",
    "resolution_description_id",
    "quality_flags",
    "raw_values",
)
_INDEX = {name: position for position, name in enumerate(COLUMNS)}
# Stored fields mapped from a row field under the request's agency (the file's, or
# the stored one when the file has no Agency column); every other stored field but
# the flags and raw values is a row field of the same name. A file with an Agency
# column but not the other column of a pair maps the stored request's complaint
# type name or resolution text under the agency it gives (see Update.restated).
_MAPPED_FROM = {
    "complaint_type_id": "complaint_type_name",
    "resolution_description_id": "resolution_text",
}

# A file with some but not all of Created Date, Closed Date and Status decides a
# stored request's closure flags on the merged values (the file's where it has the
# column, the stored ones otherwise), as a full row of them would: a closed date
# before the created date is dropped, kept raw in NYC's format (the merge has the
# time, not the file's text) and flagged; then Closed without a closed date, or a
# closed date under another status, is flagged. A closed date dropped before stays
# dropped and flagged while the file lacks Closed Date, since only its text is
# stored. A new request has no stored values, so the same decision is made for it
# with the absent fields empty (a Closed status without a Closed Date column is
# closed without a date): the parser sets no flag from an absent column, and
# deciding here rather than there keeps one rule for new and stored requests, so
# importing the same file twice gives the same flags.
_CLOSURE_FIELDS = ("created_at", "closed_at", "status")
_STATUS_FLAGS = Flag.CLOSED_WITHOUT_DATE | Flag.DATE_WITHOUT_CLOSED_STATUS
_CLOSURE_FLAGS = Flag.CLOSED_BEFORE_CREATED | _STATUS_FLAGS
# A dropped date's flags: their evidence is the date's text in raw_values (see
# Update).
_RAW_DATE_FLAGS = Flag.PLACEHOLDER_DATE | Flag.IMPLAUSIBLE_DATE | Flag.UNPARSEABLE_DATE
# NYC's published date format, for a dropped closed date's raw value; the SQL
# merge writes the same with to_char.
_NYC_TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"
# A new request's stored values, for the closure decision above: all empty.
_NOTHING_STORED = ServiceRequest()
_NYC_TIME_SQL = (
    "to_char({} AT TIME ZONE 'America/New_York', 'MM/DD/YYYY HH12:MI:SS AM')"
)


@dataclass(frozen=True)
class Update:
    """What an import of a file sets on a request that is already stored.

    `fields` are the stored fields compared and written: those the file fills,
    and always the flags and raw values, which are merged: `kept_flags` and the
    raw values under `kept_raw_keys` stay as stored, since the file lacks a field
    they are read from. `closure_from_file` names the closure fields the file
    fills when it fills some but not all, and the closure flags are merged then.

    A placeholder, implausible or unparseable date is dropped and its text kept
    raw under its field, so a file lacking some date columns keeps those three
    flags only with their evidence: a stored bit stays if the request keeps a raw
    value of a date column the file lacks (`date_evidence_keys`), and otherwise
    only the file's row sets them; a date the file corrects takes its flag away.
    The repeated and skipped hours leave no raw value: their stored bits stay
    whenever the file lacks a date column, as `kept_flags` has it.

    `restated` names the row fields a stored request's own values stand in for
    (its complaint type's name, its resolution text) when the file gives the
    agency but not them, so a request moved to another agency takes that agency's
    complaint type and description of the same name and text, as a full row would.
    """

    fields: tuple[str, ...]
    kept_flags: int
    kept_raw_keys: tuple[str, ...]
    closure_from_file: tuple[str, ...] = ()
    date_evidence_keys: tuple[str, ...] = ()
    restated: tuple[str, ...] = ()

    @classmethod
    def of(cls, filled: frozenset[str]) -> "Update":
        from_file = tuple(name for name in _CLOSURE_FIELDS if name in filled)
        if len(from_file) == len(_CLOSURE_FIELDS):
            from_file = ()
        kept_flags = ~flags_decided_by(filled)
        if from_file:
            kept_flags &= ~_CLOSURE_FLAGS
        date_evidence_keys = ()
        if kept_flags & _RAW_DATE_FLAGS:
            kept_flags &= ~_RAW_DATE_FLAGS
            date_evidence_keys = tuple(
                name for name in DATE_FIELDS if name not in filled
            )
        restated = (
            tuple(name for name in _MAPPED_FROM.values() if name not in filled)
            if "agency_id" in filled
            else ()
        )
        return cls(
            fields=tuple(
                name
                for name in STORED_FIELDS
                if name in ("quality_flags", "raw_values")
                or _MAPPED_FROM.get(name, name) in filled
                or _MAPPED_FROM.get(name) in restated
                # The merge may drop a stored closed date.
                or (name == "closed_at" and from_file)
            ),
            kept_flags=int(kept_flags),
            kept_raw_keys=tuple(
                key for key, name in RAW_VALUE_FIELDS.items() if name not in filled
            ),
            closure_from_file=from_file,
            date_evidence_keys=date_evidence_keys,
            restated=restated,
        )

    def restate(self, row: tuple, current: ServiceRequest | None) -> tuple:
        """The row with the stored request's values of the `restated` fields."""
        if not self.restated or current is None:
            return row
        stored = {
            "complaint_type_name": current.complaint_type.name
            if current.complaint_type
            else "",
            "resolution_text": current.resolution_text,
        }
        restated = list(row)
        for name in self.restated:
            restated[_INDEX[name]] = stored[name]
        return tuple(restated)

    def merge(self, values: dict, current: ServiceRequest) -> dict:
        """The values of `fields` to store on `current`, from its new `values`."""
        merged = {name: values[name] for name in self.fields}
        if self.kept_flags:
            merged["quality_flags"] |= current.quality_flags & self.kept_flags
        if any(key in current.raw_values for key in self.date_evidence_keys):
            merged["quality_flags"] |= current.quality_flags & _RAW_DATE_FLAGS
        if self.kept_raw_keys:
            kept = {
                key: value
                for key, value in current.raw_values.items()
                if key in self.kept_raw_keys
            }
            merged["raw_values"] = kept | merged["raw_values"]
        if self.closure_from_file:
            self._merge_closure(merged, values, current)
        return merged

    def new(self, values: dict) -> dict:
        """The values to store for a request that is not stored yet."""
        if self.closure_from_file:
            values = dict(values)
            self._merge_closure(values, values, _NOTHING_STORED)
        return values

    def _merge_closure(
        self, merged: dict, values: dict, current: ServiceRequest
    ) -> None:
        created, closed, status = (
            values[name] if name in self.closure_from_file else getattr(current, name)
            for name in _CLOSURE_FIELDS
        )
        flags = merged["quality_flags"] & ~int(_STATUS_FLAGS)
        if "closed_at" not in self.closure_from_file:
            flags |= current.quality_flags & Flag.CLOSED_BEFORE_CREATED
        if created and closed and closed < created:
            flags |= Flag.CLOSED_BEFORE_CREATED
            raw = closed.astimezone(NEW_YORK).strftime(_NYC_TIME_FORMAT)
            merged["raw_values"] = merged["raw_values"] | {"closed_at": raw}
            closed = None
        if status == ServiceRequest.Status.CLOSED and closed is None:
            flags |= Flag.CLOSED_WITHOUT_DATE
        elif closed is not None and status and status != ServiceRequest.Status.CLOSED:
            flags |= Flag.DATE_WITHOUT_CLOSED_STATUS
        merged["closed_at"] = closed
        merged["quality_flags"] = int(flags)


@dataclass
class LoadResult:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    duplicates: list[tuple[int, int]] = field(
        default_factory=list
    )  # (line, unique key)
    flag_counts: dict[str, int] = field(default_factory=dict)


def _agency_name(code: str, published_names: Counter[str]) -> str:
    """NYC's name for a known code, else its most published name (the first seen of
    equally common ones), else the code itself."""
    if code in AGENCY_NAMES:
        return AGENCY_NAMES[code]
    names = Counter({name: count for name, count in published_names.items() if name})
    return names.most_common(1)[0][0] if names else code


class OrmLoader:
    """Portable loader for SQLite in development; works in batches through the ORM.

    It remembers the keys it has seen to spot repeats within a file, so its memory
    grows with the file; production imports use PostgresLoader. The staff API
    stores its one row through `store_rows` too, with its integration in place of
    an import run as the source of the changes.
    """

    batch_size = 2000

    def __init__(
        self,
        run: ImportRun | None,
        *,
        integration: Integration | None = None,
        filled: frozenset[str] = FILE_FIELDS,
    ) -> None:
        self.run = run
        self.integration = integration
        self.update = Update.of(filled)
        self._has_agency = "agency_id" in filled
        self.result = LoadResult()
        self._seen: set[int] = set()
        self._pending: list[tuple] = []
        self._flags: Counter[Flag] = Counter()
        self._complaint_types: dict[tuple[str, str], int] = {}
        # The agencies this load created, with every name the file published for
        # each so far: named at the end by the whole file, as PostgresLoader does.
        self._new_agencies: dict[str, Counter[str]] = {}

    def add(self, line: int, row: tuple) -> None:
        key = row[0]
        if key in self._seen:
            self.result.duplicates.append((line, key))
            return
        self._seen.add(key)
        self._pending.append(row)
        if len(self._pending) >= self.batch_size:
            self._flush()

    def abort(self, error: BaseException) -> None:
        """Nothing to undo here: rolling the transaction back discards the batches."""

    def finish(self) -> LoadResult:
        self._flush()
        for code, names in self._new_agencies.items():
            Agency.objects.filter(code=code).update(name=_agency_name(code, names))
        self.result.flag_counts = {
            flag.code: self._flags[flag] for flag in Flag if self._flags[flag]
        }
        return self.result

    def _flush(self) -> None:
        rows, self._pending = self._pending, []
        if not rows:
            return
        closed = self.store_rows(rows)
        if closed:
            handle_closures(
                requests=ServiceRequest.objects.filter(unique_key__in=closed)
            )

    def store_rows(self, rows: list[tuple]) -> list[int]:
        """Insert or update rows of distinct keys; the keys of those that just closed.

        Closures are left to the caller, which may have more to save first.
        """
        self._ensure_agencies(rows)
        stored = ServiceRequest.objects.all()
        if self.update.restated:
            stored = stored.select_related("complaint_type")
        existing = stored.in_bulk([row[0] for row in rows])
        rows = [self.update.restate(row, existing.get(row[0])) for row in rows]
        # The agency each row's complaint type and resolution text belong to: the
        # file's, or a stored request's own when the file has no Agency column.
        agencies = [
            row[_INDEX["agency_id"]]
            if self._has_agency or row[0] not in existing
            else existing[row[0]].agency_id
            for row in rows
        ]
        self._ensure_complaint_types(rows, agencies)
        descriptions = ensure_legacy_descriptions(
            (agency, row[_INDEX["resolution_text"]])
            for row, agency in zip(rows, agencies, strict=True)
            if agency and row[_INDEX["resolution_text"]]
        )

        now = timezone.now()
        new, changed, changes, closed = [], [], [], []
        for row, agency in zip(rows, agencies, strict=True):
            values = self._stored_values(row, agency, descriptions)
            current = existing.get(row[0])
            if values["status"] == ServiceRequest.Status.CLOSED and (
                current is None or current.status != ServiceRequest.Status.CLOSED
            ):
                closed.append(row[0])
            if current is None:
                values = self.update.new(values)
                self._count_flags(row, values)
                new.append(ServiceRequest(unique_key=row[0], **values))
                continue
            values = self.update.merge(values, current)
            self._count_flags(row, values)
            diff = {
                name: [_json_value(getattr(current, name)), _json_value(value)]
                for name, value in values.items()
                if getattr(current, name) != value
            }
            if not diff:
                self.result.unchanged += 1
                continue
            for name, value in values.items():
                setattr(current, name, value)
            current.updated_at = now
            changed.append(current)
            changes.append(
                ServiceRequestChange(
                    service_request=current,
                    import_run=self.run,
                    integration=self.integration,
                    changes=diff,
                )
            )

        ServiceRequest.objects.bulk_create(new)
        ServiceRequest.objects.bulk_update(changed, [*self.update.fields, "updated_at"])
        ServiceRequestChange.objects.bulk_create(changes)
        self.result.inserted += len(new)
        self.result.updated += len(changed)
        return closed

    def _count_flags(self, row: tuple, values: dict) -> None:
        """Count the row's flags; its closure flags as decided on the merged values
        when the file has only some of the closure fields."""
        flags = row[_INDEX["quality_flags"]]
        if self.update.closure_from_file:
            flags = flags & ~_CLOSURE_FLAGS | values["quality_flags"] & _CLOSURE_FLAGS
        for flag in Flag:
            if flags & flag:
                self._flags[flag] += 1

    def _stored_values(
        self,
        row: tuple,
        agency: str | None,
        descriptions: dict[tuple[str, str], int],
    ) -> dict:
        values = {name: row[_INDEX[name]] for name in STORED_FIELDS if name in _INDEX}
        values["complaint_type_id"] = self._complaint_types.get(
            (agency, row[_INDEX["complaint_type_name"]])
        )
        values["resolution_description_id"] = descriptions.get(
            (agency, row[_INDEX["resolution_text"]])
        )
        values["raw_values"] = values["raw_values"] or {}
        return values

    def _ensure_agencies(self, rows: list[tuple]) -> None:
        published: dict[str, list[str]] = {}
        for row in rows:
            if row[_INDEX["agency_id"]]:
                published.setdefault(row[_INDEX["agency_id"]], []).append(
                    row[_INDEX["agency_name"]]
                )
        for code in published.keys() & self._new_agencies.keys():
            self._new_agencies[code].update(published.pop(code))
        known = set(
            Agency.objects.filter(code__in=published).values_list("code", flat=True)
        )
        created = {
            code: Counter(names)
            for code, names in published.items()
            if code not in known
        }
        Agency.objects.bulk_create(
            Agency(code=code, name=_agency_name(code, names))
            for code, names in created.items()
        )
        self._new_agencies.update(created)

    def _ensure_complaint_types(
        self, rows: list[tuple], agencies: list[str | None]
    ) -> None:
        wanted = {
            (agency, row[_INDEX["complaint_type_name"]])
            for row, agency in zip(rows, agencies, strict=True)
            if agency and row[_INDEX["complaint_type_name"]]
        } - self._complaint_types.keys()
        if not wanted:
            return
        ComplaintType.objects.bulk_create(
            [ComplaintType(agency_id=agency, name=name) for agency, name in wanted],
            ignore_conflicts=True,
        )
        for agency, name in wanted:
            self._complaint_types[(agency, name)] = ComplaintType.objects.get(
                agency_id=agency, name=name
            ).pk


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


# -- PostgreSQL ---------------------------------------------------------------

_STAGING_COLUMNS = {
    "unique_key": "bigint",
    "created_at": "timestamptz",
    "closed_at": "timestamptz",
    "due_at": "timestamptz",
    "resolution_updated_at": "timestamptz",
    "status": "text",
    "agency_id": "text",
    "agency_name": "text",
    "complaint_type_name": "text",
    "descriptor": "text",
    "additional_details": "text",
    "location_type": "text",
    "incident_zip": "text",
    "incident_address": "text",
    "street_name": "text",
    "city": "text",
    "borough": "text",
    "community_board": "text",
    "bbl": "text",
    "latitude": "double precision",
    "longitude": "double precision",
    "channel": "text",
    "resolution_text": "text",
    "quality_flags": "integer",
    "raw_values": "jsonb",
}
if tuple(_STAGING_COLUMNS) != COLUMNS:
    raise ImportError("staging columns must follow parsing.COLUMNS")


# The tables a first load fills row by row: the requests, and the notices of
# what their residents were told, one per closed request.
_BULK_LOADED_TABLES = ("agencies_servicerequest", "resolutions_resolutionnotice")


class _DeferredIndexes:
    """The secondary indexes and foreign keys of the bulk-loaded tables, dropped for
    a large load and created again, from their own definitions, when it is done."""

    def __init__(self, cursor) -> None:
        self._cursor = cursor
        self._indexes: list[tuple[str, str]] = []
        self._foreign_keys: list[tuple[str, str, str]] = []
        self.dropped = False

    def drop(self) -> None:
        cursor = self._cursor
        # A table with foreign-key checks still queued cannot be altered: run the
        # checks of earlier writes in this transaction now rather than at commit.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = ANY(%s::regclass[])
              AND NOT i.indisprimary AND NOT i.indisunique
            """,
            [list(_BULK_LOADED_TABLES)],
        )
        self._indexes = cursor.fetchall()
        cursor.execute(
            """
            SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
            FROM pg_constraint
            WHERE conrelid = ANY(%s::regclass[]) AND contype = 'f'
            """,
            [list(_BULK_LOADED_TABLES)],
        )
        self._foreign_keys = cursor.fetchall()
        for table, name, _ in self._foreign_keys:
            cursor.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in self._indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        self.dropped = True

    def restore(self) -> None:
        cursor = self._cursor
        if self._indexes or self._foreign_keys:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in self._indexes:
            cursor.execute(definition)
        for table, name, definition in self._foreign_keys:
            cursor.execute(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}'
            )
        self._indexes, self._foreign_keys = [], []


class PostgresLoader:
    """Streams rows into a temporary table with COPY, then merges them in SQL.

    Python holds one row at a time, so memory stays flat whatever the file size.
    Must run inside a transaction: the temporary tables are dropped at commit.
    """

    bulk_load_min_rows = 100_000

    def __init__(self, run: ImportRun, *, filled: frozenset[str] = FILE_FIELDS) -> None:
        self.run = run
        self.update = Update.of(filled)
        self._has_agency = "agency_id" in filled
        self._cursor = connection.cursor()
        # For this transaction only. With the default 4 MB, the joins and sorts
        # over every row of the file (finding closures, recording notices, the
        # merge when it hashes the stored requests) spilled to disk in batches: a
        # million-row re-import's hashed merge took 4.5 s with 64 MB and 3.5 s
        # with 256 MB. Compiling its comparisons with JIT cost about 0.8 s more
        # than it saved.
        self._cursor.execute("SET LOCAL work_mem = '256MB'")
        self._cursor.execute("SET LOCAL jit = off")
        columns = ", ".join(f"{name} {kind}" for name, kind in _STAGING_COLUMNS.items())
        self._cursor.execute(
            f"CREATE TEMPORARY TABLE import_staging (line integer, {columns}) ON COMMIT DROP"
        )
        # Binary COPY: in text format the server, reading timestamps and numbers back
        # out of text, fell behind the parser and held up the whole import.
        self._copy_context = self._cursor.copy(
            f"COPY import_staging (line, {', '.join(COLUMNS)}) FROM STDIN"
            " (FORMAT BINARY)"
        )
        self._copy = self._copy_context.__enter__()
        self._copy.set_types(["integer", *_STAGING_COLUMNS.values()])
        self._copying = True

    def add(self, line: int, row: tuple) -> None:
        # raw_values goes as a dict: the jsonb type set above encodes it.
        self._copy.write_row((line, *row[:-1], row[-1] or None))

    def abort(self, error: BaseException) -> None:
        """End an unfinished COPY; until then the connection cannot even roll back."""
        if self._copying:
            self._copying = False
            self._copy_context.__exit__(type(error), error, error.__traceback__)

    def finish(self) -> LoadResult:
        self._copying = False
        self._copy_context.__exit__(None, None, None)
        cursor = self._cursor
        result = LoadResult()

        # The first row of a key stays; repeats are taken out where they are, since
        # copying every row into a table of firsts cost more than finding repeats.
        cursor.execute(
            """
            SELECT line, unique_key FROM (
                SELECT line, unique_key,
                       row_number() OVER (PARTITION BY unique_key ORDER BY line) AS nth
                FROM import_staging
            ) numbered
            WHERE nth > 1 ORDER BY line
            """
        )
        result.duplicates = [(line, key) for line, key in cursor.fetchall()]
        if result.duplicates:
            cursor.execute(
                "DELETE FROM import_staging WHERE line = ANY(%s)",
                [[line for line, _ in result.duplicates]],
            )
        cursor.execute("ALTER TABLE import_staging RENAME TO import_batch")
        if not self._has_agency and {
            "complaint_type_id",
            "resolution_description_id",
        } & set(self.update.fields):
            # A file without an Agency column: a stored request's complaint type and
            # resolution text are mapped under its own agency, as a full row would
            # be. agency_id is not among the fields written back to it (Update.of);
            # a new request keeps none, and so no complaint type or description.
            cursor.execute(
                """
                UPDATE import_batch b SET agency_id = t.agency_id
                FROM agencies_servicerequest t
                WHERE t.unique_key = b.unique_key AND t.agency_id IS NOT NULL
                """
            )
        if "complaint_type_name" in self.update.restated:
            cursor.execute(
                """
                UPDATE import_batch b SET complaint_type_name = ct.name
                FROM agencies_servicerequest t
                JOIN agencies_complainttype ct ON ct.id = t.complaint_type_id
                WHERE t.unique_key = b.unique_key
                """
            )
        if "resolution_text" in self.update.restated:
            cursor.execute(
                """
                UPDATE import_batch b SET resolution_text = t.resolution_text
                FROM agencies_servicerequest t WHERE t.unique_key = b.unique_key
                """
            )
        # The merge joins the file with the stored requests by key. With this index
        # PostgreSQL can walk both in key order instead of hashing every stored
        # row: a million-row re-import's merge took 2.0 s of the server's CPU this
        # way instead of 3.3 s.
        cursor.execute("CREATE INDEX ON import_batch (unique_key)")
        # Statistics only for the columns the merge joins and filters on: the long
        # texts and raw values took most of the time of a full ANALYZE.
        cursor.execute(
            "ANALYZE import_batch (unique_key, status, agency_id, complaint_type_name,"
            " resolution_text)"
        )

        flag_columns = ", ".join(
            f"count(*) FILTER (WHERE quality_flags & {int(flag)} <> 0)" for flag in Flag
        )
        cursor.execute(f"SELECT count(*), {flag_columns} FROM import_batch")
        batch_rows, *flag_counts = cursor.fetchone()
        result.flag_counts = {
            flag.code: count
            for flag, count in zip(Flag, flag_counts, strict=True)
            if count
        }

        new_rows = self._find_closures()
        # Before anything is written: an index cannot be dropped from a table with
        # checks still pending in this transaction.
        deferred = self._defer_indexes_for_bulk_load(new_rows=new_rows)
        self._ensure_agencies()
        cursor.execute(
            """
            INSERT INTO agencies_complainttype (agency_id, name)
            SELECT DISTINCT agency_id, complaint_type_name FROM import_batch
            WHERE agency_id IS NOT NULL AND complaint_type_name <> ''
            ON CONFLICT (agency_id, name) DO NOTHING
            """
        )
        self._map_descriptions()
        inserted, updated = self._merge(bulk=deferred.dropped)
        result.inserted, result.updated = inserted, updated
        if self.update.closure_from_file:
            result.flag_counts = self._with_merged_closure_flags(result.flag_counts)
        result.unchanged = batch_rows - inserted - updated
        handle_closures(
            requests=ServiceRequest.objects.filter(
                unique_key__in=RawSQL("SELECT unique_key FROM import_closures", ())
            )
        )
        deferred.restore()
        # ON COMMIT DROP only fires when the outermost transaction commits; inside
        # a caller's transaction a second import would find the tables still there.
        cursor.execute("DROP TABLE import_batch, import_descriptions, import_closures")
        return result

    def _with_merged_closure_flags(self, counts: dict[str, int]) -> dict[str, int]:
        """The counts with the closure flags as the merge decided them, read off
        the file's requests as stored."""
        closure_flags = [flag for flag in Flag if flag & _CLOSURE_FLAGS]
        columns = ", ".join(
            f"count(*) FILTER (WHERE quality_flags & {int(flag)} <> 0)"
            for flag in closure_flags
        )
        self._cursor.execute(
            f"SELECT {columns} FROM agencies_servicerequest"
            " WHERE unique_key IN (SELECT unique_key FROM import_batch)"
        )
        merged = dict(zip(closure_flags, self._cursor.fetchone(), strict=True))
        counts = {flag.code: merged.get(flag, counts.get(flag.code)) for flag in Flag}
        return {code: count for code, count in counts.items() if count}

    def _find_closures(self) -> int:
        """Keep the keys of the requests this file closes in import_closures, and
        return how many of the file's requests are new.

        One join of the file with the stored requests answers both.
        """
        cursor = self._cursor
        cursor.execute(
            "CREATE TEMPORARY TABLE import_closures (unique_key bigint) ON COMMIT DROP"
        )
        cursor.execute(
            """
            WITH stored AS (
                SELECT b.unique_key, t.unique_key IS NULL AS is_new,
                       b.status = 'Closed' AND t.status IS DISTINCT FROM 'Closed'
                           AS closes
                FROM import_batch b LEFT JOIN agencies_servicerequest t USING (unique_key)
            ),
            closures AS (
                INSERT INTO import_closures SELECT unique_key FROM stored WHERE closes
            )
            SELECT count(*) FILTER (WHERE is_new) FROM stored
            """
        )
        new_rows = cursor.fetchone()[0]
        # Without statistics the planner takes the closures for a few hundred keys
        # and looks each one up in turn when recording what residents were told.
        cursor.execute("ANALYZE import_closures")
        return new_rows

    def _defer_indexes_for_bulk_load(self, *, new_rows: int) -> "_DeferredIndexes":
        """Drop the requests' secondary indexes and foreign keys for a large load.

        Built once over the loaded table, an index costs a fraction of a million
        single-row insertions into it, and a foreign key added afterwards is checked
        by one join instead of a trigger per row. Worth it only when the file brings
        at least `bulk_load_min_rows` new requests and at least as many as the table
        holds; the table is then locked against readers until the import commits.
        """
        deferred = _DeferredIndexes(self._cursor)
        cursor = self._cursor
        if new_rows < self.bulk_load_min_rows:
            return deferred
        cursor.execute(
            "SELECT reltuples FROM pg_class WHERE oid = 'agencies_servicerequest'::regclass"
        )
        if new_rows < cursor.fetchone()[0]:
            return deferred
        deferred.drop()
        return deferred

    def _ensure_agencies(self) -> None:
        cursor = self._cursor
        # Each published name once, with its count, in the order first seen: what
        # _agency_name counts, without sending every row's name to Python.
        cursor.execute(
            """
            SELECT b.agency_id, b.agency_name, count(*) FROM import_batch b
            WHERE b.agency_id IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM agencies_agency a WHERE a.code = b.agency_id)
            GROUP BY b.agency_id, b.agency_name
            ORDER BY min(b.line)
            """
        )
        published: dict[str, Counter[str]] = {}
        for code, name, count in cursor.fetchall():
            published.setdefault(code, Counter())[name] += count
        Agency.objects.bulk_create(
            Agency(code=code, name=_agency_name(code, names))
            for code, names in published.items()
        )

    def _map_descriptions(self) -> None:
        cursor = self._cursor
        cursor.execute(
            """
            SELECT DISTINCT agency_id, resolution_text FROM import_batch
            WHERE agency_id IS NOT NULL AND resolution_text <> ''
            """
        )
        mapping = ensure_legacy_descriptions(cursor.fetchall())
        cursor.execute(
            """
            CREATE TEMPORARY TABLE import_descriptions (
                agency_id text, resolution_text text, description_id bigint,
                PRIMARY KEY (agency_id, resolution_text)
            ) ON COMMIT DROP
            """
        )
        with cursor.copy(
            "COPY import_descriptions (agency_id, resolution_text, description_id) FROM STDIN"
        ) as copy:
            for (agency, text), description_id in mapping.items():
                copy.write_row((agency, text, description_id))

    def _merge(self, *, bulk: bool) -> tuple[int, int]:
        """Record changes, then insert new and update changed requests.

        One statement does it all, except in a bulk load, where the new requests
        (most of the file) are appended by a plain INSERT afterwards: the table is
        locked, so no other writer can add a key in between, and the merge's
        conflict handling and intermediate results cost more than the writes.
        """
        # A stored request is compared and updated only in the fields the file
        # fills; with every column present these are all the stored fields.
        fields = self.update.fields
        merged = self._merged_values()
        old = ", ".join(f"t.{name}" for name in fields)
        compared_new = ", ".join(merged[name] for name in fields)
        excluded = ", ".join(f"EXCLUDED.{name}" for name in fields)
        diff = ", ".join(
            f"'{name}', CASE WHEN t.{name} IS DISTINCT FROM {merged[name]} "
            f"THEN jsonb_build_array(t.{name}, {merged[name]}) END"
            for name in fields
        )
        assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in fields)
        # Merged flags and raw values replace the file's in the rows passed on.
        selected = "s.*"
        if merged != {name: f"s.{name}" for name in STORED_FIELDS}:
            selected = "s.unique_key, " + ", ".join(
                f"{merged[name]} AS {name}" for name in STORED_FIELDS
            )
        new = ", ".join(f"s.{name}" for name in STORED_FIELDS)
        columns = ", ".join(STORED_FIELDS)
        source = """
                SELECT b.unique_key, b.created_at, b.closed_at, b.due_at,
                       b.resolution_updated_at, b.status, b.agency_id, b.agency_name,
                       ct.id AS complaint_type_id, b.descriptor, b.additional_details,
                       b.location_type, b.incident_zip, b.incident_address, b.street_name,
                       b.city, b.borough, b.community_board, b.bbl, b.latitude,
                       b.longitude, b.channel, b.resolution_text,
                       d.description_id AS resolution_description_id, b.quality_flags,
                       coalesce(b.raw_values, '{}'::jsonb) AS raw_values
                FROM import_batch b
                LEFT JOIN agencies_complainttype ct
                       ON ct.agency_id = b.agency_id AND ct.name = b.complaint_type_name
                LEFT JOIN import_descriptions d
                       ON d.agency_id = b.agency_id AND d.resolution_text = b.resolution_text
        """
        stored = """
            EXISTS (SELECT 1 FROM agencies_servicerequest t
                    WHERE t.unique_key = b.unique_key)
        """
        parameters = {"run": self.run.pk, "now": timezone.now()}
        self._cursor.execute(
            f"""
            WITH source AS ({source} {f"WHERE {stored}" if bulk else ""}),
            -- Only new and changed requests go on: this CTE is read twice, so
            -- PostgreSQL keeps its rows, and in a re-import most rows are neither.
            compared AS (
                SELECT {selected}, t.unique_key IS NULL AS is_new,
                       CASE WHEN t.unique_key IS NOT NULL
                            THEN jsonb_strip_nulls(jsonb_build_object({diff})) END AS diff
                FROM source s LEFT JOIN agencies_servicerequest t USING (unique_key)
                WHERE t.unique_key IS NULL OR ({old}) IS DISTINCT FROM ({compared_new})
            ),
            changes AS (
                INSERT INTO agencies_servicerequestchange
                       (service_request_id, import_run_id, changed_at, changes)
                SELECT unique_key, %(run)s, %(now)s, diff FROM compared WHERE diff IS NOT NULL
            ),
            -- Unchanged requests are left out here rather than by the conflict
            -- clause, which would lock (and so rewrite) every one of their rows.
            merged AS (
                INSERT INTO agencies_servicerequest AS t
                       (unique_key, {columns}, imported_at, updated_at)
                SELECT s.unique_key, {new}, %(now)s, %(now)s FROM compared s
                WHERE s.is_new OR s.diff IS NOT NULL
                ON CONFLICT (unique_key) DO UPDATE SET {assignments}, updated_at = %(now)s
                WHERE ({old}) IS DISTINCT FROM ({excluded})
                RETURNING (xmax = 0) AS inserted
            )
            SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
            FROM merged
            """,
            parameters,
        )
        inserted, updated = self._cursor.fetchone()
        if bulk:
            appended, no_stored = new, ""
            if selected != "s.*":
                # A partial file: the new requests take the merged values over no
                # stored request, as in the merge above.
                appended = ", ".join(merged[name] for name in STORED_FIELDS)
                no_stored = "LEFT JOIN agencies_servicerequest t ON false"
            self._cursor.execute(
                f"""
                INSERT INTO agencies_servicerequest
                       (unique_key, {columns}, imported_at, updated_at)
                SELECT s.unique_key, {appended}, %(now)s, %(now)s
                FROM ({source} WHERE NOT {stored}) s {no_stored}
                """,
                parameters,
            )
            inserted += self._cursor.rowcount
        return inserted, updated

    def _merged_values(self) -> dict[str, str]:
        """Each stored field's new value as SQL over the file's row `s` and the
        stored request `t` (NULL for a new request)."""
        merged = {name: f"s.{name}" for name in STORED_FIELDS}
        update = self.update
        if update.kept_flags:
            merged["quality_flags"] = (
                f"(s.quality_flags | coalesce(t.quality_flags & {update.kept_flags}, 0))"
            )
        if update.date_evidence_keys:
            keys = ", ".join(f"'{key}'" for key in update.date_evidence_keys)
            merged["quality_flags"] = (
                f"({merged['quality_flags']} | CASE WHEN t.raw_values ?| array[{keys}]"
                f" THEN t.quality_flags & {int(_RAW_DATE_FLAGS)} ELSE 0 END)"
            )
        if update.kept_raw_keys:
            kept = ", ".join(
                f"'{key}', t.raw_values -> '{key}'" for key in update.kept_raw_keys
            )
            merged["raw_values"] = (
                f"(jsonb_strip_nulls(jsonb_build_object({kept})) || s.raw_values)"
            )
        if update.closure_from_file:
            self._merge_closure(merged)
        return merged

    def _merge_closure(self, merged: dict[str, str]) -> None:
        """Update.merge's closure flags as SQL. For a new request the stored
        values `t` are NULL, which decides as empty ones do (Update.new)."""
        from_file = self.update.closure_from_file
        created, closed, status = (
            f"{'s' if name in from_file else 't'}.{name}" for name in _CLOSURE_FIELDS
        )
        before = f"{closed} < {created}"
        closed_before_created = int(Flag.CLOSED_BEFORE_CREATED)
        flagged_before = before
        if "closed_at" not in from_file:
            flagged_before += f" OR (t.quality_flags & {closed_before_created}) <> 0"
        kept_closed = f"CASE WHEN {before} THEN NULL ELSE {closed} END"
        flags = (
            f"({merged['quality_flags']} & ({~int(_STATUS_FLAGS)}))"
            f" | CASE WHEN {flagged_before} THEN {closed_before_created} ELSE 0 END"
            f" | CASE WHEN {status} = 'Closed' AND {kept_closed} IS NULL"
            f" THEN {int(Flag.CLOSED_WITHOUT_DATE)}"
            f" WHEN {kept_closed} IS NOT NULL AND {status} NOT IN ('', 'Closed')"
            f" THEN {int(Flag.DATE_WITHOUT_CLOSED_STATUS)} ELSE 0 END"
        )
        dropped_raw = (
            f"CASE WHEN {before} THEN jsonb_build_object('closed_at', "
            f"{_NYC_TIME_SQL.format(closed)}) ELSE '{{}}'::jsonb END"
        )
        merged["quality_flags"] = flags
        merged["closed_at"] = kept_closed
        merged["raw_values"] = f"({merged['raw_values']} || {dropped_raw})"
