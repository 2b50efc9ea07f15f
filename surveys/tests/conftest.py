import pytest

from agencies.models import Agency, StaffMembership
from config.testing.staff import staff
from surveys.models import Survey

Role = StaffMembership.Role


@pytest.fixture
def survey() -> Survey:
    """The default survey as the migration seeds it: version 1 published."""
    return Survey.objects.get(is_default=True)


@pytest.fixture
def hpd() -> Agency:
    return Agency.objects.get(code="HPD")


@pytest.fixture
def dsny() -> Agency:
    return Agency.objects.get(code="DSNY")


@pytest.fixture
def city_admin(django_user_model):
    return staff(django_user_model, "carmen", Role.CITY_ADMIN, None)


@pytest.fixture
def second_city_admin(django_user_model):
    return staff(django_user_model, "cleo", Role.CITY_ADMIN, None)


@pytest.fixture
def liaison(django_user_model, hpd):
    return staff(django_user_model, "lena", Role.LIAISON, hpd)
