"""A description's complaint types are its own agency's."""

import pytest
from django.urls import reverse

from agencies.models import Agency, ComplaintType, StaffMembership
from config.testing.staff import staff
from resolutions.models import ResolutionDescription

pytestmark = pytest.mark.django_db


@pytest.fixture
def description() -> ResolutionDescription:
    return ResolutionDescription.objects.create(
        agency=Agency.objects.get(pk="NYPD"), title="Noise: officers responded"
    )


def post(client, description, complaint_types) -> object:
    url = reverse(
        "admin:resolutions_resolutiondescription_change", args=[description.pk]
    )
    return client.post(
        url,
        {
            "title": description.title,
            "outcome": description.outcome,
            "complaint_types": [c.pk for c in complaint_types],
            "legacy_texts-TOTAL_FORMS": "0",
            "legacy_texts-INITIAL_FORMS": "0",
        },
    )


def test_a_complaint_type_of_another_agency_is_refused(
    client, django_user_model, description
):
    client.force_login(
        staff(django_user_model, "cyd", StaffMembership.Role.CITY_ADMIN, None)
    )
    noise = ComplaintType.objects.create(agency_id="NYPD", name="Noise - Residential")
    appliance = ComplaintType.objects.create(agency_id="HPD", name="APPLIANCE")

    refused = post(client, description, [noise, appliance])
    accepted = post(client, description, [noise])

    assert refused.status_code == 200
    assert "APPLIANCE (HPD) belong to another agency" in refused.text
    assert accepted.status_code == 302
    assert list(description.complaint_types.all()) == [noise]
