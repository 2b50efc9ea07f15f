"""Creating, revoking and seeing integrations: commands and admin."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from agencies.integrations import authenticate_token, create_integration
from agencies.models import Agency, Integration, StaffMembership
from config.testing.staff import staff

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def printed_token(output: str) -> str:
    return next(line for line in output.splitlines() if line.startswith("ctl_"))


def test_create_integration_prints_a_token_that_authenticates_it():
    output = run("create_integration", "Queens 311", "--agency", "hpd")

    token = printed_token(output)
    integration = Integration.objects.get(name="Queens 311")
    assert integration.agency_id == "HPD"
    assert authenticate_token(token=token) == integration
    assert token not in integration.token_digest


def test_create_integration_refuses_a_taken_name_and_an_unknown_agency():
    run("create_integration", "Queens 311")

    with pytest.raises(CommandError, match="exists"):
        run("create_integration", "Queens 311")
    with pytest.raises(CommandError, match="no agency"):
        run("create_integration", "Bronx 311", "--agency", "NOPE")


def test_rotating_replaces_the_token():
    old = printed_token(run("create_integration", "Queens 311"))

    new = printed_token(run("create_integration", "Queens 311", "--rotate"))

    assert authenticate_token(token=old) is None
    assert authenticate_token(token=new) == Integration.objects.get()


def test_revoke_integration_refuses_its_token_from_then_on():
    token = printed_token(run("create_integration", "Queens 311"))

    output = run("revoke_integration", "Queens 311")

    assert "revoked" in output
    assert authenticate_token(token=token) is None
    assert Integration.objects.get().revoked_at is not None


@pytest.fixture
def integration() -> Integration:
    integration, _ = create_integration(name="Queens 311", agency=None)
    return integration


def test_city_administrators_see_and_revoke_integrations(
    client, django_user_model, integration
):
    client.force_login(staff(django_user_model, "cara", Role.CITY_ADMIN, None))
    changelist = reverse("admin:agencies_integration_changelist")

    page = client.get(changelist)
    client.post(changelist, {"action": "revoke", "_selected_action": [integration.pk]})

    assert page.status_code == 200
    assert "Queens 311" in page.content.decode()
    assert integration.token_digest not in page.content.decode()
    integration.refresh_from_db()
    assert integration.is_revoked


@pytest.mark.parametrize("role", [Role.LIAISON, Role.REVIEWER, Role.SUPERVISOR])
def test_agency_staff_do_not_see_integrations(
    client, django_user_model, integration, role
):
    hpd = Agency.objects.get(code="HPD")
    client.force_login(staff(django_user_model, "sam", role, hpd))

    listing = client.get(reverse("admin:agencies_integration_changelist"))
    detail = client.get(
        reverse("admin:agencies_integration_change", args=[integration.pk])
    )

    assert listing.status_code == 403
    assert detail.status_code == 403
    assert "Integrations" not in client.get(reverse("admin:index")).content.decode()


def test_integrations_are_not_added_in_the_admin(client, django_user_model):
    client.force_login(staff(django_user_model, "cara", Role.CITY_ADMIN, None))

    response = client.get(reverse("admin:agencies_integration_add"))

    assert response.status_code == 403
