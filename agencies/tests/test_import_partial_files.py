"""A CSV file without some columns leaves those fields of stored requests as they are."""

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import connection

from agencies.importing.loading import PostgresLoader
from agencies.importing.parsing import RowParser
from agencies.importing.sources import Record
from agencies.models import ServiceRequest, ServiceRequestChange
from agencies.quality import FLAG_FIELDS, Flag
from agencies.services import import_service_requests
from resolutions.models import ResolutionNotice

pytestmark = pytest.mark.django_db

FULL_HEADER = [
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Agency",
    "Complaint Type",
    "Status",
    "Resolution Description",
    "Incident Address",
    "Street Name",
    "Borough",
    "Incident Zip",
]
CLOSED_POTHOLE = [
    "8001",
    "01/05/2024 10:00:00 AM",
    "01/06/2024 09:00:00 AM",
    "DOT",
    "Pothole",
    "Closed",
    "The pothole was repaired.",
    "12 MAIN ST",
    "MAIN ST",
    "BROOKLYN",
    "11201",
]
OPEN_POTHOLE = [*CLOSED_POTHOLE[:2], "", *CLOSED_POTHOLE[3:5], "Open"]
OPEN_POTHOLE += CLOSED_POTHOLE[6:]


@pytest.fixture(params=["orm", "postgres"])
def method(request):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the COPY path needs PostgreSQL")
    return request.param


def write_csv(path: Path, *rows: list[str]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        csv.writer(file).writerows(rows)
    return path


def stored(key: int = 8001) -> dict:
    values = ServiceRequest.objects.filter(pk=key).values().get()
    del values["updated_at"]
    return values


def test_a_file_without_some_columns_keeps_those_fields_of_a_stored_request(
    tmp_path, method
):
    full = write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE)
    partial = write_csv(
        tmp_path / "partial.csv",
        ["Unique Key", "Agency", "Complaint Type"],
        ["8001", "DOT", "Pothole"],
    )
    import_service_requests(path=full, method=method)
    before = stored()

    partial_run = import_service_requests(path=partial, method=method)
    after_partial = stored()
    full_again = import_service_requests(path=full, method=method)

    assert after_partial == before
    assert before["status"] == "Closed"
    assert before["closed_at"] == datetime(2024, 1, 6, 14, 0, tzinfo=UTC)
    assert before["resolution_text"] == "The pothole was repaired."
    assert before["resolution_description_id"] is not None
    assert (before["borough"], before["incident_address"]) == ("BROOKLYN", "12 MAIN ST")
    assert (partial_run.updated, partial_run.unchanged) == (0, 1)
    assert (full_again.updated, full_again.unchanged) == (0, 1)
    assert stored() == before
    assert not ServiceRequestChange.objects.exists()
    assert ResolutionNotice.objects.filter(service_request_id=8001).count() == 1


def test_a_partial_file_records_only_the_changed_fields_it_has(tmp_path, method):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    partial = write_csv(
        tmp_path / "partial.csv",
        ["Unique Key", "Agency", "Street Name"],
        ["8001", "DOT", "MAIN STREET"],
    )

    run = import_service_requests(path=partial, method=method)

    assert (run.updated, run.unchanged) == (1, 0)
    change = ServiceRequestChange.objects.get()
    assert change.changes == {"street_name": ["MAIN ST", "MAIN STREET"]}
    request = ServiceRequest.objects.get(pk=8001)
    assert request.street_name == "MAIN STREET"
    assert request.incident_address == "12 MAIN ST"


def test_a_partial_file_that_closes_a_request_updates_only_that_and_closes_it_once(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "open.csv", FULL_HEADER, OPEN_POTHOLE),
        method=method,
    )
    closing = write_csv(
        tmp_path / "closing.csv",
        ["Unique Key", "Status", "Closed Date"],
        ["8001", "Closed", "01/06/2024 09:00:00 AM"],
    )

    run = import_service_requests(path=closing, method=method)
    again = import_service_requests(path=closing, method=method)

    assert (run.updated, again.unchanged) == (1, 1)
    change = ServiceRequestChange.objects.get()
    assert change.changes == {
        "status": ["Open", "Closed"],
        "closed_at": [None, "2024-01-06T14:00:00+00:00"],
    }
    request = ServiceRequest.objects.get(pk=8001)
    assert request.resolution_text == "The pothole was repaired."
    assert request.borough == "BROOKLYN"
    notice = ResolutionNotice.objects.get(service_request_id=8001)
    assert notice.version.text == "The pothole was repaired."


def test_status_closed_in_a_file_without_a_closed_date_column_is_not_a_missing_date(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    status_only = write_csv(
        tmp_path / "status.csv", ["Unique Key", "Status"], ["8001", "Closed"]
    )

    run = import_service_requests(path=status_only, method=method)

    request = ServiceRequest.objects.get(pk=8001)
    assert request.closed_at == datetime(2024, 1, 6, 14, 0, tzinfo=UTC)
    assert request.flags == []
    assert run.flag_counts == {}
    assert run.unchanged == 1


def test_new_requests_from_a_partial_file_have_the_absent_fields_empty(
    tmp_path, method
):
    partial = write_csv(
        tmp_path / "partial.csv",
        ["Unique Key", "Agency", "Complaint Type"],
        ["8002", "DOT", "Pothole"],
    )

    run = import_service_requests(path=partial, method=method)

    request = ServiceRequest.objects.get(pk=8002)
    assert run.inserted == 1
    assert (request.status, request.closed_at, request.created_at) == ("", None, None)
    assert (request.borough, request.incident_address, request.resolution_text) == (
        "",
        "",
        "",
    )
    assert request.complaint_type.name == "Pothole"
    # Absent columns say nothing about the request: no "Borough missing" flag.
    assert request.flags == []


def test_flags_of_absent_columns_stay_and_flags_of_present_columns_are_recomputed(
    tmp_path, method
):
    hoboken = [*CLOSED_POTHOLE[:9], "Hoboken", "N/A"]
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, hoboken), method=method
    )
    zip_fixed = write_csv(
        tmp_path / "zip.csv", ["Unique Key", "Incident Zip"], ["8001", "11201"]
    )

    import_service_requests(path=zip_fixed, method=method)

    request = ServiceRequest.objects.get(pk=8001)
    assert request.incident_zip == "11201"
    assert request.flags == [Flag.INVALID_BOROUGH]
    assert request.raw_values == {"borough": "Hoboken"}
    assert ServiceRequestChange.objects.get().changes == {
        "incident_zip": ["", "11201"],
        "quality_flags": [
            int(Flag.INVALID_ZIP | Flag.INVALID_BOROUGH),
            int(Flag.INVALID_BOROUGH),
        ],
        "raw_values": [
            {"borough": "Hoboken", "incident_zip": "N/A"},
            {"borough": "Hoboken"},
        ],
    }


def test_the_run_names_the_columns_a_file_lacks(tmp_path, method):
    path = write_csv(
        tmp_path / "partial.csv",
        ["Unique Key", "Agency", "Complaint Type", "Latitude", "Longitude"],
        ["8002", "DOT", "Pothole", "40.7", "-73.9"],
    )

    run = import_service_requests(path=path, method=method)

    run.refresh_from_db()
    assert "closed_date" in run.missing_columns
    assert "resolution_description" in run.missing_columns
    assert "agency" not in run.missing_columns
    # Latitude and Longitude fill the coordinates without Location.
    assert "location" not in run.missing_columns


def test_a_json_record_without_a_field_still_empties_it(tmp_path, method):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    path = tmp_path / "later.json"
    # Socrata's JSON leaves out the keys of null fields.
    path.write_text(
        json.dumps([{"unique_key": "8001", "agency": "DOT", "status": "Open"}])
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(pk=8001)
    assert run.missing_columns == []
    assert (request.status, request.closed_at, request.borough) == ("Open", None, "")


HEAT_HEADER = [
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Agency",
    "Agency Name",
    "Complaint Type",
    "Status",
    "Resolution Description",
]
OPEN_HEAT = [
    "900001",
    "04/01/2024 10:00:00 AM",
    "",
    "HPD",
    "Department of Housing Preservation and Development",
    "HEAT/HOT WATER",
    "Open",
    "",
]
VIOLATIONS = (
    "The Department of Housing Preservation and Development inspected the "
    "following conditions. Violations were issued."
)
NO_AGENCY_HEADER = [
    "Unique Key",
    "Problem (formerly Complaint Type)",
    "Status",
    "Closed Date",
    "Resolution Description",
]
CLOSED_HEAT_WITHOUT_AGENCY = [
    "900001",
    "HEAT/HOT WATER",
    "Closed",
    "04/03/2024 09:00:00 AM",
    VIOLATIONS,
]


def test_a_closure_from_a_file_without_an_agency_column_records_the_notice_once(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "open.csv", HEAT_HEADER, OPEN_HEAT), method=method
    )
    closing = write_csv(
        tmp_path / "closing.csv", NO_AGENCY_HEADER, CLOSED_HEAT_WITHOUT_AGENCY
    )

    run = import_service_requests(path=closing, method=method)
    again = import_service_requests(path=closing, method=method)
    full = [*OPEN_HEAT[:2], "04/03/2024 09:00:00 AM", *OPEN_HEAT[3:6], "Closed"]
    full_run = import_service_requests(
        path=write_csv(tmp_path / "full.csv", HEAT_HEADER, [*full, VIOLATIONS]),
        method=method,
    )

    request = ServiceRequest.objects.get(pk=900001)
    assert (run.updated, again.unchanged, full_run.unchanged) == (1, 1, 1)
    assert request.status == "Closed"
    assert request.agency_id == "HPD"
    assert request.resolution_description.agency_id == "HPD"
    notice = ResolutionNotice.objects.get(service_request_id=900001)
    assert notice.version.text == VIOLATIONS
    assert notice.closed_at == datetime(2024, 4, 3, 13, 0, tzinfo=UTC)


def test_a_file_without_an_agency_column_maps_the_complaint_type_under_the_stored_agency(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "open.csv", HEAT_HEADER, OPEN_HEAT), method=method
    )
    heat = ServiceRequest.objects.get(pk=900001).complaint_type_id
    plumbing = write_csv(
        tmp_path / "plumbing.csv",
        ["Unique Key", "Complaint Type"],
        ["900001", "PLUMBING"],
    )

    run = import_service_requests(path=plumbing, method=method)

    request = ServiceRequest.objects.get(pk=900001)
    assert run.updated == 1
    assert (request.complaint_type.agency_id, request.complaint_type.name) == (
        "HPD",
        "PLUMBING",
    )
    assert ServiceRequestChange.objects.get().changes == {
        "complaint_type_id": [heat, request.complaint_type_id]
    }


def test_a_request_moved_by_a_file_with_only_an_agency_takes_that_agencys_type_and_text(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    moved = write_csv(tmp_path / "moved.csv", ["Unique Key", "Agency"], ["8001", "DEP"])

    run = import_service_requests(path=moved, method=method)
    again = import_service_requests(path=moved, method=method)

    request = ServiceRequest.objects.get(pk=8001)
    assert (run.updated, again.unchanged) == (1, 1)
    assert (request.complaint_type.agency_id, request.complaint_type.name) == (
        "DEP",
        "Pothole",
    )
    assert request.resolution_description.agency_id == "DEP"
    assert request.resolution_text == "The pothole was repaired."
    assert set(ServiceRequestChange.objects.get().changes) == {
        "agency_id",
        "complaint_type_id",
        "resolution_description_id",
    }


@pytest.mark.parametrize("with_agency", [True, False], ids=["agency", "no-agency"])
def test_a_changed_resolution_text_moves_the_request_to_its_description(
    tmp_path, method, with_agency
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    before = ServiceRequest.objects.get(pk=8001).resolution_description_id
    header, row = ["Unique Key", "Resolution Description"], ["8001", "Not found."]
    if with_agency:
        header, row = [*header, "Agency"], [*row, "DOT"]

    import_service_requests(
        path=write_csv(tmp_path / "text.csv", header, row), method=method
    )

    request = ServiceRequest.objects.get(pk=8001)
    assert request.resolution_text == "Not found."
    assert request.resolution_description_id != before
    assert request.resolution_description.agency_id == "DOT"
    assert request.resolution_description.versions.get().text == "Not found."


def test_a_new_request_from_a_file_without_an_agency_column_has_no_type_or_description(
    tmp_path, method
):
    path = write_csv(
        tmp_path / "no-agency.csv", NO_AGENCY_HEADER, CLOSED_HEAT_WITHOUT_AGENCY
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(pk=900001)
    assert run.inserted == 1
    assert request.agency_id is None
    assert (request.complaint_type_id, request.resolution_description_id) == (
        None,
        None,
    )
    assert request.resolution_text == VIOLATIONS
    assert not ResolutionNotice.objects.exists()


NOISE = [
    "03/05/2024 10:00:00 AM",
    "03/06/2024 09:00:00 AM",
    "NYPD",
    "New York City Police Department",
    "Noise - Residential",
    "Closed",
    "",
]


def test_a_closed_date_before_the_stored_created_date_is_dropped_as_in_a_full_row(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "noise.csv", HEAT_HEADER, ["900004", *NOISE]),
        method=method,
    )
    early = "03/01/2024 09:00:00 AM"
    full_row = ["900005", NOISE[0], early, *NOISE[2:]]
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", HEAT_HEADER, full_row), method=method
    )

    run = import_service_requests(
        path=write_csv(
            tmp_path / "early.csv",
            ["Unique Key", "Agency", "Closed Date"],
            ["900004", "NYPD", early],
        ),
        method=method,
    )

    request, from_full_row = ServiceRequest.objects.in_bulk([900004, 900005]).values()
    assert run.updated == 1
    assert request.closed_at is None
    assert request.flags == [Flag.CLOSED_BEFORE_CREATED, Flag.CLOSED_WITHOUT_DATE]
    assert request.raw_values == {"closed_at": early}
    assert run.flag_counts == {flag.code: 1 for flag in request.flags}
    assert (from_full_row.closed_at, from_full_row.flags) == (None, request.flags)
    assert from_full_row.raw_values == request.raw_values


def test_a_created_date_after_the_stored_closed_date_drops_it_until_a_closed_date_comes(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    later_created = write_csv(
        tmp_path / "created.csv",
        ["Unique Key", "Created Date"],
        ["8001", "01/07/2024 10:00:00 AM"],
    )
    closed_later = write_csv(
        tmp_path / "closed.csv",
        ["Unique Key", "Closed Date"],
        ["8001", "01/08/2024 09:00:00 AM"],
    )

    import_service_requests(path=later_created, method=method)
    dropped = ServiceRequest.objects.get(pk=8001)
    again = import_service_requests(path=later_created, method=method)
    import_service_requests(path=closed_later, method=method)

    request = ServiceRequest.objects.get(pk=8001)
    assert dropped.closed_at is None
    assert dropped.flags == [Flag.CLOSED_BEFORE_CREATED, Flag.CLOSED_WITHOUT_DATE]
    assert dropped.raw_values == {"closed_at": "01/06/2024 09:00:00 AM"}
    assert again.unchanged == 1
    assert again.flag_counts == {flag.code: 1 for flag in dropped.flags}
    assert request.closed_at == datetime(2024, 1, 8, 14, 0, tzinfo=UTC)
    assert (request.flags, request.raw_values) == ([], {})


def test_emptying_the_closed_date_of_a_closed_request_flags_it_closed_without_a_date(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, CLOSED_POTHOLE),
        method=method,
    )
    header = ["Unique Key", "Closed Date"]

    import_service_requests(
        path=write_csv(tmp_path / "empty.csv", header, ["8001", ""]), method=method
    )
    emptied = ServiceRequest.objects.get(pk=8001)
    import_service_requests(
        path=write_csv(
            tmp_path / "date.csv", header, ["8001", "01/06/2024 09:00:00 AM"]
        ),
        method=method,
    )

    request = ServiceRequest.objects.get(pk=8001)
    assert (emptied.status, emptied.closed_at) == ("Closed", None)
    assert emptied.flags == [Flag.CLOSED_WITHOUT_DATE]
    assert request.closed_at == datetime(2024, 1, 6, 14, 0, tzinfo=UTC)
    assert request.flags == []


@pytest.mark.parametrize(
    ("stored_row", "status", "flag"),
    [
        (OPEN_POTHOLE, "Closed", Flag.CLOSED_WITHOUT_DATE),
        (CLOSED_POTHOLE, "Open", Flag.DATE_WITHOUT_CLOSED_STATUS),
    ],
    ids=["closed-without-date", "date-without-closed-status"],
)
def test_a_status_is_checked_against_the_stored_closed_date(
    tmp_path, method, stored_row, status, flag
):
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, stored_row), method=method
    )

    run = import_service_requests(
        path=write_csv(
            tmp_path / "status.csv", ["Unique Key", "Status"], ["8001", status]
        ),
        method=method,
    )

    assert ServiceRequest.objects.get(pk=8001).flags == [flag]
    assert run.flag_counts == {flag.code: 1}


def test_every_flag_names_the_fields_it_is_read_from():
    assert set(FLAG_FIELDS) == set(Flag)


def test_the_parser_sets_no_flag_from_an_absent_column():
    record = Record(line=2, values={"unique_key": "8001", "status": "Closed"})

    *_, flags, raw = RowParser(filled={"status"}).parse(record)
    *_, all_present_flags, _ = RowParser().parse(record)

    assert (flags, raw) == (0, {})
    assert all_present_flags == Flag.CLOSED_WITHOUT_DATE | Flag.MISSING_AGENCY | (
        Flag.UNSPECIFIED_BOROUGH
    )


@pytest.mark.shared_data
def test_a_ten_column_shared_export_keeps_what_it_lacks_of_the_combined_one(
    shared_data, method
):
    combined = shared_data / "nyc311_service_requests_combined.csv.gz"
    narrow = (
        shared_data
        / "nyc311_no_resolution"
        / "toddbirchard__plotlydash-flask-tutorial__data_311-calls.csv.gz"
    )
    import_service_requests(path=combined, method=method)
    kept = ("status", "closed_at", "resolution_text", "borough", "incident_address")
    before = {
        values["unique_key"]: values
        for values in ServiceRequest.objects.values("unique_key", *kept)
    }
    notices = ResolutionNotice.objects.count()

    narrow_run = import_service_requests(path=narrow, method=method)
    import_service_requests(path=combined, method=method)

    after = {
        values["unique_key"]: values
        for values in ServiceRequest.objects.filter(pk__in=before).values(
            "unique_key", *kept
        )
    }
    assert narrow_run.rows_read - narrow_run.inserted == 4  # keys in both files
    assert after == before
    assert ResolutionNotice.objects.count() == notices
    assert "resolution_description" in narrow_run.missing_columns


@pytest.mark.parametrize("bulk", [False, True], ids=["merge", "bulk-load"])
def test_a_partial_file_imported_twice_flags_a_new_request_alike_and_changes_nothing(
    tmp_path, method, bulk, monkeypatch
):
    if bulk:
        if method != "postgres":
            pytest.skip("only PostgresLoader appends new requests in a bulk load")
        monkeypatch.setattr(PostgresLoader, "bulk_load_min_rows", 1)
    path = write_csv(
        tmp_path / "noise.csv",
        ["Unique Key", "Status", "Problem (formerly Complaint Type)"],
        ["8001", "Closed", "Noise"],
    )

    first = import_service_requests(path=path, method=method)
    inserted = stored()
    second = import_service_requests(path=path, method=method)

    assert (first.inserted, second.unchanged, second.updated) == (1, 1, 0)
    assert (inserted["status"], inserted["closed_at"]) == ("Closed", None)
    assert inserted["quality_flags"] == Flag.CLOSED_WITHOUT_DATE
    assert first.flag_counts == second.flag_counts == {"closed_without_date": 1}
    assert stored() == inserted
    assert not ServiceRequestChange.objects.exists()


def test_a_partial_file_correcting_an_unparseable_closed_date_clears_its_flag(
    tmp_path, method
):
    import_service_requests(
        path=write_csv(
            tmp_path / "full.csv",
            ["unique_key", "created_date", "closed_date", "agency", "status"],
            ["9102", "11/01/2026 10:00:00 AM", "11/31/2026", "DOT", "Closed"],
        ),
        method=method,
    )
    unreadable = ServiceRequest.objects.get(pk=9102)

    import_service_requests(
        path=write_csv(
            tmp_path / "fixed.csv",
            ["unique_key", "status", "closed_date"],
            ["9102", "Closed", "11/30/2026 10:00:00 AM"],
        ),
        method=method,
    )

    request = ServiceRequest.objects.get(pk=9102)
    assert unreadable.flags == [Flag.UNPARSEABLE_DATE, Flag.CLOSED_WITHOUT_DATE]
    assert unreadable.raw_values == {"closed_at": "11/31/2026"}
    assert request.closed_at == datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert (request.flags, request.raw_values) == ([], {})


def test_a_file_with_only_a_created_date_clears_the_placeholder_flag_it_corrects(
    tmp_path, method
):
    placeholder = [CLOSED_POTHOLE[0], "01/01/1900 12:00:00 AM", *CLOSED_POTHOLE[2:]]
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", FULL_HEADER, placeholder), method=method
    )
    before = ServiceRequest.objects.get(pk=8001)

    import_service_requests(
        path=write_csv(
            tmp_path / "created.csv",
            ["Unique Key", "Created Date"],
            ["8001", "01/05/2024 10:00:00 AM"],
        ),
        method=method,
    )

    request = ServiceRequest.objects.get(pk=8001)
    assert (before.created_at, before.flags) == (None, [Flag.PLACEHOLDER_DATE])
    assert request.created_at == datetime(2024, 1, 5, 15, 0, tzinfo=UTC)
    assert (request.flags, request.raw_values) == ([], {})


def test_a_stored_unparseable_due_date_stays_flagged_when_a_file_fixes_the_closed_date(
    tmp_path, method
):
    unreadable = [*CLOSED_POTHOLE[:2], "01/32/2024", *CLOSED_POTHOLE[3:], "02/30/2024"]
    import_service_requests(
        path=write_csv(tmp_path / "full.csv", [*FULL_HEADER, "Due Date"], unreadable),
        method=method,
    )
    before = ServiceRequest.objects.get(pk=8001)

    import_service_requests(
        path=write_csv(
            tmp_path / "closed.csv",
            ["Unique Key", "Closed Date"],
            ["8001", "01/06/2024 09:00:00 AM"],
        ),
        method=method,
    )

    request = ServiceRequest.objects.get(pk=8001)
    assert before.flags == [Flag.UNPARSEABLE_DATE, Flag.CLOSED_WITHOUT_DATE]
    assert before.raw_values == {"closed_at": "01/32/2024", "due_at": "02/30/2024"}
    assert request.closed_at == datetime(2024, 1, 6, 14, 0, tzinfo=UTC)
    assert request.flags == [Flag.UNPARSEABLE_DATE]
    assert request.raw_values == {"due_at": "02/30/2024"}
