"""An import that closes a request freezes what its resident is told."""

import pytest
from django.db import connection

from agencies.models import ServiceRequest
from agencies.services import import_service_requests
from agencies.tests.test_import_quirks import write_csv
from resolutions.models import DescriptionVersion, ResolutionNotice
from surveys.contacts import save_contact
from surveys.models import Invitation

pytestmark = pytest.mark.django_db

TEXT = "The Department of Housing Preservation and Development inspected the heat."
CLOSED = {
    "Status": "Closed",
    "Closed Date": "01/16/2024 09:00:00 AM",
    "Resolution Description": TEXT,
}


@pytest.fixture(params=["orm", "postgres"])
def method(request):
    if request.param == "postgres" and connection.vendor != "postgresql":
        pytest.skip("the COPY path needs PostgreSQL")
    return request.param


def test_a_request_imported_closed_records_the_published_version(tmp_path, method):
    path = write_csv(tmp_path / "export.csv", CLOSED)

    import_service_requests(path=path, method=method)

    notice = ResolutionNotice.objects.get(service_request_id=1001)
    assert notice.version.status == DescriptionVersion.Status.PUBLISHED
    assert notice.version.text == TEXT
    assert notice.language == "en"


def test_an_open_request_records_nothing_until_an_export_closes_it(tmp_path, method):
    import_service_requests(path=write_csv(tmp_path / "open.csv", {}), method=method)
    assert not ResolutionNotice.objects.exists()

    import_service_requests(
        path=write_csv(tmp_path / "closed.csv", CLOSED), method=method
    )

    assert ResolutionNotice.objects.filter(service_request_id=1001).count() == 1


def test_reimporting_a_closed_request_does_not_record_it_again(tmp_path, method):
    path = write_csv(tmp_path / "export.csv", CLOSED)
    import_service_requests(path=path, method=method)

    import_service_requests(path=path, method=method)
    import_service_requests(
        path=write_csv(tmp_path / "later.csv", CLOSED | {"Closed Date": "01/17/2024"}),
        method=method,
    )

    assert ResolutionNotice.objects.filter(service_request_id=1001).count() == 1


def test_a_closed_request_without_a_resolution_text_has_nothing_to_record(
    tmp_path, method
):
    path = write_csv(tmp_path / "export.csv", CLOSED | {"Resolution Description": ""})

    run = import_service_requests(path=path, method=method)

    assert run.inserted == 1
    assert not ResolutionNotice.objects.exists()


def test_a_closure_by_import_invites_the_resident_once(tmp_path, method):
    import_service_requests(path=write_csv(tmp_path / "open.csv", {}), method=method)
    save_contact(
        service_request=ServiceRequest.objects.get(pk=1001),
        email="resident@example.org",
        phone="",
        language="en",
        email_consent=True,
        sms_consent=False,
    )
    closed = write_csv(tmp_path / "closed.csv", CLOSED)

    import_service_requests(path=closed, method=method)
    import_service_requests(path=closed, method=method)

    assert Invitation.objects.filter(service_request_id=1001).count() == 1
    assert ResolutionNotice.objects.filter(service_request_id=1001).count() == 1
