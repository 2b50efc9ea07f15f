"""Importing the team's real NYC 311 files from ../shared/data."""

import csv
import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agencies.models import ServiceRequest, ServiceRequestChange
from agencies.services import import_service_requests

pytestmark = [pytest.mark.django_db, pytest.mark.shared_data]

NEW_YORK = ZoneInfo("America/New_York")
COMBINED = "nyc311_service_requests_combined.csv.gz"


def new_york(naive: datetime) -> datetime:
    return naive.replace(tzinfo=NEW_YORK).astimezone(UTC)


def read_csv_rows(path: Path) -> list[dict[str, str]]:
    with gzip.open(path, "rt", encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file))


def read_json_items(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as file:
        return json.load(file)


def updated_at_by_key() -> dict[int, datetime]:
    return dict(ServiceRequest.objects.values_list("unique_key", "updated_at"))


def noon_after(request: ServiceRequest, days: int) -> datetime:
    """Noon in New York, some days after the request was created: never ambiguous."""
    local_day = request.created_at.astimezone(NEW_YORK).date() + timedelta(days)
    return new_york(datetime(local_day.year, local_day.month, local_day.day, 12))


def as_published(value: datetime) -> str:
    return value.astimezone(NEW_YORK).strftime("%m/%d/%Y %I:%M:%S %p")


def write_edited_copy(
    source: Path, target: Path, edits: dict[int, dict[str, str]]
) -> list[dict[str, str]]:
    """Copy a gzipped export, changing the columns given for some unique keys."""
    rows = read_csv_rows(source)
    for row in rows:
        row.update(edits.get(int(row["Unique Key"]), {}))
    with gzip.open(target, "wt", encoding="utf-8", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return rows


def test_every_unique_key_in_the_combined_export_becomes_one_request(shared_data):
    path = shared_data / COMBINED
    keys = {row["Unique Key"] for row in read_csv_rows(path)}

    run = import_service_requests(path=path)

    assert ServiceRequest.objects.count() == len(keys)
    assert run.inserted == len(keys)
    assert run.rows_read == len(keys)
    assert (run.duplicates, run.rejected) == (0, 0)


def test_reimporting_the_combined_export_changes_nothing(shared_data):
    path = shared_data / COMBINED
    first = import_service_requests(path=path)
    before = updated_at_by_key()

    run = import_service_requests(path=path)

    assert (run.inserted, run.updated) == (0, 0)
    assert run.unchanged == first.inserted
    assert not ServiceRequestChange.objects.exists()
    assert updated_at_by_key() == before


def test_a_later_export_updates_only_the_rows_that_changed(shared_data, tmp_path):
    path = shared_data / COMBINED
    import_service_requests(path=path)
    clean = ServiceRequest.objects.filter(quality_flags=0, created_at__isnull=False)
    now_closed = list(
        clean.filter(status="Open", closed_at=None).order_by("unique_key")[:2]
    )
    [reclosed] = clean.filter(status="Closed", closed_at__isnull=False).order_by(
        "unique_key"
    )[:1]
    [respaced] = (
        clean.filter(status="Closed")
        .exclude(resolution_text="")
        .exclude(unique_key=reclosed.unique_key)
        .order_by("unique_key")[:1]
    )
    assert len(now_closed) == 2
    before = updated_at_by_key()
    closing_text = "The agency inspected the condition and corrected it."
    edits = {
        request.unique_key: {
            "Status": "Closed",
            "Closed Date": as_published(noon_after(request, 1)),
            "Resolution Description": closing_text,
        }
        for request in now_closed
    }
    new_closed_at = noon_after(reclosed, 2)
    assert new_closed_at != reclosed.closed_at
    edits[reclosed.unique_key] = {"Closed Date": as_published(new_closed_at)}
    respaced_text = respaced.resolution_text.replace(" ", "  ", 1)
    edits[respaced.unique_key] = {"Resolution Description": respaced_text}
    later = tmp_path / "later.csv.gz"
    rows = write_edited_copy(path, later, edits)

    run = import_service_requests(path=later)

    assert (run.inserted, run.updated) == (0, len(edits))
    assert run.unchanged == len(rows) - len(edits)
    changes = {
        change.service_request_id: change.changes
        for change in ServiceRequestChange.objects.filter(import_run=run)
    }
    assert set(changes) == set(edits)
    assert ServiceRequestChange.objects.count() == len(edits)
    for old in now_closed:
        new = ServiceRequest.objects.get(unique_key=old.unique_key)
        assert changes[old.unique_key] == {
            "status": ["Open", "Closed"],
            "closed_at": [None, noon_after(old, 1).isoformat()],
            "resolution_text": [old.resolution_text, closing_text],
            "resolution_description_id": [
                old.resolution_description_id,
                new.resolution_description_id,
            ],
        }
        assert new.resolution_description.versions.get().text == closing_text
    assert changes[reclosed.unique_key] == {
        "closed_at": [reclosed.closed_at.isoformat(), new_closed_at.isoformat()]
    }
    # Only the spacing changed, so the request keeps its description.
    assert changes[respaced.unique_key] == {
        "resolution_text": [respaced.resolution_text, respaced_text]
    }
    after = updated_at_by_key()
    assert {key for key in after if after[key] != before[key]} == set(edits)


def test_the_excel_resaved_export_is_read_with_its_bom_and_short_dates(shared_data):
    path = (
        shared_data
        / "raw"
        / "nyc311"
        / "S22__hadro__info654fa22__data_311_sample.csv.gz"
    )
    rows = read_csv_rows(path)
    sample = rows[0]

    run = import_service_requests(path=path)

    assert run.inserted == len({row["Unique Key"] for row in rows})
    assert run.rejected == 0
    request = ServiceRequest.objects.get(unique_key=int(sample["Unique Key"]))
    short_date = "%m/%d/%y %H:%M"
    assert request.created_at == new_york(
        datetime.strptime(sample["Created Date"], short_date)
    )
    assert request.closed_at == new_york(
        datetime.strptime(sample["Closed Date"], short_date)
    )
    assert request.due_at == new_york(datetime.strptime(sample["Due Date"], short_date))
    assert request.status == sample["Status"]
    assert request.agency_id == sample["Agency"]
    assert request.complaint_type.name == sample["Complaint Type"]
    assert request.descriptor == sample["Descriptor"]
    assert request.incident_zip == sample["Incident Zip"]
    assert request.bbl == sample["BBL"]
    assert request.borough == sample["Borough"]
    assert request.latitude == float(sample["Latitude"])
    assert request.longitude == float(sample["Longitude"])
    assert request.resolution_text == sample["Resolution Description"]
    assert request.channel == sample["Open Data Channel Type"]


@pytest.mark.parametrize(
    "name",
    [
        "S02__AnthonyUPF__lab-sql-intro-es__311_Service_Requests.json.gz",
        "S18b__mzuber88__TwoSixDgraphDemo__data_fhrw-4uyv.json.gz",
    ],
)
def test_an_api_json_export_is_read_with_iso_local_times(shared_data, name):
    path = shared_data / "raw" / "nyc311" / name
    items = read_json_items(path)
    sample = items[0]

    run = import_service_requests(path=path)

    assert run.source_format == "json+gzip"
    assert run.inserted == len({item["unique_key"] for item in items})
    assert run.rejected == 0
    request = ServiceRequest.objects.get(unique_key=int(sample["unique_key"]))
    iso = "%Y-%m-%dT%H:%M:%S.%f"
    assert request.created_at == new_york(
        datetime.strptime(sample["created_date"], iso)
    )
    if "closed_date" in sample:
        assert request.closed_at == new_york(
            datetime.strptime(sample["closed_date"], iso)
        )
    else:
        assert request.closed_at is None
    assert request.status == sample["status"]
    assert request.agency_id == sample["agency"]
    assert request.complaint_type.name == sample["complaint_type"]
    assert request.incident_zip == sample["incident_zip"]
    assert request.borough == sample["borough"]
    assert request.bbl == sample.get("bbl", "")
    assert request.latitude == float(sample["latitude"])
    assert request.longitude == float(sample["longitude"])
    assert request.resolution_text == sample["resolution_description"]
    assert (
        request.resolution_description.versions.get().text
        == (sample["resolution_description"])
    )
