"""A supervisor reads the library but is offered no step they may not take."""

import pytest
from django.urls import reverse

from agencies.models import Agency, StaffMembership
from agencies.services import set_membership
from resolutions.legacy import ensure_legacy_descriptions

pytestmark = pytest.mark.django_db

TEXT = "The Police Department responded to the complaint and took action."


@pytest.fixture
def supervisor_client(client, django_user_model):
    user = django_user_model.objects.create_user("sam", password="unused")
    set_membership(
        user=user,
        role=StaffMembership.Role.SUPERVISOR,
        agency=Agency.objects.get(pk="NYPD"),
    )
    client.force_login(user)
    return client


def test_supervisor_sees_the_description_without_an_edit_button(supervisor_client):
    description_id = ensure_legacy_descriptions([("NYPD", TEXT)])[("NYPD", TEXT)]
    url = reverse(
        "admin:resolutions_resolutiondescription_change", args=[description_id]
    )

    response = supervisor_client.get(url)

    assert response.status_code == 200
    assert TEXT in response.text
    assert "Write a new version" not in response.text


def test_supervisor_is_not_offered_the_legacy_grouping_action(supervisor_client):
    ensure_legacy_descriptions([("NYPD", TEXT)])

    response = supervisor_client.get(reverse("admin:resolutions_legacytext_changelist"))

    assert response.status_code == 200
    assert "group_selected" not in response.text


def test_liaison_of_the_agency_is_offered_a_new_version(client, django_user_model):
    user = django_user_model.objects.create_user("lee", password="unused")
    set_membership(
        user=user,
        role=StaffMembership.Role.LIAISON,
        agency=Agency.objects.get(pk="NYPD"),
    )
    client.force_login(user)
    description_id = ensure_legacy_descriptions([("NYPD", TEXT)])[("NYPD", TEXT)]
    url = reverse(
        "admin:resolutions_resolutiondescription_change", args=[description_id]
    )

    response = client.get(url)

    assert "Write a new version" in response.text
