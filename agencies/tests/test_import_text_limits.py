"""Published text that a column cannot hold as it is costs that field, not the file.

Each case runs through both loaders: PostgreSQL refused these values in COPY and
in the ORM's INSERT alike, and failed the whole import with them.
"""

import json
from pathlib import Path

import pytest
from django.db import connection

from agencies.models import Agency, ServiceRequest
from agencies.quality import Flag
from agencies.services import import_service_requests
from agencies.tests.test_import_quirks import write_csv
from resolutions.models import DescriptionVersion

pytestmark = pytest.mark.django_db

LONG_CODE = "DEPARTMENT OF TRANSPORTATION"  # 28 characters; the column holds 20
LONG_NAME = "Mayor's Office of " + "Special Enforcement and Coordination " * 6


@pytest.fixture(params=["orm", "postgres"])
def method(request):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the COPY path needs PostgreSQL")
    return request.param


def test_an_agency_code_too_long_for_its_column_is_dropped_kept_raw_and_flagged(
    tmp_path, method
):
    path = write_csv(
        tmp_path / "export.csv",
        {"Unique Key": "1", "Agency": LONG_CODE},
        {"Unique Key": "2"},
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.agency is None
    assert request.complaint_type is None
    assert request.raw_values == {"agency": LONG_CODE}
    assert request.flags == [Flag.INVALID_AGENCY]
    assert ServiceRequest.objects.get(unique_key=2).agency_id == "HPD"
    assert not Agency.objects.filter(code__in=[LONG_CODE, LONG_CODE[:20]]).exists()
    assert (run.inserted, run.rejected) == (2, 0)
    assert run.flag_counts == {"invalid_agency": 1}


def test_an_agency_name_too_long_for_its_column_is_cut_and_kept_raw(tmp_path, method):
    assert len(LONG_NAME) > 200
    path = write_csv(
        tmp_path / "export.csv",
        {"Unique Key": "1", "Agency": "OSE", "Agency Name": LONG_NAME},
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(unique_key=1)
    assert Agency.objects.get(code="OSE").name == LONG_NAME[:200]
    assert request.agency_id == "OSE"
    assert request.agency_name == LONG_NAME[:200]
    assert request.raw_values == {"agency_name": LONG_NAME.strip()}
    assert request.flags == []
    assert (run.inserted, run.rejected) == (1, 0)


def test_nul_characters_are_taken_out_of_every_csv_value(tmp_path, method):
    path = write_csv(
        tmp_path / "export.csv",
        {
            "Unique Key": "1\x00",
            "Agency": "H\x00PD",
            "Agency Name": "Department of Housing\x00",
            "Complaint Type": "HEAT/\x00HOT WATER",
            "Descriptor": "ENTIRE\x00 BUILDING",
            "Incident Zip": "112\x0004",
            "Borough": "New\x00 Jersey",
            "Status": "Closed",
            "Closed Date": "01/16/2024 09:00:00 AM",
            "Resolution Description": "Inspected.\x00 No violation found.",
        },
        {"Unique Key": "2"},
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.agency_id == "HPD"
    assert request.agency_name == "Department of Housing"
    assert request.complaint_type.name == "HEAT/HOT WATER"
    assert request.descriptor == "ENTIRE BUILDING"
    assert request.incident_zip == "11204"
    assert request.raw_values == {"borough": "New Jersey"}
    assert request.resolution_text == "Inspected. No violation found."
    assert request.resolution_description.versions.get().text == (
        "Inspected. No violation found."
    )
    assert (run.inserted, run.rejected) == (2, 0)


def write_json(path: Path, items: list[dict]) -> Path:
    # json.dumps writes a NUL as the escape \u0000, as the Socrata API does.
    path.write_text(json.dumps(items), encoding="utf-8")
    return path


def test_nul_characters_are_taken_out_of_every_json_value(tmp_path, method):
    path = write_json(
        tmp_path / "export.json",
        [
            {
                "unique_key": "1",
                "agency": "DOT\u0000",
                "agency_name": "Department of\u0000 Transportation",
                "complaint_type": "Street\u0000 Condition",
                "status": "Clo\u0000sed",
                "closed_date": "2024-01-16T09:00:00.000",
                "created_date": "2024-01-15T10:00:00.000",
                "resolution_description": "Repaired.\u0000",
                "city": "BROOK\u0000LYN",
                "borough": "BROOKLYN",
            },
            {"unique_key": "2", "agency": "DOT", "borough": "BROOKLYN"},
        ],
    )

    run = import_service_requests(path=path, method=method)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.agency_id == "DOT"
    assert request.agency_name == "Department of Transportation"
    assert request.complaint_type.name == "Street Condition"
    assert request.status == ServiceRequest.Status.CLOSED
    assert request.city == "BROOKLYN"
    assert request.resolution_text == "Repaired."
    assert DescriptionVersion.objects.get().text == "Repaired."
    assert request.flags == []
    assert (run.inserted, run.rejected) == (2, 0)
