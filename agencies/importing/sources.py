"""Reading NYC 311 exports: CSV or JSON, plain or gzip, any of NYC's header styles.

A source yields one `Record` per row, with values keyed by the importer's field
names, or a `Reject` for a row that cannot be read as a record at all. A CSV
source also says which of those fields its header has (`columns`).

NUL characters are taken out of every value as it is read: PostgreSQL stores
none in text, and no published value means one.

A CSV field with an unclosed quote runs on over the line breaks after it, taking
the records on those lines into its text. A record that spans lines is rejected
whole, with the range of its lines, when one of its later lines reads as a
record of the file by itself (see `_reads_as_a_record`); so is a record that
spans lines and has the wrong number of fields, or that the csv module cannot
read at all. Reading goes on at the line after the range. It does not go back
to read the lines inside the range as records: their text was inside a quote,
and taking it for a request could overwrite a real one.
"""

import csv
import gzip
import io
import json
import operator
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import ijson

# NYC's exports name one column several ways: the portal's titles ("Complaint
# Type"), the 2026 titles ("Problem (formerly Complaint Type)") and the Socrata
# API's field names (complaint_type). Headers are folded to lower_snake_case
# first, so one entry covers a title and its API name.
HEADER_ALIASES = {
    "unique_key": "unique_key",
    "created_date": "created_at",
    "closed_date": "closed_at",
    "due_date": "due_at",
    "resolution_action_updated_date": "resolution_updated_at",
    "status": "status",
    "agency": "agency",
    "agency_name": "agency_name",
    "complaint_type": "complaint_type",
    "problem_formerly_complaint_type": "complaint_type",
    "problem": "complaint_type",
    "descriptor": "descriptor",
    "problem_detail_formerly_descriptor": "descriptor",
    "problem_detail": "descriptor",
    "additional_details": "additional_details",
    "descriptor_2": "additional_details",
    "location_type": "location_type",
    "incident_zip": "incident_zip",
    "incident_address": "incident_address",
    "street_name": "street_name",
    "city": "city",
    "borough": "borough",
    "community_board": "community_board",
    "bbl": "bbl",
    "latitude": "latitude",
    "longitude": "longitude",
    "location": "location",
    "open_data_channel_type": "channel",
    "resolution_description": "resolution_text",
}
# Each field's name in the Socrata API, the first of its aliases above: how a
# report names a column whatever the file's header style.
API_NAMES = {
    field: next(header for header, f in HEADER_ALIASES.items() if f == field)
    for field in dict.fromkeys(HEADER_ALIASES.values())
}

_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]+")
# A unique key as the parser takes it (parsing._UNIQUE_KEY), spaces around allowed.
_WHOLE_NUMBER = re.compile(r" *\d{1,18}(?:\.0+)? *")
_GZIP_MAGIC = b"\x1f\x8b"
_UTF8_BOM = b"\xef\xbb\xbf"


def canonical_field(header: str) -> str | None:
    folded = _NOT_ALPHANUMERIC.sub("_", header.lstrip("\ufeff").strip().lower()).strip(
        "_"
    )
    return HEADER_ALIASES.get(folded)


class SourceError(Exception):
    """The file as a whole cannot be imported (no unique key column, not CSV/JSON)."""


@dataclass(frozen=True, slots=True)
class Record:
    line: int
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class Reject:
    line: int
    reason: str
    unique_key: str = ""
    record: str = ""


class Source:
    """An opened export file. Iterate it for records; `position` is bytes read."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = path.stat().st_size
        self._raw = path.open("rb")
        stream, compressed = _decompressed(self._raw)
        self._stream = io.BufferedReader(stream)  # type: ignore[arg-type]
        try:
            with _whole_file_errors(path):
                first = self._stream.peek(64)[:64].removeprefix(_UTF8_BOM)
        except BaseException:
            self.close()
            raise
        first = first.lstrip()[:1]
        self.is_json = first in (b"[", b"{")
        self.format = ("json" if self.is_json else "csv") + (
            "+gzip" if compressed else ""
        )
        # The fields a CSV header names; None for JSON, where Socrata leaves out
        # the keys of null fields, so that a record without a key means empty.
        self.columns: frozenset[str] | None = None
        self._json_item: object = None
        if not self.is_json:
            try:
                self._read_csv_header()
            except BaseException:
                self.close()
                raise

    @property
    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def __enter__(self) -> "Source":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def current_text(self) -> str:
        """The record read last as the file gives it, for a rejects file: a CSV
        record's lines joined as they stand, a JSON record as one line of JSON."""
        if self.is_json:
            return _json_text(self._json_item)
        return "".join(self._held).rstrip("\r\n")

    def __iter__(self) -> Iterator[Record | Reject]:
        records = self._json_records() if self.is_json else self._csv_records()
        with _whole_file_errors(self.path):
            yield from records

    def _read_csv_header(self) -> None:
        text = io.TextIOWrapper(self._stream, encoding="utf-8-sig", newline="")
        # The physical lines of the record being read, for a record that spans
        # lines to be checked; cleared before each record.
        held: list[str] = []

        def lines() -> Iterator[str]:
            for line in text:
                if "\x00" in line:
                    line = line.replace("\x00", "")
                held.append(line)
                yield line

        self._held = held
        self._reader = csv.reader(lines())
        with _whole_file_errors(self.path):
            try:
                header = next(self._reader)
            except StopIteration:
                raise SourceError("the file is empty") from None
        columns = [(index, canonical_field(name)) for index, name in enumerate(header)]
        self._wanted = [(index, field) for index, field in columns if field]
        if "unique_key" not in {field for _, field in self._wanted}:
            raise SourceError(
                "no Unique Key column; the header row begins: "
                + ascii(", ".join(header[:12]))[1:-1][:200]
            )
        self._width = len(header)
        self.columns = frozenset(field for _, field in self._wanted)

    def _csv_records(self) -> Iterator[Record | Reject]:
        reader, wanted, width = self._reader, self._wanted, self._width
        held = self._held
        key_index = next(index for index, field in wanted if field == "unique_key")
        fields = [field for _, field in wanted]
        # A row's wanted values in one C call: a dict comprehension over them took
        # a third of the reading time.
        pick = operator.itemgetter(*(index for index, _ in wanted))
        if len(wanted) == 1:  # itemgetter of one index gives the value, not a tuple
            pick_one = pick

            def pick(row: list[str]) -> tuple[str, ...]:
                return (pick_one(row),)

        line = reader.line_num
        while True:
            start = line + 1
            held.clear()
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                # Mostly "field larger than field limit": a quote left open ran on
                # over the lines read so far. The next record starts after them.
                line = reader.line_num
                yield Reject(start, f"unreadable CSV: {error}{_lost(start, line)}")
                continue
            line = reader.line_num
            if not row:
                continue
            if line > start and any(
                _reads_as_a_record(later, width=width, key_index=key_index)
                for later in held[1:]
            ):
                yield Reject(
                    start,
                    f"an unclosed quote runs from line {start} to line {line}; "
                    "those lines were not imported",
                    unique_key=row[key_index] if key_index < len(row) else "",
                    record="".join(held).rstrip("\r\n"),
                )
                continue
            if len(row) != width:
                yield Reject(
                    start,
                    f"expected {width} fields, found {len(row)}{_lost(start, line)}",
                    unique_key=row[key_index] if key_index < len(row) else "",
                    record=_csv_text(row),
                )
                continue
            yield Record(start, dict(zip(fields, pick(row), strict=True)))

    def _json_records(self) -> Iterator[Record | Reject]:
        # Socrata serves a JSON array; JSON Lines (one object a line) is read too.
        if self._stream.peek(3)[:3] == _UTF8_BOM:
            self._stream.read(3)  # the JSON parser rejects a byte-order mark
        is_array = self._stream.peek(64)[:64].lstrip()[:1] == b"["
        items = ijson.items(
            self._stream, "item" if is_array else "", multiple_values=True
        )
        number = 0
        while True:
            number += 1
            try:
                item = next(items)
            except StopIteration:
                return
            except ijson.JSONError as error:
                raise SourceError(
                    f"invalid JSON after record {number - 1}, so nothing was imported: "
                    f"{error}"
                ) from error
            self._json_item = item
            if not isinstance(item, dict):
                yield Reject(number, "not a JSON object", record=_json_text(item))
                continue
            values = {}
            for key, value in item.items():
                field = canonical_field(key)
                if field:
                    values[field] = _json_value(value)
            if "unique_key" not in values:
                yield Reject(number, "missing unique key", record=_json_text(item))
                continue
            yield Record(number, values)


def _reads_as_a_record(line: str, *, width: int, key_index: int) -> bool:
    """Whether a line inside a record that spans lines is a record of its own.

    Read alone, its unique-key column holds a whole number, and it has the header's
    number of fields, or no more than that and ends inside a quote it opens (a
    record whose own stray quote closed the field that swallowed it). A line of
    published text may start with a number and a comma, but then reads as too few
    fields: "12, 13 and 14 January" is two.
    """
    if not line.endswith(("\n", "\r")):
        line += "\n"  # the last line of the file; a line break to find open quotes
    fields = next(csv.reader((line,)), [])
    if len(fields) <= key_index or not _WHOLE_NUMBER.fullmatch(fields[key_index]):
        return False
    # A field still open at the end of the line holds the line break.
    ends_in_open_quote = fields[-1].endswith(("\n", "\r"))
    return len(fields) == width or (ends_in_open_quote and len(fields) < width)


def _lost(start: int, end: int) -> str:
    """The reason's note of the lines a rejected record spans, if more than one."""
    if end <= start:
        return ""
    return f"; lines {start} to {end} were not imported"


@contextmanager
def _whole_file_errors(path: Path) -> Iterator[None]:
    # A file that is damaged as a whole fails as a whole: importing the part
    # before the damage would look like a complete import.
    try:
        yield
    except UnicodeDecodeError as error:
        raise SourceError(
            f"the file is not UTF-8 text ({_first_undecodable(path)}); export it "
            "again as UTF-8"
        ) from error
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise SourceError(
            f"the compressed file is damaged or cut short ({error})"
        ) from error


def _decompressed(raw: IO[bytes]) -> tuple[IO[bytes], bool]:
    """The file's bytes, ungzipped when it starts as gzip does, and whether it did."""
    compressed = raw.read(2) == _GZIP_MAGIC
    raw.seek(0)
    return (gzip.GzipFile(fileobj=raw) if compressed else raw), compressed


def _first_undecodable(path: Path) -> str:
    """Where the first byte that is not UTF-8 is, as "line N, byte B".

    The decoder reads ahead by blocks, so its own position says nothing about
    the line; the file is read again, a line at a time, to find it. A newline
    byte is never part of a UTF-8 character, so splitting on it is safe.
    """
    with path.open("rb") as raw:
        stream, _ = _decompressed(raw)
        try:
            for number, line in enumerate(stream, start=1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as error:
                    return f"line {number}, byte {error.start + 1} cannot be read"
        except (EOFError, gzip.BadGzipFile, zlib.error):
            pass
    return "a byte cannot be read"


def _json_value(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if isinstance(value, dict | list):
        return _json_text(value)
    return str(value)


def _json_text(value: object) -> str:
    return json.dumps(value, default=str, ensure_ascii=False)


def _csv_text(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow(row)
    return buffer.getvalue()
