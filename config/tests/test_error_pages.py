"""The 403 page staff see when their role does not include a page."""

import pytest
from django.urls import reverse

from agencies.models import Agency, StaffMembership
from config.testing.staff import staff

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role


@pytest.fixture
def liaison(client, django_user_model):
    user = staff(
        django_user_model, "lena", Role.LIAISON, Agency.objects.get(code="HPD")
    )
    client.force_login(user)
    return user


def test_it_says_the_account_lacks_the_role_and_gives_the_views_reason(client, liaison):
    response = client.get(reverse("review:queue"))

    assert response.status_code == 403
    assert "Your account cannot open this page" in response.text
    assert "Only supervisors work the review queue." in response.text
    assert "signed in as <strong>lena</strong>" in response.text
    assert "all agencies" not in response.text


def test_it_links_to_the_admin_and_to_signing_in_as_someone_else(client, liaison):
    response = client.get(reverse("dashboards:index"))

    assert "Only supervisors and city administrators see the dashboards." in (
        response.text
    )
    assert f'href="{reverse("admin:index")}"' in response.text
    assert f'action="{reverse("admin:logout")}"' in response.text
    after_logout = f"{reverse('admin:login')}?next=/staff/dashboards/"
    assert f'name="next" value="{after_logout}"' in response.text


def test_signing_out_from_it_leads_to_the_login_page_for_the_same_page(client, liaison):
    response = client.post(
        reverse("admin:logout"),
        {"next": f"{reverse('admin:login')}?next=/staff/dashboards/"},
    )

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('admin:login')}?next=/staff/dashboards/"
    assert client.get(reverse("dashboards:index")).status_code == 302
