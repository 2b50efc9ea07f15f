from datetime import UTC, datetime

import pytest
from django.urls import reverse

from agencies.models import Agency, ComplaintType, ImportRun, ServiceRequest
from agencies.quality import Flag
from resolutions.legacy import ensure_legacy_descriptions
from resolutions.models import ResolutionDescription
from resolutions.services import record_resolutions_told

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", password="not-used-here")
    client.force_login(user)
    return client


@pytest.fixture
def requests_():
    hpd = Agency.objects.get(code="HPD")
    heat = ComplaintType.objects.create(agency=hpd, name="HEAT/HOT WATER")
    text = "The Department of Housing Preservation and Development inspected."
    description_id = ensure_legacy_descriptions([("HPD", text)])[("HPD", text)]
    first = ServiceRequest.objects.create(
        unique_key=60000001,
        created_at=datetime(2024, 1, 5, 14, 0, tzinfo=UTC),
        status=ServiceRequest.Status.CLOSED,
        agency=hpd,
        complaint_type=heat,
        incident_address="123 WEST 45 STREET",
        resolution_text=text,
        resolution_description_id=description_id,
    )
    flagged = ServiceRequest.objects.create(
        unique_key=60000002,
        created_at=datetime(2024, 1, 6, 14, 0, tzinfo=UTC),
        status=ServiceRequest.Status.OPEN,
        agency=hpd,
        incident_address="9 BAY RIDGE PARKWAY",
        quality_flags=int(Flag.INVALID_ZIP | Flag.UNSPECIFIED_BOROUGH),
        raw_values={"incident_zip": "N/A"},
    )
    return first, flagged


@pytest.mark.parametrize(
    "model",
    [Agency, ComplaintType, ServiceRequest, ImportRun, ResolutionDescription],
)
def test_admin_list_pages_render_for_staff(staff_client, requests_, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    response = staff_client.get(url)

    assert response.status_code == 200


def test_service_request_page_shows_flags_and_raw_values(staff_client, requests_):
    _, flagged = requests_
    url = reverse("admin:agencies_servicerequest_change", args=[flagged.pk])

    response = staff_client.get(url)

    assert response.status_code == 200
    assert Flag.INVALID_ZIP.label in response.text
    assert "N/A" in response.text


def test_service_requests_are_found_by_number_and_by_address(staff_client, requests_):
    url = reverse("admin:agencies_servicerequest_changelist")

    by_number = staff_client.get(url, {"q": "60000002"})
    by_address = staff_client.get(url, {"q": "west 45"})

    assert list(by_number.context["cl"].result_list) == [requests_[1]]
    assert list(by_address.context["cl"].result_list) == [requests_[0]]


@pytest.mark.parametrize("term", ["²", "9" * 25])
def test_a_request_number_no_request_can_have_finds_nothing(
    staff_client, requests_, term
):
    url = reverse("admin:agencies_servicerequest_changelist")

    response = staff_client.get(url, {"q": term})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_service_requests_filter_by_flag(staff_client, requests_):
    url = reverse("admin:agencies_servicerequest_changelist")

    response = staff_client.get(url, {"flag": Flag.INVALID_ZIP.code})

    assert list(response.context["cl"].result_list) == [requests_[1]]


def test_imported_fields_cannot_be_edited_in_admin(staff_client, requests_):
    first, _ = requests_
    url = reverse("admin:agencies_servicerequest_change", args=[first.pk])

    staff_client.post(url, {"status": "Open", "incident_address": "changed"})

    first.refresh_from_db()
    assert first.status == ServiceRequest.Status.CLOSED
    assert first.incident_address == "123 WEST 45 STREET"


def test_descriptions_show_how_many_requests_use_them(staff_client, requests_):
    url = reverse("admin:resolutions_resolutiondescription_changelist")

    response = staff_client.get(url)

    rows = {d.pk: d.request_count for d in response.context["cl"].result_list}
    assert rows == {requests_[0].resolution_description_id: 1}


def test_admin_requires_a_staff_login(client):
    response = client.get(reverse("admin:agencies_servicerequest_changelist"))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_request_page_shows_the_frozen_version_its_resident_was_told(
    staff_client, requests_
):
    first, _ = requests_
    record_resolutions_told(requests=ServiceRequest.objects.filter(pk=first.pk))
    version = first.resolution_description.published_version
    url = reverse("admin:agencies_servicerequest_change", args=[first.pk])

    response = staff_client.get(url)

    assert "what the resident was told at closure" in response.text.lower()
    assert f"version {version.number} (legacy NYC text)" in response.text
    assert version.text in response.text
