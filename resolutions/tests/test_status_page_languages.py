import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.urls import reverse

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import ResolutionDescription

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_request():
    hpd = Agency.objects.get(code="HPD")
    description = ResolutionDescription.objects.create(
        agency=hpd, title="Heat restored"
    )
    heat = ComplaintType.objects.get_or_create(agency=hpd, name="HEAT/HOT WATER")[0]
    return ServiceRequest.objects.create(
        unique_key=70000001,
        created_at=datetime(2024, 1, 6, 2, 30, tzinfo=UTC),
        status=ServiceRequest.Status.OPEN,
        agency=hpd,
        complaint_type=heat,
        descriptor="ENTIRE BUILDING",
        borough=ServiceRequest.Borough.BROOKLYN,
        resolution_description=description,
    )


def heading(client, service_request, language):
    url = reverse("request_status", args=[service_request.unique_key])
    response = client.get(f"{url}?lang={language}")
    assert response.status_code == 200
    assert f'<html lang="{language}"' in response.text
    return re.search(r"<h1>(.*?)</h1>", response.text, re.DOTALL).group(1).strip()


@pytest.mark.parametrize(
    "language", [code for code, _ in settings.LANGUAGES if code != "en"]
)
def test_status_page_heading_is_translated(client, service_request, language):
    english = heading(client, service_request, "en")

    translated = heading(client, service_request, language)

    assert english == "Service request 70000001"
    assert translated != english
    assert "70000001" in translated
