"""Importing and saving NYC 311 service requests, and staff membership of agencies."""

import csv
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from agencies.closures import handle_closures
from agencies.importing.loading import LoadResult, OrmLoader, PostgresLoader
from agencies.importing.parsing import (
    COLUMNS,
    RejectedRow,
    RowParser,
    filled_fields,
    missing_columns,
)
from agencies.importing.sources import Reject, Source, SourceError
from agencies.models import (
    Agency,
    ImportRun,
    Integration,
    ServiceRequest,
    StaffMembership,
)
from agencies.roles import group_name
from config.csv_export import neutralise
from surveys.contacts import save_contact
from surveys.models import Contact

logger = logging.getLogger(__name__)

Progress = Callable[[int, int, int], None]  # rows read, bytes read, bytes in file


class RejectsFile:
    """The CSV of rows that were not stored, opened only when the first one comes."""

    header = ("line", "reason", "unique_key", "record")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.count = 0
        self._file = None
        self._writer = None

    def write(self, reject: Reject) -> None:
        if self._writer is None:
            self._open_new_file()
            self._writer = csv.writer(self._file)
            self._writer.writerow(self.header)
        # The key and record are the export's own text, which a spreadsheet would
        # run as a formula if it starts like one (config/csv_export.py).
        row = (reject.line, reject.reason, reject.unique_key, reject.record)
        self._writer.writerow([neutralise(cell) for cell in row])
        self.count += 1

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def discard(self) -> None:
        """Remove the file: an import that failed stored nothing, so its rejects
        describe rows of an import that did not happen."""
        self.close()
        if self._file is not None:
            self.path.unlink(missing_ok=True)
            self._file = self._writer = None
            self.count = 0

    def _open_new_file(self) -> None:
        """A new file, never one already there: two files of the same name given
        to one `--rejects-dir`, or run ids starting again after a database reset,
        would otherwise lose the earlier rejects. `path` becomes the name used."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        wanted, number = self.path, 1
        while True:
            try:
                self._file = self.path.open("x", newline="", encoding="utf-8")
                return
            except FileExistsError:
                number += 1
                self.path = wanted.with_name(f"{wanted.stem}-{number}{wanted.suffix}")


def import_service_requests(
    *,
    path: Path,
    rejects_path: Path | None = None,
    method: str = "auto",
    progress: Progress | None = None,
) -> ImportRun:
    """Import one NYC 311 export file, upserting service requests by unique key.

    The whole file is stored in one transaction, or nothing is. Rows that cannot
    be stored, and repeats of a key within the file, are written to the rejects
    CSV with their line (record number, for JSON) and the reason. A CSV file
    without some of the importer's columns leaves those fields of stored requests
    as they are; the run lists the columns in `missing_columns`.
    """
    if method == "auto":
        method = "postgres" if connection.vendor == "postgresql" else "orm"
    if method == "postgres" and connection.vendor != "postgresql":
        raise ValueError("the postgres import method needs a PostgreSQL database")

    run = ImportRun.objects.create(source=str(path))
    rejects = RejectsFile(
        rejects_path
        or settings.IMPORT_REJECTS_DIR / f"{path.name}.import-{run.pk}.rejects.csv"
    )
    started = time.monotonic()
    try:
        with Source(path) as source, transaction.atomic():
            run.source_format = source.format
            run.missing_columns = missing_columns(source.columns)
            if run.missing_columns:
                logger.info(
                    "import %s of %s: no %s columns; stored requests keep those fields",
                    run.pk, path, ", ".join(run.missing_columns),
                )  # fmt: skip
            result, rows_read = _load(source, run, rejects, method, progress)
    except (SourceError, OSError) as error:
        rejects.discard()
        _finish(run, ImportRun.Status.FAILED, error=str(error))
        raise
    except BaseException as error:
        rejects.discard()
        logger.exception("import %s of %s failed", run.pk, path)
        _finish(run, ImportRun.Status.FAILED, error=f"{type(error).__name__}: {error}")
        raise
    finally:
        rejects.close()

    run.rows_read = rows_read
    run.inserted, run.updated, run.unchanged = (
        result.inserted,
        result.updated,
        result.unchanged,
    )
    run.duplicates = len(result.duplicates)
    run.rejected = rejects.count - run.duplicates
    run.flag_counts = result.flag_counts
    run.rejects_file = str(rejects.path) if rejects.count else ""
    _finish(run, ImportRun.Status.SUCCEEDED)
    logger.info(
        "import %s of %s: %s rows in %.1f s, %s inserted, %s updated, %s unchanged, "
        "%s duplicates, %s rejected",
        run.pk, path, rows_read, time.monotonic() - started, run.inserted, run.updated,
        run.unchanged, run.duplicates, run.rejected,
    )  # fmt: skip
    return run


def _load(
    source: Source,
    run: ImportRun,
    rejects: RejectsFile,
    method: str,
    progress: Progress | None,
) -> tuple[LoadResult, int]:
    filled = filled_fields(source.columns)
    loader = (
        PostgresLoader(run, filled=filled)
        if method == "postgres"
        else OrmLoader(run, filled=filled)
    )
    parser = RowParser(filled=filled)
    rows_read = 0
    try:
        for item in source:
            rows_read += 1
            if progress is not None and rows_read % 5000 == 0:
                progress(rows_read, source.position, source.size)
            if isinstance(item, Reject):
                rejects.write(item)
                continue
            try:
                row = parser.parse(item)
            except RejectedRow as error:
                rejects.write(
                    Reject(
                        item.line,
                        str(error),
                        item.values.get("unique_key", ""),
                        source.current_text(),
                    )
                )
                continue
            loader.add(item.line, row)
        result = loader.finish()
    except BaseException as error:
        loader.abort(error)
        raise
    for line, key in result.duplicates:
        rejects.write(
            Reject(line, "repeats a unique key read earlier in this file", str(key))
        )
    if progress is not None:
        progress(rows_read, source.size, source.size)
    return result, rows_read


def _finish(run: ImportRun, status: str, error: str = "") -> None:
    run.status = status
    run.error = error
    run.finished_at = timezone.now()
    run.save()


class NotPermitted(Exception):
    """The integration may not write requests of this agency."""


@dataclass(frozen=True)
class SavedRequest:
    service_request: ServiceRequest
    created: bool
    changed: bool
    closed: bool  # closed by this write: handle_closures ran for it
    contact: Contact | None


_AGENCY = COLUMNS.index("agency_id")


def save_service_request(
    *,
    row: tuple,
    integration: Integration,
    contact: Mapping[str, Any] | None = None,
) -> SavedRequest:
    """Create or update one request sent by a 311 system, with its resident's contact.

    `row` is a parsed row as the import stores it (see importing.parsing), so a
    request reads the same whether it came by import or by API, and a change is
    kept as a ServiceRequestChange of the integration. `contact` holds the
    arguments of surveys.contacts.save_contact; left out, the stored contact stays.
    A request that becomes Closed goes through handle_closures after its contact
    is saved, in the same transaction. Writing the same values again changes
    nothing and closes nothing.
    """
    try:
        with transaction.atomic():
            return _save_service_request(row, integration, contact)
    except IntegrityError:
        # Two first writes of one key raced to insert it; the row now exists and
        # is locked in its turn, so the second attempt updates it.
        logger.info("SR %s was inserted concurrently; saving again", row[0])
        with transaction.atomic():
            return _save_service_request(row, integration, contact)


def _save_service_request(
    row: tuple, integration: Integration, contact: Mapping[str, Any] | None
) -> SavedRequest:
    key = row[0]
    stored_agency = list(
        ServiceRequest.objects.select_for_update()
        .filter(pk=key)
        .values_list("agency_id", flat=True)
    )
    if not integration.may_write_for(row[_AGENCY]) or (
        stored_agency and not integration.may_write_for(stored_agency[0])
    ):
        raise NotPermitted(f"integration {integration.pk} may not write SR {key}")

    loader = OrmLoader(None, integration=integration)
    closed = loader.store_rows([row])
    service_request = ServiceRequest.objects.get(pk=key)
    saved_contact = None
    if contact is not None:
        saved_contact = save_contact(service_request=service_request, **contact)
    if closed:
        handle_closures(requests=ServiceRequest.objects.filter(pk=key))

    created, changed = bool(loader.result.inserted), bool(loader.result.updated)
    logger.info(
        "SR %s %s by integration %s%s",
        key,
        "created" if created else "updated" if changed else "unchanged",
        integration.pk,
        "; closed" if closed else "",
    )
    return SavedRequest(
        service_request=service_request,
        created=created,
        changed=changed,
        closed=bool(closed),
        contact=saved_contact,
    )


@transaction.atomic
def set_membership(*, user, role: str, agency: Agency | None) -> StaffMembership:
    """Make a user staff of an agency in a role, with exactly that role's group."""
    if role != StaffMembership.Role.CITY_ADMIN and agency is None:
        raise ValueError("Only city administrators may have no agency.")
    membership, _ = StaffMembership.objects.update_or_create(
        user=user,
        defaults={
            "role": role,
            "agency": None if role == StaffMembership.Role.CITY_ADMIN else agency,
        },
    )
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.set([Group.objects.get(name=group_name(role))])
    logger.info("user %s is now %s of %s", user.pk, role, membership.agency_id or "all")
    return membership


@transaction.atomic
def end_membership(*, user) -> None:
    """Take a user out of every agency role; they keep their account, not their access."""
    StaffMembership.objects.filter(user=user).delete()
    user.is_staff = user.is_superuser
    user.save(update_fields=["is_staff"])
    role_groups = [group_name(role) for role in StaffMembership.Role]
    user.groups.remove(*Group.objects.filter(name__in=role_groups))
    logger.info("user %s no longer has an agency role", user.pk)
