"""CSV downloads for staff and the public that spreadsheets can open safely.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (or the start of one),
so a resident's comment such as `=HYPERLINK(...)` could run on a supervisor's
machine. Such a cell is written with a leading apostrophe, which spreadsheets
show as text and hide. Numbers are written as numbers: only text is touched.

Their full-width forms (U+FF1D, U+FF0B, U+FF0D, U+FF20), which a CJK keyboard
gives and Excel on such systems takes as the plain ones, are treated the same.

defusedcsv does the same for `= + - @ | %` but lets a leading tab or carriage
return through, which OWASP lists among the triggers, hence this module.
"""

import csv
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = (
    "=",
    "+",
    "-",
    "@",
    "\t",
    "\r",
    "\uff1d",
    "\uff0b",
    "\uff0d",
    "\uff20",
)


def neutralise(value: Any) -> Any:
    """The cell as spreadsheets will show it, never as a formula to run."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    if isinstance(value, datetime):
        return (
            timezone.localtime(value).isoformat()
            if timezone.is_aware(value)
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


class _Echo:
    """A file-like object whose write hands the line back to the caller."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[str]:
    """The CSV text, one line at a time, every cell neutralised."""
    writer = csv.writer(_Echo())
    yield writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(
    *, filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]
) -> StreamingHttpResponse:
    """A streamed CSV download: memory stays flat however many rows follow."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Staff exports carry case details; no shared cache may keep them.
    response["Cache-Control"] = "private, no-store"
    return response
