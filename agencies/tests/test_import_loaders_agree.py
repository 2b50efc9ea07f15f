"""The PostgreSQL COPY loader and the portable ORM loader store exactly the same thing."""

import csv
from pathlib import Path

import pytest
from django.db import connection, transaction

from agencies.importing.loading import PostgresLoader
from agencies.importing.sources import SourceError
from agencies.models import (
    Agency,
    ComplaintType,
    ImportRun,
    ServiceRequest,
    ServiceRequestChange,
)
from agencies.quality import Flag
from agencies.services import import_service_requests
from resolutions.models import DescriptionVersion, LegacyText, ResolutionNotice

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the postgres import method needs PostgreSQL (set DATABASE_URL)",
    ),
]

COLUMNS = [
    "Unique Key",
    "Created Date",
    "Closed Date",
    "Due Date",
    "Agency",
    "Agency Name",
    "Complaint Type",
    "Incident Zip",
    "Borough",
    "BBL",
    "Status",
    "Resolution Description",
    "Open Data Channel Type",
    "Latitude",
    "Longitude",
    "Location",
]
ROW = {
    "Created Date": "01/15/2024 10:00:00 AM",
    "Agency": "HPD",
    "Complaint Type": "HEAT/HOT WATER",
    "Incident Zip": "11204",
    "Borough": "BROOKLYN",
    "Status": "Open",
    "Latitude": "40.6123",
    "Longitude": "-73.9876",
}
CLEAN = "Please visit the Department of Transportation’s website for details."
MOJIBAKE = CLEAN.encode().decode("latin-1")

# A first export with every quirk the parser knows, repeats and rejects.
FIRST = [
    {"Unique Key": "1", "Resolution Description": "The inspector found heat."},
    {"Unique Key": "2", "Agency": "DOT", "Resolution Description": CLEAN},
    {"Unique Key": "3", "Agency": "DOT", "Resolution Description": MOJIBAKE + "  "},
    {
        "Unique Key": "4",
        "Created Date": "02/28/2023 11:45:00 PM",
        "Closed Date": "01/01/2023 01:00:00 AM",
        "Status": "Closed",
    },
    {"Unique Key": "5", "Closed Date": "01/01/1900 12:00:00 AM", "Status": "Closed"},
    {"Unique Key": "6", "Due Date": "12/31/9999 11:59:59 PM"},
    {"Unique Key": "7", "Due Date": "not a date"},
    {"Unique Key": "8", "Created Date": "11/03/2024 01:30:00 AM"},
    {"Unique Key": "9", "Created Date": "2024-03-10T02:30:00.000"},
    {"Unique Key": "10", "Incident Zip": "11204.0", "BBL": "3012340056.0"},
    {"Unique Key": "11", "Incident Zip": "N/A", "BBL": "0", "Borough": "Unspecified"},
    {"Unique Key": "12", "Incident Zip": "07030", "Borough": "Hoboken"},
    {"Unique Key": "13", "Latitude": "34.05", "Longitude": "-118.24"},
    {
        "Unique Key": "14",
        "Latitude": "",
        "Longitude": "",
        "Location": "POINT (-73.9 40.7)",
    },
    {"Unique Key": "15", "Status": "Resolved", "Open Data Channel Type": "Fax"},
    {"Unique Key": "16", "Closed Date": "01/16/2024 10:00:00 AM", "Status": "Open"},
    {"Unique Key": "17", "Agency": "MOCJ", "Agency Name": "Criminal Justice"},
    {"Unique Key": "18", "Agency": "MOCJ", "Agency Name": "Mayor's Office of CJ"},
    {"Unique Key": "19", "Agency": "MOCJ", "Agency Name": "Mayor's Office of CJ"},
    {"Unique Key": "20", "Agency": "", "Resolution Description": CLEAN},
    {"Unique Key": "21", "Resolution Description": "Line one.\nLine two."},
    {"Unique Key": "1", "Status": "Closed"},
    {"Unique Key": "abc"},
    {"Unique Key": "12.5"},
]
# A later export: some requests changed in every kind of field, some not, some new.
SECOND = [
    {"Unique Key": "1", "Resolution Description": "The inspector found heat."},
    {
        "Unique Key": "2",
        "Agency": "DOT",
        "Status": "Closed",
        "Closed Date": "01/17/2024 09:15:00 AM",
        "Resolution Description": "The Department repaired the condition.",
    },
    {"Unique Key": "3", "Agency": "DOT", "Resolution Description": CLEAN},
    {
        "Unique Key": "4",
        "Created Date": "02/28/2023 11:45:00 PM",
        "Closed Date": "03/01/2023 01:00:00 AM",
        "Status": "Closed",
    },
    {"Unique Key": "10", "Incident Zip": "N/A", "BBL": "3012340056"},
    {"Unique Key": "13", "Latitude": "40.75", "Longitude": "-73.95"},
    {"Unique Key": "14", "Latitude": "", "Longitude": "", "Location": ""},
    {"Unique Key": "15", "Status": "In Progress", "Open Data Channel Type": "ONLINE"},
    {"Unique Key": "16", "Agency": "DOT", "Complaint Type": "Street Condition"},
    {"Unique Key": "17", "Agency": "OATH", "Agency Name": "Trials and Hearings"},
    {"Unique Key": "22", "Agency": "DOT", "Resolution Description": MOJIBAKE},
    {"Unique Key": "22", "Agency": "NYPD"},
    {"Unique Key": ""},
]

# A later export with only some of the columns: what it lacks stays as stored.
PARTIAL_COLUMNS = ["Unique Key", "Agency", "Complaint Type", "Status", "Incident Zip"]
PARTIAL = [
    # Stored Closed with its date: Closed again, without a Closed Date column.
    {"Unique Key": "2", "Agency": "DOT", "Status": "Closed"},
    # Stored Open without a closed date: closed by a file that has no Closed Date
    # column, so closed without a date.
    {"Unique Key": "1", "Agency": "HPD", "Status": "Closed"},
    # Stored Closed without a date (placeholder), flagged and kept raw: unchanged.
    {"Unique Key": "5", "Agency": "HPD", "Status": "Closed"},
    # Zip repaired; the invalid borough and its raw text stay.
    {"Unique Key": "12", "Agency": "HPD", "Incident Zip": "11204"},
    # Stored with an invalid zip kept raw: repaired, flag and raw value go.
    {"Unique Key": "10", "Agency": "HPD", "Incident Zip": "11204"},
    # Another zip; the coordinates stay.
    {"Unique Key": "13", "Agency": "HPD", "Incident Zip": "10001"},
    # Another complaint type; its resolution description stays.
    {"Unique Key": "16", "Agency": "DOT", "Complaint Type": "Pothole"},
    {"Unique Key": "30", "Agency": "DOT", "Complaint Type": "Pothole"},
]

# A later export without an Agency column: complaint types and resolution texts of
# stored requests are mapped under their own agencies.
NO_AGENCY_COLUMNS = ["Unique Key", "Complaint Type", "Status", "Resolution Description"]
NO_AGENCY = [
    # Stored Open (HPD): closed, with a new resolution text, so a notice is recorded.
    {"Unique Key": "1", "Status": "Closed", "Resolution Description": "Heat restored."},
    # Stored Closed (DOT): another complaint type, the same resolution text.
    {
        "Unique Key": "2",
        "Complaint Type": "Street Light Condition",
        "Status": "Closed",
        "Resolution Description": "The Department repaired the condition.",
    },
    # Stored without an agency: no complaint type to map under; unchanged.
    {"Unique Key": "20", "Complaint Type": "Noise", "Resolution Description": CLEAN},
    # New: no agency, so no complaint type or description either.
    {"Unique Key": "31", "Resolution Description": CLEAN},
]

# A later export with only closed dates: the closure flags of stored requests are
# decided on them with the stored created dates and statuses.
# A later export with an Agency column but no Complaint Type or Resolution
# Description: a request it moves takes the complaint type and description of the
# same name and text under its new agency.
MOVED_COLUMNS = ["Unique Key", "Agency", "Status"]
MOVED = [
    # Stored Closed under DOT: moved to DEP.
    {"Unique Key": "2", "Agency": "DEP", "Status": "Closed"},
    # Stored Open under HPD: closed where it is, with its stored resolution text.
    {"Unique Key": "1", "Agency": "HPD", "Status": "Closed"},
    # New: no complaint type or description.
    {"Unique Key": "33", "Agency": "DEP"},
]

CLOSED_DATE_COLUMNS = ["Unique Key", "Closed Date"]
CLOSED_DATES = [
    # Stored created 02/28/2023, Closed: a closed date before it is dropped.
    {"Unique Key": "4", "Closed Date": "01/01/2023 01:00:00 AM"},
    # Stored Closed: its closed date emptied.
    {"Unique Key": "2", "Closed Date": ""},
    # Stored Open without a closed date: given one.
    {"Unique Key": "16", "Closed Date": "01/18/2024 10:00:00 AM"},
    # New: the parser's flags, none from absent columns.
    {"Unique Key": "32", "Closed Date": "01/18/2024 10:00:00 AM"},
]


def write_csv(
    path: Path,
    rows: list[dict[str, str]],
    extra_line: str = "",
    columns: list[str] = COLUMNS,
) -> Path:
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(ROW | row for row in rows)
        file.write(extra_line)
    return path


def stored_state() -> dict:
    """Everything an import stores, with generated ids replaced by natural keys."""
    complaint_types = {
        pk: (agency, name)
        for pk, agency, name in ComplaintType.objects.values_list(
            "pk", "agency_id", "name"
        )
    }
    descriptions = {
        pk: (agency, text)
        for pk, agency, text in DescriptionVersion.objects.filter(
            is_legacy=True
        ).values_list("description_id", "description__agency_id", "text")
    }
    natural = {
        "complaint_type_id": complaint_types,
        "resolution_description_id": descriptions,
    }

    requests = {}
    for values in ServiceRequest.objects.values():
        del values["imported_at"], values["updated_at"]
        for field, names in natural.items():
            values[field] = names.get(values[field])
        requests[values.pop("unique_key")] = values

    changes = {}
    for change in ServiceRequestChange.objects.all():
        translated = dict(change.changes)
        for field, names in natural.items():
            if field in translated:
                translated[field] = [names.get(pk) for pk in translated[field]]
        changes[change.service_request_id] = translated

    notices = {
        notice.service_request_id: (
            notice.version.description.agency_id,
            notice.version.text,
            notice.closed_at,
        )
        for notice in ResolutionNotice.objects.select_related("version__description")
    }

    return {
        "requests": requests,
        "changes": changes,
        "notices": notices,
        "agencies": dict(Agency.objects.values_list("code", "name")),
        "complaint_types": sorted(complaint_types.values()),
        "descriptions": sorted(descriptions.values()),
        "legacy_texts": sorted(LegacyText.objects.values_list("agency_id", "text")),
    }


def outcome(run: ImportRun) -> dict:
    rejects = Path(run.rejects_file).read_text() if run.rejects_file else ""
    return {
        "status": run.status,
        "format": run.source_format,
        "counts": (
            run.rows_read,
            run.inserted,
            run.updated,
            run.unchanged,
            run.duplicates,
            run.rejected,
        ),
        "flags": run.flag_counts,
        "rejects": rejects,
    }


def import_and_forget(method: str, *paths: Path) -> tuple[dict, list[dict]]:
    """Import the files in turn from the same starting point, then undo them."""
    with transaction.atomic():
        runs = [import_service_requests(path=path, method=method) for path in paths]
        state = stored_state(), [outcome(run) for run in runs]
        transaction.set_rollback(True)
    return state


def state_both_loaders_agree_on(*paths: Path) -> tuple[dict, list[dict]]:
    """What the ORM loader stores from the files in turn, once the PostgreSQL
    loader is shown to store and report exactly the same."""
    orm_state, orm_runs = import_and_forget("orm", *paths)
    postgres_state, postgres_runs = import_and_forget("postgres", *paths)
    assert postgres_state == orm_state
    assert postgres_runs == orm_runs
    return orm_state, orm_runs


def test_both_loaders_store_the_same_requests_changes_and_counts(tmp_path):
    first = write_csv(
        tmp_path / "first.csv",
        FIRST,
        extra_line="23,01/15/2024 10:00:00 AM,too,few,fields\r\n",
    )
    second = write_csv(tmp_path / "second.csv", SECOND)

    orm_state, orm_runs = import_and_forget("orm", first, second)
    postgres_state, postgres_runs = import_and_forget("postgres", first, second)

    assert postgres_state["requests"] == orm_state["requests"]
    assert postgres_state["changes"] == orm_state["changes"]
    assert postgres_state["agencies"] == orm_state["agencies"]
    assert postgres_state["complaint_types"] == orm_state["complaint_types"]
    assert postgres_state["descriptions"] == orm_state["descriptions"]
    assert postgres_state["legacy_texts"] == orm_state["legacy_texts"]
    assert postgres_runs == orm_runs
    # The files exercise what they are meant to: every kind of outcome happens.
    assert orm_runs[0]["counts"] == (25, 21, 0, 0, 1, 3)
    assert orm_runs[1]["counts"] == (13, 1, 9, 1, 1, 1)
    assert len(orm_state["changes"]) == 9
    assert orm_state["agencies"]["MOCJ"] == "Mayor's Office of CJ"


def test_both_loaders_keep_the_fields_a_partial_export_lacks(tmp_path):
    first = write_csv(tmp_path / "first.csv", FIRST)
    second = write_csv(tmp_path / "second.csv", SECOND)
    partial = write_csv(tmp_path / "partial.csv", PARTIAL, columns=PARTIAL_COLUMNS)

    orm_state, orm_runs = state_both_loaders_agree_on(first, second, partial)

    assert orm_runs[2]["counts"] == (8, 1, 5, 2, 0, 0)
    requests, changes = orm_state["requests"], orm_state["changes"]
    assert requests[1]["status"] == "Closed"
    assert requests[1]["quality_flags"] == Flag.CLOSED_WITHOUT_DATE
    assert changes[1] == {
        "status": ["Open", "Closed"],
        "quality_flags": [0, Flag.CLOSED_WITHOUT_DATE],
    }
    assert (requests[10]["quality_flags"], requests[10]["raw_values"]) == (0, {})
    assert requests[12]["incident_zip"] == "11204"
    assert requests[12]["raw_values"] == {"borough": "Hoboken"}
    assert requests[13]["latitude"] == 40.75
    assert requests[16]["complaint_type_id"] == ("DOT", "Pothole")
    assert requests[30]["created_at"] is None


def test_both_loaders_map_a_file_without_an_agency_column_under_stored_agencies(
    tmp_path,
):
    first = write_csv(tmp_path / "first.csv", FIRST)
    second = write_csv(tmp_path / "second.csv", SECOND)
    no_agency = write_csv(
        tmp_path / "no-agency.csv", NO_AGENCY, columns=NO_AGENCY_COLUMNS
    )

    orm_state, orm_runs = state_both_loaders_agree_on(first, second, no_agency)

    assert orm_runs[2]["counts"] == (4, 1, 2, 1, 0, 0)
    requests, notices = orm_state["requests"], orm_state["notices"]
    assert requests[1]["resolution_description_id"] == ("HPD", "Heat restored.")
    assert notices[1][:2] == ("HPD", "Heat restored.")
    assert requests[2]["complaint_type_id"] == ("DOT", "Street Light Condition")
    assert ("DOT", "Street Light Condition") in orm_state["complaint_types"]
    assert requests[20]["complaint_type_id"] is None
    assert requests[20]["resolution_description_id"] is None
    assert requests[31]["resolution_description_id"] is None


def test_both_loaders_decide_closure_flags_on_merged_values(tmp_path):
    first = write_csv(tmp_path / "first.csv", FIRST)
    second = write_csv(tmp_path / "second.csv", SECOND)
    closed_dates = write_csv(
        tmp_path / "closed.csv", CLOSED_DATES, columns=CLOSED_DATE_COLUMNS
    )

    orm_state, orm_runs = state_both_loaders_agree_on(first, second, closed_dates)

    assert orm_runs[2]["counts"] == (4, 1, 3, 0, 0, 0)
    requests = orm_state["requests"]
    assert requests[4]["closed_at"] is None
    assert requests[4]["quality_flags"] == (
        Flag.CLOSED_BEFORE_CREATED | Flag.CLOSED_WITHOUT_DATE
    )
    assert requests[4]["raw_values"] == {"closed_at": "01/01/2023 01:00:00 AM"}
    assert requests[2]["quality_flags"] == Flag.CLOSED_WITHOUT_DATE
    assert requests[16]["quality_flags"] == Flag.DATE_WITHOUT_CLOSED_STATUS
    assert requests[32]["quality_flags"] == 0


def test_both_loaders_move_a_request_to_another_agency_with_its_type_and_text(
    tmp_path,
):
    first = write_csv(tmp_path / "first.csv", FIRST)
    second = write_csv(tmp_path / "second.csv", SECOND)
    moved = write_csv(tmp_path / "moved.csv", MOVED, columns=MOVED_COLUMNS)

    orm_state, orm_runs = state_both_loaders_agree_on(first, second, moved)

    assert orm_runs[2]["counts"] == (3, 1, 2, 0, 0, 0)
    requests, notices = orm_state["requests"], orm_state["notices"]
    assert requests[2]["complaint_type_id"] == ("DEP", "HEAT/HOT WATER")
    assert requests[2]["resolution_description_id"] == (
        "DEP",
        "The Department repaired the condition.",
    )
    assert notices[1][:2] == ("HPD", "The inspector found heat.")
    assert requests[33]["complaint_type_id"] is None


def table_definitions() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT indexdef FROM pg_indexes
            WHERE tablename IN ('agencies_servicerequest', 'resolutions_resolutionnotice')
            UNION ALL
            SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid IN ('agencies_servicerequest'::regclass,
                               'resolutions_resolutionnotice'::regclass)
            """
        )
        return sorted(definition for (definition,) in cursor.fetchall())


# Building an index records the table's size in the catalog outside the
# transaction, so a bulk load rolled back by a test leaves the size it saw. Tests
# of the bulk path load rows into every table they rebuild: a table recorded as
# empty but holding pages misleads the planner of later tests badly.
def test_a_bulk_load_stores_the_same_and_rebuilds_indexes_and_keys(
    tmp_path, monkeypatch
):
    first = write_csv(
        tmp_path / "first.csv",
        FIRST,
        extra_line="23,01/15/2024 10:00:00 AM,too,few,fields\r\n",
    )
    second = write_csv(tmp_path / "second.csv", SECOND)
    definitions = table_definitions()
    orm_state, orm_runs = import_and_forget("orm", first, second)
    monkeypatch.setattr(PostgresLoader, "bulk_load_min_rows", 1)

    bulk_state, bulk_runs = import_and_forget("postgres", first, second)

    assert bulk_state == orm_state
    assert bulk_runs == orm_runs
    assert table_definitions() == definitions
    with transaction.atomic():
        import_service_requests(path=first, method="postgres")
        assert table_definitions() == definitions
        transaction.set_rollback(True)


def test_the_postgres_method_leaves_the_database_as_it_found_it_on_failure(tmp_path):
    path = tmp_path / "other-city.csv"
    path.write_text("case_enquiry_id,open_dt\n101,2022-01-01\n")

    with pytest.raises(SourceError, match="no Unique Key column"):
        import_service_requests(path=path, method="postgres")
    run = import_service_requests(
        path=write_csv(tmp_path / "export.csv", FIRST[:2]), method="postgres"
    )

    assert run.inserted == 2


@pytest.mark.shared_data
def test_both_loaders_store_the_combined_export_identically(shared_data):
    path = shared_data / "nyc311_service_requests_combined.csv.gz"

    orm_state, orm_runs = import_and_forget("orm", path)
    postgres_state, postgres_runs = import_and_forget("postgres", path)

    assert len(orm_state["requests"]) > 20_000
    assert postgres_state["requests"] == orm_state["requests"]
    assert postgres_state["descriptions"] == orm_state["descriptions"]
    assert postgres_state["complaint_types"] == orm_state["complaint_types"]
    assert postgres_runs == orm_runs
