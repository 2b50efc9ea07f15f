"""Published text that a column cannot hold as it is costs that field, not the file.

Each case runs through both loaders: PostgreSQL refused these values in COPY and
in the ORM's INSERT alike, and failed the whole import with them.
"""

import pytest
from django.db import connection

from agencies.models import Agency, ServiceRequest
from agencies.quality import Flag
from agencies.services import import_service_requests
from agencies.tests.test_import_quirks import write_csv

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
