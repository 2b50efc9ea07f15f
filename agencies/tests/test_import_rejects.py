"""Rows that cannot be stored, and repeated keys, go to the rejects CSV with their line."""

import csv
import gzip
import json
from pathlib import Path

import pytest

from agencies.importing.sources import SourceError
from agencies.models import ImportRun, ServiceRequest
from agencies.services import import_service_requests

pytestmark = pytest.mark.django_db

HEADER = "Unique Key,Created Date,Agency,Complaint Type,Status\n"


def write_text(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8", newline="")
    return path


def rejects_of(run: ImportRun) -> list[dict[str, str]]:
    with open(run.rejects_file, newline="", encoding="utf-8") as file:
        return list(csv.DictReader(file))


def lines_and_reasons(run: ImportRun) -> list[tuple[int, str]]:
    return [(int(reject["line"]), reject["reason"]) for reject in rejects_of(run)]


def stored_keys() -> list[int]:
    return list(
        ServiceRequest.objects.order_by("unique_key").values_list(
            "unique_key", flat=True
        )
    )


def test_csv_rows_without_a_whole_number_key_are_rejected_with_their_line(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + ",01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "abc,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "12.5,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "0,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "102.0,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "9223372036854775807,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )

    run = import_service_requests(path=path)

    assert lines_and_reasons(run) == [
        (3, "missing unique key"),
        (4, "unique key is not a positive whole number: 'abc'"),
        (5, "unique key is not a positive whole number: '12.5'"),
        (6, "unique key is not a positive whole number: '0'"),
        (
            8,
            "unique key is longer than 18 digits, more than any request number: "
            "'9223372036854775807'",
        ),
    ]
    assert stored_keys() == [101, 102]
    assert (run.inserted, run.rejected) == (2, 5)


def test_a_csv_row_with_the_wrong_number_of_fields_is_rejected_with_its_text(
    tmp_path,
):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "102,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open,extra\n"
        + "103,01/15/2024 10:00:00 AM,HPD\n"
        + "104,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )

    run = import_service_requests(path=path)

    assert rejects_of(run) == [
        {
            "line": "3",
            "reason": "expected 5 fields, found 6",
            "unique_key": "102",
            "record": "102,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open,extra",
        },
        {
            "line": "4",
            "reason": "expected 5 fields, found 3",
            "unique_key": "103",
            "record": "103,01/15/2024 10:00:00 AM,HPD",
        },
    ]
    assert stored_keys() == [101, 104]


def test_a_rejected_csv_line_is_the_physical_line_where_its_record_starts(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        "Unique Key,Created Date,Resolution Description,Location\n"
        + '101,01/15/2024 10:00:00 AM,"Inspected.\nNo violation.","\n,  \n(40.7, -73.9)"\n'
        + "abc,01/15/2024 10:00:00 AM,,\n"
        + '102,01/15/2024 10:00:00 AM,"Two\r\nlines",\n'
        + "12.5,01/15/2024 10:00:00 AM,,\n",
    )

    run = import_service_requests(path=path)

    assert [line for line, _ in lines_and_reasons(run)] == [6, 9]
    assert stored_keys() == [101, 102]


def test_a_json_element_that_is_not_an_object_is_rejected_with_its_number(tmp_path):
    path = write_text(
        tmp_path / "export.json",
        json.dumps(
            [
                {"unique_key": "101", "agency": "HPD"},
                ["102", "HPD"],
                {"agency": "HPD", "status": "Open"},
                "103",
                {"unique_key": "abc", "agency": "HPD"},
                {"unique_key": "104", "agency": "HPD"},
                {"unique_key": None, "agency": "HPD"},
            ]
        ),
    )

    run = import_service_requests(path=path)

    assert rejects_of(run) == [
        {
            "line": "2",
            "reason": "not a JSON object",
            "unique_key": "",
            "record": '["102", "HPD"]',
        },
        {
            "line": "3",
            "reason": "missing unique key",
            "unique_key": "",
            "record": '{"agency": "HPD", "status": "Open"}',
        },
        {
            "line": "4",
            "reason": "not a JSON object",
            "unique_key": "",
            "record": '"103"',
        },
        {
            "line": "5",
            "reason": "unique key is not a positive whole number: 'abc'",
            "unique_key": "abc",
            "record": '{"unique_key": "abc", "agency": "HPD"}',
        },
        {
            "line": "7",
            "reason": "missing unique key",
            "unique_key": "",
            "record": '{"unique_key": null, "agency": "HPD"}',
        },
    ]
    assert stored_keys() == [101, 104]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "export.json",
            '[{"unique_key": "101"}, {"unique_key": "102"},\n'
            '{"unique_key": oops}, {"unique_key": "104"}]',
        ),
        (
            "export.jsonl",
            '{"unique_key": "101"}\n{"unique_key": "102"}\n'
            '{"unique_key": "103", "agency": "HPD\n{"unique_key": "104"}\n',
        ),
    ],
    ids=["array", "lines"],
)
def test_invalid_json_midway_fails_the_whole_file_and_stores_nothing(
    tmp_path, name, text
):
    path = write_text(tmp_path / name, text)

    with pytest.raises(SourceError, match="invalid JSON after record 2"):
        import_service_requests(path=path)

    run = ImportRun.objects.get()
    assert stored_keys() == []
    assert run.status == ImportRun.Status.FAILED
    assert "nothing was imported" in run.error


def test_a_file_that_is_not_utf8_fails_clearly_and_stores_nothing(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        (HEADER + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n").encode()
        + "102,01/15/2024 10:00:00 AM,HPD,CAFÉ,Open\n".encode("latin-1")
    )

    with pytest.raises(SourceError, match="not UTF-8 text \\(line 3, byte 35 "):
        import_service_requests(path=path)

    assert stored_keys() == []


def test_a_byte_that_is_not_utf8_far_into_a_file_is_found_on_its_line(tmp_path):
    rows = "".join(
        f"{key},01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        for key in range(100, 20_100)
    )
    path = tmp_path / "export.csv.gz"
    path.write_bytes(gzip.compress((HEADER + rows).encode() + b"20100,Op\xe9n\n"))

    with pytest.raises(SourceError, match="line 20002, byte 9 cannot be read"):
        import_service_requests(path=path)

    assert stored_keys() == []


@pytest.mark.parametrize(
    "damaged",
    [b"\x1f\x8b", b"\x1f\x8b\x07\x00" + b"\x00" * 20],
    ids=["cut after two bytes", "unknown compression method"],
)
def test_a_gzip_damaged_at_its_start_fails_clearly(tmp_path, damaged):
    path = tmp_path / "export.csv.gz"
    path.write_bytes(damaged)

    with pytest.raises(SourceError, match="damaged or cut short"):
        import_service_requests(path=path)

    assert ImportRun.objects.get().status == ImportRun.Status.FAILED


def test_a_truncated_gzip_fails_clearly_and_stores_nothing(tmp_path):
    rows = "".join(
        f"{key},01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        for key in range(100, 5000)
    )
    whole = gzip.compress((HEADER + rows).encode())
    path = tmp_path / "export.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])

    with pytest.raises(SourceError, match="damaged or cut short"):
        import_service_requests(path=path)

    assert stored_keys() == []


def test_a_failed_import_leaves_no_rejects_file_of_rows_it_never_stored(tmp_path):
    rows = "bad,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n" + "".join(
        f"{key},01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        for key in range(100, 20000)
    )
    whole = gzip.compress((HEADER + rows).encode())
    path = tmp_path / "export.csv.gz"
    path.write_bytes(whole[: len(whole) * 3 // 4])
    rejects = tmp_path / "rejects.csv"

    with pytest.raises(SourceError, match="damaged or cut short"):
        import_service_requests(path=path, rejects_path=rejects)

    run = ImportRun.objects.get()
    assert not rejects.exists()
    assert (run.status, run.rejects_file) == (ImportRun.Status.FAILED, "")


def test_a_key_repeated_within_a_file_counts_once_and_the_first_row_wins(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "102,01/15/2024 10:00:00 AM,DOT,Street Condition,Open\n"
        + "101,01/16/2024 10:00:00 AM,HPD,PLUMBING,Closed\n"
        + "101,01/17/2024 10:00:00 AM,HPD,PAINT/PLASTER,Open\n",
    )

    run = import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=101)
    assert request.complaint_type.name == "HEAT/HOT WATER"
    assert request.status == "Open"
    assert rejects_of(run) == [
        {
            "line": "4",
            "reason": "repeats a unique key read earlier in this file",
            "unique_key": "101",
            "record": "",
        },
        {
            "line": "5",
            "reason": "repeats a unique key read earlier in this file",
            "unique_key": "101",
            "record": "",
        },
    ]
    assert (run.inserted, run.duplicates, run.rejected) == (2, 2, 0)


def test_a_key_written_two_ways_is_the_same_key(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "101.0,01/16/2024 10:00:00 AM,HPD,PLUMBING,Closed\n",
    )

    run = import_service_requests(path=path)

    assert lines_and_reasons(run) == [
        (3, "repeats a unique key read earlier in this file")
    ]
    assert run.duplicates == 1


def test_every_row_read_is_counted_once_in_the_outcome(tmp_path):
    first = write_text(
        tmp_path / "first.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "102,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )
    import_service_requests(path=first)
    second = write_text(
        tmp_path / "second.csv",
        HEADER
        + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "102,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Closed\n"
        + "103,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "103,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "abc,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "104,01/15/2024 10:00:00 AM\n",
    )

    run = import_service_requests(path=second)

    assert run.rows_read == 6
    assert (run.inserted, run.updated, run.unchanged) == (1, 1, 1)
    assert (run.duplicates, run.rejected) == (1, 2)
    assert run.rows_read == (
        run.inserted + run.updated + run.unchanged + run.duplicates + run.rejected
    )
    assert len(rejects_of(run)) == run.duplicates + run.rejected


def test_the_rejects_file_goes_to_the_given_path(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER + "abc,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )
    rejects_path = tmp_path / "elsewhere" / "rejects.csv"

    run = import_service_requests(path=path, rejects_path=rejects_path)

    assert run.rejects_file == str(rejects_path)
    assert lines_and_reasons(run) == [
        (2, "unique key is not a positive whole number: 'abc'")
    ]


def test_no_rejects_file_is_written_when_every_row_is_stored(tmp_path, settings):
    path = write_text(
        tmp_path / "export.csv",
        HEADER + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )

    run = import_service_requests(path=path)

    assert run.rejects_file == ""
    assert not Path(settings.IMPORT_REJECTS_DIR).exists()


def test_an_existing_rejects_file_is_never_overwritten(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER + "abc,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n",
    )
    rejects_path = tmp_path / "rejects.csv"
    rejects_path.write_text("an earlier import's rejects\n")

    run = import_service_requests(path=path, rejects_path=rejects_path)

    assert rejects_path.read_text() == "an earlier import's rejects\n"
    assert run.rejects_file == str(tmp_path / "rejects-2.csv")
    assert lines_and_reasons(run) == [
        (2, "unique key is not a positive whole number: 'abc'")
    ]


def test_rejected_cells_cannot_start_a_spreadsheet_formula(tmp_path):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + "=1+1,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n"
        + "=HYPERLINK(A1),01/15/2024 10:00:00 AM,HPD\n"
        + "@SUM(A1),01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open,extra\n",
    )

    run = import_service_requests(path=path)

    assert rejects_of(run) == [
        {
            "line": "2",
            "reason": "unique key is not a positive whole number: '=1+1'",
            "unique_key": "'=1+1",
            "record": "'=1+1,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open",
        },
        {
            "line": "3",
            "reason": "expected 5 fields, found 3",
            "unique_key": "'=HYPERLINK(A1)",
            "record": "'=HYPERLINK(A1),01/15/2024 10:00:00 AM,HPD",
        },
        {
            "line": "4",
            "reason": "expected 5 fields, found 6",
            "unique_key": "'@SUM(A1)",
            "record": "'@SUM(A1),01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open,extra",
        },
    ]


def test_a_csv_row_with_a_bad_key_is_given_back_as_the_file_wrote_it(tmp_path):
    row = 'x7,01/15/2024 10:00:00 AM,HPD,"HEAT/HOT\nWATER",Open'
    path = write_text(
        tmp_path / "export.csv",
        HEADER + "101,01/15/2024 10:00:00 AM,HPD,HEAT/HOT WATER,Open\n" + row + "\n",
    )

    run = import_service_requests(path=path)

    assert rejects_of(run) == [
        {
            "line": "3",
            "reason": "unique key is not a positive whole number: 'x7'",
            "unique_key": "x7",
            "record": row,
        }
    ]
