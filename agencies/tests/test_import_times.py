"""Published times are New York local time and are stored as the right UTC instant."""

import csv
from datetime import UTC, datetime

import pytest

from agencies.importing.parsing import RowParser, parse_nyc_datetime
from agencies.models import ServiceRequest
from agencies.quality import Flag
from agencies.services import import_service_requests


@pytest.mark.parametrize(
    ("published", "utc"),
    [
        # Winter: Eastern Standard Time, UTC-5.
        ("01/15/2024 10:00:00 AM", datetime(2024, 1, 15, 15, 0)),
        ("01/15/2024 10:00:00 PM", datetime(2024, 1, 16, 3, 0)),
        ("01/15/2024 12:00:00 AM", datetime(2024, 1, 15, 5, 0)),
        ("01/15/2024 12:30:00 PM", datetime(2024, 1, 15, 17, 30)),
        ("2024-01-15T10:00:00.000", datetime(2024, 1, 15, 15, 0)),
        ("2024-01-15 10:00:00", datetime(2024, 1, 15, 15, 0)),
        ("01/15/2024", datetime(2024, 1, 15, 5, 0)),
        # Summer: Eastern Daylight Time, UTC-4.
        ("07/04/2024 10:00:00 AM", datetime(2024, 7, 4, 14, 0)),
        ("2024-07-04T10:00:00.000", datetime(2024, 7, 4, 14, 0)),
        # S22's Excel re-save: M/D/YY H:MM, 24-hour clock.
        ("10/21/18 0:00", datetime(2018, 10, 21, 4, 0)),
        ("10/21/18 23:59", datetime(2018, 10, 22, 3, 59)),
        # Either side of the changes, outside the repeated and skipped hours.
        ("11/03/2024 12:59:59 AM", datetime(2024, 11, 3, 4, 59, 59)),
        ("11/03/2024 02:30:00 AM", datetime(2024, 11, 3, 7, 30)),
        ("03/10/2024 01:59:59 AM", datetime(2024, 3, 10, 6, 59, 59)),
        ("03/10/2024 03:30:00 AM", datetime(2024, 3, 10, 7, 30)),
    ],
)
def test_a_time_without_offset_is_read_as_new_york_time(published, utc):
    value, flags = parse_nyc_datetime(published)

    assert value == utc.replace(tzinfo=UTC)
    assert flags == Flag(0)


@pytest.mark.parametrize(
    "published", ["11/03/2024 01:30:00 AM", "2024-11-03T01:30:00.000", "11/3/24 1:30"]
)
def test_a_time_in_the_repeated_hour_is_its_first_occurrence_and_flagged(published):
    value, flags = parse_nyc_datetime(published)

    assert value == datetime(2024, 11, 3, 5, 30, tzinfo=UTC)
    assert flags == Flag.REPEATED_HOUR


@pytest.mark.parametrize(
    "published", ["03/10/2024 02:30:00 AM", "2024-03-10T02:30:00.000", "3/10/24 2:30"]
)
def test_a_time_in_the_skipped_hour_is_read_in_standard_time_and_flagged(published):
    value, flags = parse_nyc_datetime(published)

    assert value == datetime(2024, 3, 10, 7, 30, tzinfo=UTC)
    assert flags == Flag.SKIPPED_HOUR


@pytest.mark.parametrize(
    ("published", "utc"),
    [
        ("2024-07-04T10:00:00Z", datetime(2024, 7, 4, 10, 0)),
        ("2024-07-04T10:00:00.000Z", datetime(2024, 7, 4, 10, 0)),
        ("2024-07-04T10:00:00+00:00", datetime(2024, 7, 4, 10, 0)),
        ("2024-07-04 10:00:00 UTC", datetime(2024, 7, 4, 10, 0)),
        ("2024-07-04T10:00:00-07:00", datetime(2024, 7, 4, 17, 0)),
        # An offset overrides the New York rule, even inside the repeated hour.
        ("2024-11-03T01:30:00Z", datetime(2024, 11, 3, 1, 30)),
        ("2024-11-03 01:30:00 UTC", datetime(2024, 11, 3, 1, 30)),
    ],
)
def test_a_time_with_an_offset_is_read_in_that_offset(published, utc):
    value, flags = parse_nyc_datetime(published)

    assert value == utc.replace(tzinfo=UTC)
    assert flags == Flag(0)


@pytest.mark.parametrize(
    ("published", "flag"),
    [
        ("garbage", Flag.UNPARSEABLE_DATE),
        ("13/45/2024 10:00:00 AM", Flag.UNPARSEABLE_DATE),
        ("02/30/2024 10:00:00 AM", Flag.UNPARSEABLE_DATE),
        ("01/15/2024 00:30:00 AM", Flag.UNPARSEABLE_DATE),
        ("01/15/2024 25:00", Flag.UNPARSEABLE_DATE),
        ("2024-13-01T00:00:00.000", Flag.UNPARSEABLE_DATE),
        ("0000-01-01T00:00:00", Flag.UNPARSEABLE_DATE),
        ("2024-01-15T10:00:00+25:00", Flag.UNPARSEABLE_DATE),
        ("01/01/1900 12:00:00 AM", Flag.PLACEHOLDER_DATE),
        ("01/01/1970 12:00:00 AM", Flag.PLACEHOLDER_DATE),
        ("01/01/0001 12:00:00 AM", Flag.PLACEHOLDER_DATE),
        ("06/01/2002 10:00:00 AM", Flag.IMPLAUSIBLE_DATE),
        ("01/15/2999 10:00:00 AM", Flag.IMPLAUSIBLE_DATE),
        ("12/31/9999 11:59:59 PM", Flag.IMPLAUSIBLE_DATE),
        ("9999-12-31T23:00:00-05:00", Flag.IMPLAUSIBLE_DATE),
        ("0001-01-01T00:00:00+05:00", Flag.IMPLAUSIBLE_DATE),
    ],
)
def test_a_time_that_cannot_be_used_is_dropped_with_a_flag_and_never_raises(
    published, flag
):
    parsed = RowParser().parse_time(published)

    assert parsed.value is None
    assert parsed.flags == flag


def test_a_date_more_than_a_year_after_the_import_is_implausible():
    parser = RowParser(now=datetime(2024, 1, 15, tzinfo=UTC))

    within_a_year = parser.parse_time("01/10/2025 10:00:00 AM")
    beyond_a_year = parser.parse_time("01/20/2025 10:00:00 AM")

    assert within_a_year.value == datetime(2025, 1, 10, 15, 0, tzinfo=UTC)
    assert beyond_a_year.value is None
    assert beyond_a_year.flags == Flag.IMPLAUSIBLE_DATE


@pytest.mark.django_db
def test_imported_times_are_stored_as_the_utc_instant_with_their_flags(tmp_path):
    path = tmp_path / "export.csv"
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(
            ["Unique Key", "Agency", "Borough", "Created Date", "Closed Date"]
        )
        writer.writerow(
            ["1", "DOT", "QUEENS", "01/15/2024 10:00:00 AM", "2024-07-04T10:00:00Z"]
        )
        writer.writerow(
            ["2", "DOT", "QUEENS", "07/04/2024 10:00:00 AM", "2024-07-04 18:00:00 UTC"]
        )
        writer.writerow(["3", "DOT", "QUEENS", "11/03/2024 01:30:00 AM", ""])
        writer.writerow(["4", "DOT", "QUEENS", "03/10/2024 02:30:00 AM", ""])

    import_service_requests(path=path)

    stored = {
        request.unique_key: (request.created_at, request.closed_at, request.flags)
        for request in ServiceRequest.objects.all()
    }
    assert stored == {
        1: (
            datetime(2024, 1, 15, 15, 0, tzinfo=UTC),
            datetime(2024, 7, 4, 10, 0, tzinfo=UTC),
            [],
        ),
        2: (
            datetime(2024, 7, 4, 14, 0, tzinfo=UTC),
            datetime(2024, 7, 4, 18, 0, tzinfo=UTC),
            [],
        ),
        3: (datetime(2024, 11, 3, 5, 30, tzinfo=UTC), None, [Flag.REPEATED_HOUR]),
        4: (datetime(2024, 3, 10, 7, 30, tzinfo=UTC), None, [Flag.SKIPPED_HOUR]),
    }
