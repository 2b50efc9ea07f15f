"""`import_service_requests`: one file, one transaction, one ImportRun."""

from pathlib import Path

import pytest
from django.db import connection

from agencies.importing.sources import SourceError
from agencies.models import ImportRun, ServiceRequest
from agencies.services import import_service_requests

pytestmark = pytest.mark.django_db


def write_export(path: Path, rows: int) -> Path:
    lines = ["Unique Key,Agency,Borough"]
    lines += [f"{key},DOT,QUEENS" for key in range(1, rows + 1)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_failure_midway_stores_nothing_and_records_the_failed_run(tmp_path):
    path = write_export(tmp_path / "export.csv", rows=5001)

    def interrupt(rows: int, position: int, size: int) -> None:
        raise RuntimeError(f"stopped after {rows} rows")

    with pytest.raises(RuntimeError):
        import_service_requests(path=path, progress=interrupt)

    assert not ServiceRequest.objects.exists()
    run = ImportRun.objects.get()
    assert run.status == ImportRun.Status.FAILED
    assert run.error == "RuntimeError: stopped after 5000 rows"
    assert run.finished_at is not None


def test_the_database_is_usable_after_a_failed_import(tmp_path):
    broken = tmp_path / "broken.csv"
    broken.write_text("Created Date,Agency\n01/15/2024 10:00:00 AM,DOT\n")
    with pytest.raises(SourceError):
        import_service_requests(path=broken)

    run = import_service_requests(path=write_export(tmp_path / "export.csv", rows=3))

    assert run.status == ImportRun.Status.SUCCEEDED
    assert ServiceRequest.objects.count() == 3


def test_progress_is_reported_every_5000_rows_and_at_the_end(tmp_path):
    path = write_export(tmp_path / "export.csv", rows=5001)
    reports = []

    import_service_requests(path=path, progress=lambda *report: reports.append(report))

    size = path.stat().st_size
    assert [rows for rows, _, _ in reports] == [5000, 5001]
    assert reports[-1] == (5001, size, size)


def test_a_successful_run_records_its_source_and_times(tmp_path):
    path = write_export(tmp_path / "export.csv", rows=2)

    run = import_service_requests(path=path)

    run.refresh_from_db()
    assert run.source == str(path)
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.finished_at >= run.started_at
    assert run.error == ""


@pytest.mark.skipif(
    connection.vendor == "postgresql", reason="checks the refusal on other databases"
)
def test_the_postgres_method_is_refused_on_other_databases(tmp_path):
    path = write_export(tmp_path / "export.csv", rows=1)

    with pytest.raises(ValueError, match="needs a PostgreSQL database"):
        import_service_requests(path=path, method="postgres")

    assert not ServiceRequest.objects.exists()
