"""Each published-data quirk, in a small file of its own, and what the import stores."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agencies.models import ServiceRequest
from agencies.quality import Flag
from agencies.services import import_service_requests

pytestmark = pytest.mark.django_db

# A clean row in the portal's export layout; each test overrides what it is about.
ROW = {
    "Unique Key": "1001",
    "Created Date": "01/15/2024 10:00:00 AM",
    "Closed Date": "",
    "Agency": "HPD",
    "Agency Name": "Department of Housing Preservation and Development",
    "Complaint Type": "HEAT/HOT WATER",
    "Descriptor": "ENTIRE BUILDING",
    "Location Type": "RESIDENTIAL BUILDING",
    "Incident Zip": "11204",
    "Incident Address": "1601 WEST 7 STREET",
    "Street Name": "WEST 7 STREET",
    "City": "BROOKLYN",
    "Status": "Open",
    "Due Date": "",
    "Resolution Description": "",
    "Resolution Action Updated Date": "",
    "Community Board": "11 BROOKLYN",
    "BBL": "3066150001",
    "Borough": "BROOKLYN",
    "Open Data Channel Type": "PHONE",
    "Latitude": "40.6123",
    "Longitude": "-73.9876",
    "Location": "(40.6123, -73.9876)",
}


def write_csv(path: Path, *changes: dict[str, str]) -> Path:
    """One row per dict of changes to ROW, written as the portal exports it."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=list(ROW))
        writer.writeheader()
        writer.writerows(ROW | change for change in changes)
    return path


def import_row(tmp_path: Path, **changes: str) -> ServiceRequest:
    path = write_csv(tmp_path / "export.csv", changes)
    import_service_requests(path=path)
    return ServiceRequest.objects.get(unique_key=1001)


def test_the_clean_row_is_stored_without_flags(tmp_path):
    path = write_csv(tmp_path / "export.csv", {})

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=1001)
    assert request.created_at == datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    assert request.incident_zip == "11204"
    assert request.borough == "BROOKLYN"
    assert request.bbl == "3066150001"
    assert (request.latitude, request.longitude) == (40.6123, -73.9876)
    assert request.flags == []
    assert request.raw_values == {}


def test_closed_date_before_created_date_is_dropped_and_kept_raw(tmp_path):
    request = import_row(
        tmp_path,
        **{
            "Created Date": "02/28/2023 11:45:00 PM",
            "Closed Date": "01/01/2023 01:00:00 AM",
            "Status": "Closed",
        },
    )

    assert request.created_at == datetime(2023, 3, 1, 4, 45, tzinfo=UTC)
    assert request.closed_at is None
    assert request.raw_values == {"closed_at": "01/01/2023 01:00:00 AM"}
    assert request.flags == [Flag.CLOSED_BEFORE_CREATED, Flag.CLOSED_WITHOUT_DATE]


@pytest.mark.parametrize(
    "placeholder", ["01/01/1900 12:00:00 AM", "1900-01-01T00:00:00.000"]
)
def test_a_1900_placeholder_closed_date_is_dropped_and_kept_raw(tmp_path, placeholder):
    request = import_row(tmp_path, **{"Closed Date": placeholder, "Status": "Closed"})

    assert request.closed_at is None
    assert request.raw_values == {"closed_at": placeholder}
    assert request.flags == [Flag.PLACEHOLDER_DATE, Flag.CLOSED_WITHOUT_DATE]


@pytest.mark.parametrize(
    "far_future",
    [
        "01/15/2099 10:00:00 AM",
        # At the edge of what a datetime holds: converting to UTC overflows.
        "12/31/9999 11:59:59 PM",
        "9999-12-31T23:00:00-05:00",
    ],
)
def test_a_due_date_far_in_the_future_is_dropped_and_kept_raw(tmp_path, far_future):
    request = import_row(tmp_path, **{"Due Date": far_future})

    assert request.due_at is None
    assert request.raw_values == {"due_at": far_future}
    assert request.flags == [Flag.IMPLAUSIBLE_DATE]


def test_a_created_date_before_311_began_is_dropped_and_kept_raw(tmp_path):
    request = import_row(tmp_path, **{"Created Date": "06/01/1999 10:00:00 AM"})

    assert request.created_at is None
    assert request.raw_values == {"created_at": "06/01/1999 10:00:00 AM"}
    assert request.flags == [Flag.IMPLAUSIBLE_DATE]


@pytest.mark.parametrize(
    "unreadable",
    ["not a date", "13/45/2024 10:00:00 AM", "02/30/2024", "01/15/2024 13:00:00 PM"],
)
def test_an_unparseable_date_is_dropped_and_kept_raw(tmp_path, unreadable):
    request = import_row(tmp_path, **{"Resolution Action Updated Date": unreadable})

    assert request.resolution_updated_at is None
    assert request.raw_values == {"resolution_updated_at": unreadable}
    assert request.flags == [Flag.UNPARSEABLE_DATE]


def test_status_closed_without_a_closed_date_is_flagged(tmp_path):
    request = import_row(tmp_path, **{"Status": "Closed", "Closed Date": ""})

    assert request.status == ServiceRequest.Status.CLOSED
    assert request.closed_at is None
    assert request.flags == [Flag.CLOSED_WITHOUT_DATE]
    assert request.raw_values == {}


def test_a_closed_date_with_status_open_is_kept_and_flagged(tmp_path):
    request = import_row(
        tmp_path, **{"Status": "Open", "Closed Date": "01/16/2024 09:00:00 AM"}
    )

    assert request.status == ServiceRequest.Status.OPEN
    assert request.closed_at == datetime(2024, 1, 16, 14, 0, tzinfo=UTC)
    assert request.flags == [Flag.DATE_WITHOUT_CLOSED_STATUS]


@pytest.mark.parametrize(
    ("published", "stored"),
    [("11204.0", "11204"), ("10001-1234", "10001"), (" 10463 ", "10463")],
)
def test_a_zip_code_is_stored_as_five_digits(tmp_path, published, stored):
    request = import_row(tmp_path, **{"Incident Zip": published})

    assert request.incident_zip == stored
    assert request.flags == []


@pytest.mark.parametrize("published", ["N/A", "99432-01234", "1120"])
def test_a_zip_that_is_not_a_zip_code_is_dropped_and_kept_raw(tmp_path, published):
    request = import_row(tmp_path, **{"Incident Zip": published})

    assert request.incident_zip == ""
    assert request.raw_values == {"incident_zip": published}
    assert request.flags == [Flag.INVALID_ZIP]


def test_a_zip_outside_the_city_is_dropped_and_kept_raw(tmp_path):
    request = import_row(tmp_path, **{"Incident Zip": "07030"})

    assert request.incident_zip == ""
    assert request.raw_values == {"incident_zip": "07030"}
    assert request.flags == [Flag.OUT_OF_CITY_ZIP]


@pytest.mark.parametrize("published", ["Unspecified", "UNSPECIFIED", ""])
def test_an_unspecified_borough_is_stored_empty_and_flagged(tmp_path, published):
    request = import_row(tmp_path, **{"Borough": published})

    assert request.borough == ""
    assert request.flags == [Flag.UNSPECIFIED_BOROUGH]
    assert request.raw_values == {}


def test_a_borough_outside_the_five_is_dropped_and_kept_raw(tmp_path):
    request = import_row(tmp_path, **{"Borough": "New Jersey"})

    assert request.borough == ""
    assert request.raw_values == {"borough": "New Jersey"}
    assert request.flags == [Flag.INVALID_BOROUGH]


def test_a_borough_in_title_case_is_stored_as_the_choice(tmp_path):
    request = import_row(tmp_path, **{"Borough": "Staten Island"})

    assert request.borough == ServiceRequest.Borough.STATEN_ISLAND
    assert request.flags == []


def test_a_bbl_written_as_a_float_is_stored_as_ten_digits(tmp_path):
    request = import_row(tmp_path, **{"BBL": "1012340056.0"})

    assert request.bbl == "1012340056"
    assert request.flags == []


def test_a_bbl_that_is_not_a_borough_block_lot_is_dropped_and_kept_raw(tmp_path):
    request = import_row(tmp_path, **{"BBL": "0"})

    assert request.bbl == ""
    assert request.raw_values == {"bbl": "0"}
    assert request.flags == [Flag.INVALID_BBL]


@pytest.mark.parametrize(
    ("latitude", "longitude"), [("34.0522", "-118.2437"), ("0", "0"), ("40.7", "")]
)
def test_coordinates_outside_the_city_are_dropped_and_kept_raw(
    tmp_path, latitude, longitude
):
    request = import_row(tmp_path, Latitude=latitude, Longitude=longitude)

    assert (request.latitude, request.longitude) == (None, None)
    assert request.raw_values == {"latitude": latitude, "longitude": longitude}
    assert request.flags == [Flag.INVALID_COORDINATES]


@pytest.mark.parametrize(
    "location",
    [
        "(40.7128, -73.9061)",
        "POINT (-73.9061 40.7128)",
        # S06 exports the column with a line break and a stray comma before it.
        "\n,  \n(40.7128, -73.9061)",
    ],
)
def test_coordinates_are_read_from_the_location_column_alone(tmp_path, location):
    request = import_row(tmp_path, Latitude="", Longitude="", Location=location)

    assert (request.latitude, request.longitude) == (40.7128, -73.9061)
    assert request.flags == []


@pytest.mark.parametrize(
    "location", ["(41.5000, -73.9800)", "POINT (0.0 0.0)", "N/A", "(41, -74)"]
)
def test_a_location_outside_the_city_is_dropped_and_kept_raw(tmp_path, location):
    request = import_row(tmp_path, Latitude="", Longitude="", Location=location)

    assert (request.latitude, request.longitude) == (None, None)
    assert request.raw_values == {"location": location}
    assert request.flags == [Flag.INVALID_COORDINATES]


@pytest.mark.parametrize("location", ["", "\n,  \n"])
def test_an_empty_location_is_no_point_and_no_flag(tmp_path, location):
    request = import_row(tmp_path, Latitude="", Longitude="", Location=location)

    assert (request.latitude, request.longitude) == (None, None)
    assert request.flags == []


def test_a_status_outside_nycs_list_is_dropped_and_kept_raw(tmp_path):
    request = import_row(tmp_path, Status="Resolved")

    assert request.status == ""
    assert request.raw_values == {"status": "Resolved"}
    assert request.flags == [Flag.UNKNOWN_STATUS]


def test_a_status_in_another_case_is_stored_as_the_choice(tmp_path):
    request = import_row(tmp_path, Status="IN PROGRESS")

    assert request.status == ServiceRequest.Status.IN_PROGRESS
    assert request.flags == []


def test_a_channel_outside_the_list_is_stored_as_other_and_kept_raw(tmp_path):
    request = import_row(tmp_path, **{"Open Data Channel Type": "Carrier pigeon"})

    assert request.channel == ServiceRequest.Channel.OTHER
    assert request.raw_values == {"channel": "Carrier pigeon"}


def test_a_line_break_inside_a_quoted_field_stays_in_the_value(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        {
            "Unique Key": "1001",
            "Resolution Description": "Inspected.\nNo violation found.",
        },
        {"Unique Key": "1002"},
    )

    run = import_service_requests(path=path)

    assert run.inserted == 2
    assert run.rejected == 0
    request = ServiceRequest.objects.get(unique_key=1001)
    assert request.resolution_text == "Inspected.\nNo violation found."
    assert ServiceRequest.objects.get(unique_key=1002).created_at is not None


def test_surrounding_white_space_is_trimmed_from_text_fields(tmp_path):
    request = import_row(tmp_path, Descriptor="  ENTIRE BUILDING ", City=" BROOKLYN\t")

    assert request.descriptor == "ENTIRE BUILDING"
    assert request.city == "BROOKLYN"


def test_flags_are_counted_on_the_import_run(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        {"Unique Key": "1", "Incident Zip": "07030"},
        {"Unique Key": "2", "Incident Zip": "07030", "Borough": "Unspecified"},
        {"Unique Key": "3"},
    )

    run = import_service_requests(path=path)

    assert run.flag_counts == {"out_of_city_zip": 2, "unspecified_borough": 1}
    assert ServiceRequest.objects.flagged(Flag.OUT_OF_CITY_ZIP).count() == 2
