"""The same rows, in each layout NYC publishes, are stored identically."""

import csv
import gzip
import io
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.forms.models import model_to_dict

from agencies.models import ServiceRequest
from agencies.quality import Flag
from agencies.services import import_service_requests

pytestmark = pytest.mark.django_db

# Three requests as a resident would describe them. Times are New York local time.
REQUESTS = [
    {
        "unique_key": "61276295",
        "created": datetime(2024, 1, 15, 22, 5, 7),
        "closed": datetime(2024, 1, 16, 9, 30, 0),
        "due": datetime(2024, 1, 20, 22, 5, 7),
        "resolution_updated": datetime(2024, 1, 16, 9, 30, 0),
        "status": "Closed",
        "agency": "HPD",
        "agency_name": "Department of Housing Preservation and Development",
        "complaint_type": "HEAT/HOT WATER",
        "descriptor": "ENTIRE BUILDING",
        "additional_details": "No heat in the whole building",
        "location_type": "RESIDENTIAL BUILDING",
        "incident_zip": "11204",
        "incident_address": "1601 WEST 7 STREET",
        "street_name": "WEST 7 STREET",
        "city": "BROOKLYN",
        "community_board": "11 BROOKLYN",
        "bbl": "3066150001",
        "borough": "BROOKLYN",
        "channel": "ONLINE",
        "latitude": "40.61237895",
        "longitude": "-73.98761234",
        "resolution": "The Department of Housing Preservation and Development "
        "inspected the following conditions. No violations were issued.",
    },
    {
        "unique_key": "61279486",
        "created": datetime(2024, 7, 4, 14, 0, 0),
        "closed": None,
        "due": None,
        "resolution_updated": datetime(2024, 7, 4, 14, 0, 0),
        "status": "In Progress",
        "agency": "DOT",
        "agency_name": "Department of Transportation",
        "complaint_type": "Street Condition",
        "descriptor": "Pothole",
        "additional_details": "",
        "location_type": "",
        "incident_zip": "11373",
        "incident_address": "QUEENS BOULEVARD",
        "street_name": "QUEENS BOULEVARD",
        "city": "ELMHURST",
        "community_board": "04 QUEENS",
        "bbl": "",
        "borough": "QUEENS",
        "channel": "MOBILE",
        "latitude": "40.7371",
        "longitude": "-73.8772",
        "resolution": "The Department of Transportation referred this complaint "
        "to the appropriate Maintenance Unit for repair.",
    },
    {
        "unique_key": "61279999",
        "created": datetime(2024, 11, 3, 1, 30, 0),
        "closed": None,
        "due": None,
        "resolution_updated": None,
        "status": "Open",
        "agency": "NYPD",
        "agency_name": "New York City Police Department",
        "complaint_type": "Noise - Residential",
        "descriptor": "Loud Music/Party",
        "additional_details": "",
        "location_type": "Residential Building/House",
        "incident_zip": "N/A",
        "incident_address": "",
        "street_name": "",
        "city": "",
        "community_board": "0 Unspecified",
        "bbl": "",
        "borough": "Unspecified",
        "channel": "PHONE",
        "latitude": "",
        "longitude": "",
        "resolution": "",
    },
]

# Column names for each field in the portal's export, in its 2026 titles and in
# the Socrata API; dates go with them (the API writes ISO, the portal US style).
PORTAL_TITLES = {
    "unique_key": "Unique Key",
    "created": "Created Date",
    "closed": "Closed Date",
    "agency": "Agency",
    "agency_name": "Agency Name",
    "complaint_type": "Complaint Type",
    "descriptor": "Descriptor",
    "location_type": "Location Type",
    "incident_zip": "Incident Zip",
    "incident_address": "Incident Address",
    "street_name": "Street Name",
    "city": "City",
    "status": "Status",
    "due": "Due Date",
    "resolution": "Resolution Description",
    "resolution_updated": "Resolution Action Updated Date",
    "community_board": "Community Board",
    "bbl": "BBL",
    "borough": "Borough",
    "channel": "Open Data Channel Type",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "additional_details": "Additional Details",
}
TITLES_2026 = PORTAL_TITLES | {
    "complaint_type": "Problem (formerly Complaint Type)",
    "descriptor": "Problem Detail (formerly Descriptor)",
}
API_NAMES = {
    "unique_key": "unique_key",
    "created": "created_date",
    "closed": "closed_date",
    "agency": "agency",
    "agency_name": "agency_name",
    "complaint_type": "complaint_type",
    "descriptor": "descriptor",
    "additional_details": "descriptor_2",
    "location_type": "location_type",
    "incident_zip": "incident_zip",
    "incident_address": "incident_address",
    "street_name": "street_name",
    "city": "city",
    "status": "status",
    "due": "due_date",
    "resolution": "resolution_description",
    "resolution_updated": "resolution_action_updated_date",
    "community_board": "community_board",
    "bbl": "bbl",
    "borough": "borough",
    "channel": "open_data_channel_type",
    "latitude": "latitude",
    "longitude": "longitude",
}


def portal_date(value: datetime | None) -> str:
    return value.strftime("%m/%d/%Y %I:%M:%S %p") if value else ""


def api_date(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%dT%H:%M:%S.000") if value else ""


def published(
    names: dict[str, str], format_date: Callable[[datetime | None], str]
) -> list[dict[str, str]]:
    return [
        {
            names[field]: format_date(value)
            if isinstance(value, datetime | None)
            else value
            for field, value in request.items()
        }
        for request in REQUESTS
    ]


def csv_text(names: dict[str, str], format_date) -> str:
    column = "location" if names is API_NAMES else "Location"
    rows = [
        row | {column: location(row[names["latitude"]], row[names["longitude"]])}
        for row in published(names, format_date)
    ]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def location(latitude: str, longitude: str) -> str:
    return f"({latitude}, {longitude})" if latitude else ""


def api_objects() -> list[dict]:
    # The API leaves out empty fields and sends Location as an object.
    objects = []
    for row in published(API_NAMES, api_date):
        item = {name: value for name, value in row.items() if value}
        if row["latitude"]:
            item["location"] = {
                "latitude": row["latitude"],
                "longitude": row["longitude"],
                "human_address": '{"address": "", "city": "", "state": "", "zip": ""}',
            }
        objects.append(item)
    return objects


FORMATS = {
    "portal titles CSV": lambda: csv_text(PORTAL_TITLES, portal_date),
    "2026 titles CSV": lambda: csv_text(TITLES_2026, portal_date),
    "API field names CSV": lambda: csv_text(API_NAMES, api_date),
    "JSON array": lambda: json.dumps(api_objects()),
    "JSON Lines": lambda: "\n".join(json.dumps(item) for item in api_objects()) + "\n",
}


def write_file(path: Path, text: str, compressed: bool) -> Path:
    if compressed:
        path = path.with_name(path.name + ".gz")
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


def stored_requests() -> list[dict]:
    excluded = ["imported_at", "updated_at"]
    return [
        model_to_dict(request, exclude=excluded)
        for request in ServiceRequest.objects.order_by("unique_key")
    ]


def test_the_portal_export_stores_every_field(tmp_path):
    path = write_file(
        tmp_path / "export.csv", FORMATS["portal titles CSV"](), compressed=False
    )

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=61276295)
    assert request.created_at == datetime(2024, 1, 16, 3, 5, 7, tzinfo=UTC)
    assert request.closed_at == datetime(2024, 1, 16, 14, 30, tzinfo=UTC)
    assert request.due_at == datetime(2024, 1, 21, 3, 5, 7, tzinfo=UTC)
    assert request.resolution_updated_at == datetime(2024, 1, 16, 14, 30, tzinfo=UTC)
    assert request.status == "Closed"
    assert request.agency_id == "HPD"
    assert request.agency_name == "Department of Housing Preservation and Development"
    assert request.complaint_type.name == "HEAT/HOT WATER"
    assert request.descriptor == "ENTIRE BUILDING"
    assert request.additional_details == "No heat in the whole building"
    assert request.location_type == "RESIDENTIAL BUILDING"
    assert request.incident_zip == "11204"
    assert request.incident_address == "1601 WEST 7 STREET"
    assert request.street_name == "WEST 7 STREET"
    assert request.city == "BROOKLYN"
    assert request.community_board == "11 BROOKLYN"
    assert request.bbl == "3066150001"
    assert request.borough == "BROOKLYN"
    assert request.channel == "ONLINE"
    assert (request.latitude, request.longitude) == (40.61237895, -73.98761234)
    assert request.resolution_text == REQUESTS[0]["resolution"]
    assert request.resolution_description is not None
    assert request.flags == []


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "gzip"])
@pytest.mark.parametrize("name", list(FORMATS))
def test_each_format_stores_the_same_requests_as_the_portal_export(
    tmp_path, name, compressed
):
    reference = write_file(
        tmp_path / "portal.csv", FORMATS["portal titles CSV"](), compressed=False
    )
    import_service_requests(path=reference)
    expected = stored_requests()
    ServiceRequest.objects.all().delete()
    path = write_file(tmp_path / "export", FORMATS[name](), compressed)

    run = import_service_requests(path=path)

    assert run.inserted == len(REQUESTS)
    assert run.rejected == 0
    assert stored_requests() == expected
    assert ServiceRequest.objects.get(unique_key=61279999).flags == [
        Flag.REPEATED_HOUR,
        Flag.INVALID_ZIP,
        Flag.UNSPECIFIED_BOROUGH,
    ]


@pytest.mark.parametrize(
    ("name", "compressed", "source_format"),
    [
        ("portal titles CSV", False, "csv"),
        ("API field names CSV", True, "csv+gzip"),
        ("JSON array", False, "json"),
        ("JSON Lines", True, "json+gzip"),
    ],
)
def test_the_import_run_records_the_format_it_detected(
    tmp_path, name, compressed, source_format
):
    path = write_file(tmp_path / "export", FORMATS[name](), compressed)

    run = import_service_requests(path=path)

    assert run.source_format == source_format


def test_a_csv_export_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "export.csv"
    path.write_bytes(b"\xef\xbb\xbf" + FORMATS["portal titles CSV"]().encode())

    run = import_service_requests(path=path)

    assert run.inserted == len(REQUESTS)


def test_a_json_export_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "export.json"
    path.write_bytes(b"\xef\xbb\xbf" + FORMATS["JSON array"]().encode())

    run = import_service_requests(path=path)

    assert run.inserted == len(REQUESTS)
    assert run.rejected == 0


def test_json_numbers_are_read_like_the_strings_the_api_sends(tmp_path):
    path = tmp_path / "export.json"
    path.write_text(
        json.dumps(
            [
                {
                    "unique_key": 61276295,
                    "created_date": "2024-01-15T22:05:07.000",
                    "agency": "HPD",
                    "latitude": 40.61237895,
                    "longitude": -73.98761234,
                    "bbl": 3066150001,
                }
            ]
        )
    )

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=61276295)
    assert (request.latitude, request.longitude) == (40.61237895, -73.98761234)
    assert request.bbl == "3066150001"
