import pytest

from agencies.models import Agency, StaffMembership
from config.testing.browser import browser, new_page  # noqa: F401 (pytest fixtures)
from config.testing.staff import staff

Role = StaffMembership.Role


# Staff of HPD for the description workflow tests.


@pytest.fixture
def hpd() -> Agency:
    return Agency.objects.get(code="HPD")


@pytest.fixture
def liaison(django_user_model, hpd):
    return staff(django_user_model, "lena", Role.LIAISON, hpd)


@pytest.fixture
def other_liaison(django_user_model, hpd):
    return staff(django_user_model, "omar", Role.LIAISON, hpd)


@pytest.fixture
def reviewer(django_user_model, hpd):
    return staff(django_user_model, "rita", Role.REVIEWER, hpd)
