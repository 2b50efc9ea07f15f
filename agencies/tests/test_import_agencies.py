"""Agencies and complaint types that an import meets."""

import csv
from pathlib import Path

import pytest
from django.db import connection

from agencies.models import Agency, ComplaintType, ServiceRequest
from agencies.nyc import AGENCY_NAMES
from agencies.quality import Flag
from agencies.services import import_service_requests

pytestmark = pytest.mark.django_db

COLUMNS = ["Unique Key", "Agency", "Agency Name", "Complaint Type", "Borough"]


def write_csv(path: Path, *rows: tuple[str, str, str, str]) -> Path:
    """Rows of (unique key, agency, agency name, complaint type) in Brooklyn."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(COLUMNS)
        writer.writerows([*row, "BROOKLYN"] for row in rows)
    return path


def test_a_known_agency_keeps_its_seeded_name_whatever_the_row_calls_it(tmp_path):
    path = write_csv(
        tmp_path / "export.csv", ("1", "HPD", "HPD Code Enforcement", "PLUMBING")
    )

    import_service_requests(path=path)

    assert Agency.objects.get(code="HPD").name == AGENCY_NAMES["HPD"]
    request = ServiceRequest.objects.get(unique_key=1)
    assert request.agency_id == "HPD"
    assert request.agency_name == "HPD Code Enforcement"


def test_every_seeded_agency_has_its_nyc_name():
    seeded = dict(Agency.objects.values_list("code", "name"))

    assert seeded == AGENCY_NAMES


def test_an_unknown_agency_is_created_with_the_name_the_data_gives(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ("1", "MOCJ", "Mayor's Office of Criminal Justice", "Safety"),
    )

    import_service_requests(path=path)

    assert Agency.objects.get(code="MOCJ").name == "Mayor's Office of Criminal Justice"
    assert ServiceRequest.objects.get(unique_key=1).agency_id == "MOCJ"


def test_an_unknown_agency_named_several_ways_takes_the_most_common_name(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ("1", "MOCJ", "Criminal Justice Office", "Safety"),
        ("2", "MOCJ", "Mayor's Office of Criminal Justice", "Safety"),
        ("3", "MOCJ", "", "Safety"),
        ("4", "MOCJ", "Mayor's Office of Criminal Justice", "Safety"),
    )

    import_service_requests(path=path)

    assert Agency.objects.get(code="MOCJ").name == "Mayor's Office of Criminal Justice"


def test_an_unknown_agency_without_a_name_is_named_by_its_code(tmp_path):
    path = write_csv(tmp_path / "export.csv", ("1", "MOCJ", "", "Safety"))

    import_service_requests(path=path)

    assert Agency.objects.get(code="MOCJ").name == "MOCJ"


def test_agency_codes_are_read_in_capitals(tmp_path):
    path = write_csv(tmp_path / "export.csv", ("1", " dot ", "", "Street Condition"))

    import_service_requests(path=path)

    assert ServiceRequest.objects.get(unique_key=1).agency_id == "DOT"
    assert not Agency.objects.filter(code__in=["dot", " dot "]).exists()


def test_a_row_without_an_agency_is_stored_and_flagged(tmp_path):
    path = write_csv(tmp_path / "export.csv", ("1", "", "", "Noise"))

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.agency is None
    assert request.complaint_type is None
    assert request.flags == [Flag.MISSING_AGENCY]


def test_complaint_types_are_created_per_agency(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        ("1", "NYPD", "New York City Police Department", "Noise"),
        ("2", "DEP", "Department of Environmental Protection", "Noise"),
        ("3", "DEP", "Department of Environmental Protection", "Noise"),
        ("4", "HPD", "", "PLUMBING"),
        ("5", "HPD", "", "Plumbing"),
    )

    import_service_requests(path=path)

    assert sorted(ComplaintType.objects.values_list("agency_id", "name")) == [
        ("DEP", "Noise"),
        ("HPD", "PLUMBING"),
        ("HPD", "Plumbing"),
        ("NYPD", "Noise"),
    ]
    linked = {
        request.unique_key: (
            request.complaint_type.agency_id,
            request.complaint_type.name,
        )
        for request in ServiceRequest.objects.select_related("complaint_type")
    }
    assert linked == {
        1: ("NYPD", "Noise"),
        2: ("DEP", "Noise"),
        3: ("DEP", "Noise"),
        4: ("HPD", "PLUMBING"),
        5: ("HPD", "Plumbing"),
    }


def test_a_second_import_reuses_existing_agencies_and_complaint_types(tmp_path):
    first = write_csv(
        tmp_path / "first.csv", ("1", "MOCJ", "Criminal Justice", "Safety")
    )
    import_service_requests(path=first)
    second = write_csv(
        tmp_path / "second.csv",
        ("2", "MOCJ", "Another Name", "Safety"),
        ("3", "NYPD", "", "Safety"),
    )

    import_service_requests(path=second)

    assert Agency.objects.get(code="MOCJ").name == "Criminal Justice"
    assert ComplaintType.objects.filter(agency_id="MOCJ").count() == 1
    assert ComplaintType.objects.filter(name="Safety").count() == 2
    first_type = ServiceRequest.objects.get(unique_key=1).complaint_type_id
    assert ServiceRequest.objects.get(unique_key=2).complaint_type_id == first_type


def test_a_complaint_type_longer_than_the_column_is_cut_and_kept_raw(tmp_path):
    long_name = "Very long complaint type " * 10
    path = write_csv(tmp_path / "export.csv", ("1", "DOT", "", long_name))

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.complaint_type.name == long_name.strip()[:200]
    assert request.raw_values == {"complaint_type": long_name.strip()}


@pytest.mark.parametrize("method", ["orm", "postgres"])
def test_a_new_agency_takes_the_name_most_common_over_the_whole_file(tmp_path, method):
    if method == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the COPY path needs PostgreSQL")
    # More rows than one ORM batch: the first batch sees only the first name.
    rows = [("1", "XYZ", "Alpha Office", "Thing")]
    rows += [(str(n), "DOT", "", "Pothole") for n in range(2, 2001)]
    rows += [(str(n), "XYZ", "Beta Office", "Thing") for n in range(2001, 2011)]
    path = write_csv(tmp_path / "export.csv", *rows)

    import_service_requests(path=path, method=method)

    assert Agency.objects.get(code="XYZ").name == "Beta Office"
