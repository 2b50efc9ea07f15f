"""The `import_311` management command."""

import csv
import gzip
import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from agencies.models import ImportRun, ServiceRequest

pytestmark = pytest.mark.django_db


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def export_with_flags(path: Path) -> Path:
    """Four rows: two out-of-city zips, one Unspecified borough, one repeated key."""
    return write_csv(
        path,
        [
            ["Unique Key", "Agency", "Incident Zip", "Borough"],
            ["1", "DOT", "07030", "MANHATTAN"],
            ["2", "DOT", "07302", "MANHATTAN"],
            ["3", "DOT", "10001", "Unspecified"],
            ["3", "DOT", "10001", "MANHATTAN"],
            ["abc", "DOT", "10001", "MANHATTAN"],
        ],
    )


def run_command(*args: str) -> str:
    out = io.StringIO()
    call_command("import_311", *args, "--no-progress", stdout=out)
    return out.getvalue()


def test_it_prints_the_counts_and_a_line_per_flag(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")

    output = run_command(str(path))

    assert f"{path} (csv)" in output
    assert re.search(
        r"rows read 5 in \d+\.\d s: inserted 3, updated 0, unchanged 0, "
        r"duplicates 1, rejected 1",
        output,
    )
    assert "        2  Incident zip outside New York City (dropped)\n" in output
    assert "        1  Borough Unspecified or missing\n" in output
    assert "Placeholder date" not in output
    run = ImportRun.objects.get()
    assert f"rejected and duplicate rows: {run.rejects_file}" in output


def test_a_second_run_reports_the_rows_unchanged(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")
    run_command(str(path))

    output = run_command(str(path))

    assert "inserted 0, updated 0, unchanged 3, duplicates 1, rejected 1" in output


def test_the_report_holds_the_same_numbers_as_the_summary(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")
    report_path = tmp_path / "report.json"

    output = run_command(str(path), "--report", str(report_path))

    run = ImportRun.objects.get()
    report = json.loads(report_path.read_text())
    [file_report] = report["files"]
    assert file_report == {
        "source": str(path),
        "status": "succeeded",
        "error": None,
        "format": "csv",
        "import_run": run.pk,
        "seconds": file_report["seconds"],
        "rows_read": 5,
        "inserted": 3,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 1,
        "rejected": 1,
        "flags": {"out_of_city_zip": 2, "unspecified_borough": 1},
        "missing_columns": run.missing_columns,
        "rejects_file": run.rejects_file,
    }
    assert run.missing_columns[:3] == ["created_date", "closed_date", "due_date"]
    assert file_report["seconds"] >= 0
    assert f"Report written to {report_path}" in output


def test_it_names_the_columns_the_file_lacks(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")

    output = run_command(str(path))

    assert (
        "  not in the file, so kept as stored on existing requests: created_date, "
        "closed_date, due_date, resolution_action_updated_date, status, agency_name, "
        "complaint_type, descriptor, additional_details, location_type, "
        "incident_address, street_name, city, community_board, bbl, latitude, "
        "longitude, location, open_data_channel_type, resolution_description\n"
    ) in output


def test_the_report_lists_every_file_imported(tmp_path):
    first = export_with_flags(tmp_path / "first.csv")
    second = write_csv(
        tmp_path / "second.csv", [["Unique Key", "Agency"], ["9", "DOT"]]
    )
    report_path = tmp_path / "report.json"

    run_command(str(first), str(second), "--report", str(report_path))

    report = json.loads(report_path.read_text())
    assert [(file["source"], file["inserted"]) for file in report["files"]] == [
        (str(first), 3),
        (str(second), 1),
    ]
    assert report["files"][1]["rejects_file"] is None


def test_rejects_go_to_the_folder_given(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")
    rejects_dir = tmp_path / "rejects-here"

    run_command(str(path), "--rejects-dir", str(rejects_dir))

    rejects_path = rejects_dir / "export.csv.rejects.csv"
    assert ImportRun.objects.get().rejects_file == str(rejects_path)
    with rejects_path.open(newline="") as file:
        lines = [(row["line"], row["reason"][:20]) for row in csv.DictReader(file)]
    assert lines == [("6", "unique key is not a "), ("5", "repeats a unique key")]


def test_a_file_without_a_unique_key_column_fails_naming_the_file(tmp_path):
    path = write_csv(
        tmp_path / "other-city.csv",
        [["case_enquiry_id", "open_dt", "case_status"], ["101", "2022-01-01", "Open"]],
    )

    with pytest.raises(CommandError, match=r"other-city\.csv: no Unique Key column"):
        run_command(str(path))

    assert not ServiceRequest.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert "no Unique Key column" in run.error


def test_an_empty_file_fails_naming_the_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_text("")

    with pytest.raises(CommandError, match=r"empty\.csv: the file is empty"):
        run_command(str(path))


def test_a_missing_path_fails_clearly(tmp_path):
    path = tmp_path / "no-such-export.csv"

    with pytest.raises(CommandError, match=r"no such file: .*no-such-export\.csv"):
        run_command(str(path))

    assert not ImportRun.objects.exists()


def test_a_missing_path_among_several_stops_before_anything_is_imported(tmp_path):
    good = export_with_flags(tmp_path / "export.csv")

    with pytest.raises(CommandError, match="no such file"):
        run_command(str(good), str(tmp_path / "typo.csv"))

    assert not ImportRun.objects.exists()


def test_a_report_in_a_missing_folder_stops_before_anything_is_imported(tmp_path):
    good = export_with_flags(tmp_path / "export.csv")

    with pytest.raises(CommandError, match="--report"):
        run_command(str(good), "--report", str(tmp_path / "nowhere" / "r.json"))

    assert not ImportRun.objects.exists()


def test_a_folder_given_as_path_fails_clearly(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run_command(str(tmp_path))


def test_the_orm_method_can_be_chosen_on_any_database(tmp_path):
    path = export_with_flags(tmp_path / "export.csv")

    output = run_command(str(path), "--method", "orm")

    assert "inserted 3" in output
    assert ServiceRequest.objects.count() == 3


def truncated_gzip(path: Path) -> Path:
    rows = "".join(f"{key},DOT\n" for key in range(100, 5000))
    whole = gzip.compress(("Unique Key,Agency\n" + rows).encode())
    path.write_bytes(whole[: len(whole) // 2])
    return path


def test_a_failed_file_does_not_stop_the_files_after_it(tmp_path):
    first = write_csv(tmp_path / "a.csv", [["Unique Key", "Agency"], ["1", "DOT"]])
    broken = truncated_gzip(tmp_path / "broken.csv.gz")
    last = write_csv(tmp_path / "c.csv", [["Unique Key", "Agency"], ["3", "DOT"]])
    out = io.StringIO()

    with pytest.raises(CommandError, match=r"1 of 3 files failed: .*broken\.csv\.gz"):
        call_command(
            "import_311",
            str(first),
            str(broken),
            str(last),
            "--no-progress",
            stdout=out,
        )

    assert sorted(ServiceRequest.objects.values_list("unique_key", flat=True)) == [1, 3]
    statuses = dict(ImportRun.objects.values_list("source", "status"))
    assert statuses == {
        str(first): ImportRun.Status.SUCCEEDED,
        str(broken): ImportRun.Status.FAILED,
        str(last): ImportRun.Status.SUCCEEDED,
    }
    output = out.getvalue()
    assert f"{broken}: failed: the compressed file is damaged or cut short" in output
    assert "Imported 2 of 3 files; 1 failed" in output


def test_the_report_lists_a_failed_file_with_its_status_and_error(tmp_path):
    first = write_csv(tmp_path / "a.csv", [["Unique Key", "Agency"], ["1", "DOT"]])
    broken = truncated_gzip(tmp_path / "broken.csv.gz")
    last = write_csv(tmp_path / "c.csv", [["Unique Key", "Agency"], ["3", "DOT"]])
    report_path = tmp_path / "report.json"

    with pytest.raises(CommandError):
        run_command(str(first), str(broken), str(last), "--report", str(report_path))

    files = json.loads(report_path.read_text())["files"]
    assert [(file["source"], file["status"]) for file in files] == [
        (str(first), "succeeded"),
        (str(broken), "failed"),
        (str(last), "succeeded"),
    ]
    failed_run = ImportRun.objects.get(source=str(broken))
    assert files[1]["import_run"] == failed_run.pk
    assert files[1]["error"].startswith("the compressed file is damaged or cut short")
    assert files[1]["inserted"] == 0
    assert files[0]["error"] is None
    assert files[2]["inserted"] == 1


def test_files_of_the_same_name_keep_their_own_rejects(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_csv(
        tmp_path / "a" / "e.csv", [["Unique Key", "Agency"], ["abc", "DOT"]]
    )
    second = write_csv(
        tmp_path / "b" / "e.csv", [["Unique Key", "Agency"], ["xyz", "DOT"]]
    )
    rejects_dir = tmp_path / "rejects-here"

    run_command(str(first), str(second), "--rejects-dir", str(rejects_dir))

    first_run = ImportRun.objects.get(source=str(first))
    second_run = ImportRun.objects.get(source=str(second))
    assert first_run.rejects_file != second_run.rejects_file
    assert "'abc'" in Path(first_run.rejects_file).read_text()
    assert "'xyz'" in Path(second_run.rejects_file).read_text()
    assert len(list(rejects_dir.iterdir())) == 2


def test_the_postgres_method_on_another_database_is_refused_before_any_import(
    tmp_path,
):
    if connection.vendor == "postgresql":
        pytest.skip("checks the refusal on other databases")
    first = export_with_flags(tmp_path / "first.csv")
    second = export_with_flags(tmp_path / "second.csv")
    report_path = tmp_path / "report.json"
    out = io.StringIO()

    with pytest.raises(CommandError, match="needs a PostgreSQL database"):
        call_command(
            "import_311",
            str(first),
            str(second),
            "--method",
            "postgres",
            "--report",
            str(report_path),
            "--no-progress",
            stdout=out,
        )

    assert "failed:" not in out.getvalue()
    assert not report_path.exists()
    assert not ImportRun.objects.exists()
