from datetime import timedelta
from itertools import count

import pytest
from django.utils import timezone, translation

from agencies.models import Agency, ComplaintType, ServiceRequest, StaffMembership
from config.testing.browser import browser, new_page  # noqa: F401 (pytest fixtures)
from config.testing.staff import staff
from resolutions.models import DescriptionVersion, ResolutionDescription
from resolutions.services import record_resolutions_told
from surveys import memo
from surveys.models import Channel, Contact, Invitation, Survey

RESIDENT_EMAIL = "resident.private@example.org"
RESIDENT_PHONE = "+12125550147"
PRIVATE_ADDRESS = "17 HIDDEN LANE"
TOLD_TEXT = "An inspector visited {address} and the owner restored the heat."

Role = StaffMembership.Role

_keys = count(80000001)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings):
    # Each test counts from zero in a cache of its own, never a shared Redis.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"surveys-tests-{next(_keys)}",
        }
    }


@pytest.fixture(autouse=True)
def _english_after_each_test():
    # The pages activate the resident's language in the test's own thread.
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _nothing_kept_from_other_tests():
    # Rolled-back rows can come back with the same ids and other contents.
    memo.clear_all()


@pytest.fixture
def default_version():
    return Survey.objects.get(is_default=True).published_version


@pytest.fixture
def make_invitation(default_version):
    """A sent invitation for a closed HPD request, as the sending step leaves it."""

    def make_invitation(
        *,
        channel: str = Channel.EMAIL,
        language: str = "en",
        status: str = Invitation.Status.SENT,
        expires_in: timedelta = timedelta(days=30),
    ) -> Invitation:
        hpd = Agency.objects.get(code="HPD")
        description = ResolutionDescription.objects.create(
            agency=hpd, title=f"Heat restored {next(_keys)}"
        )
        DescriptionVersion.objects.create(
            description=description,
            number=1,
            status=DescriptionVersion.Status.PUBLISHED,
            text=TOLD_TEXT,
            published_at=timezone.now(),
        )
        closed_at = timezone.now() - timedelta(days=1)
        service_request = ServiceRequest.objects.create(
            unique_key=next(_keys),
            created_at=closed_at - timedelta(days=3),
            closed_at=closed_at,
            status=ServiceRequest.Status.CLOSED,
            agency=hpd,
            complaint_type=ComplaintType.objects.get_or_create(
                agency=hpd, name="HEAT/HOT WATER"
            )[0],
            incident_address=PRIVATE_ADDRESS,
            resolution_description=description,
        )
        record_resolutions_told(
            requests=ServiceRequest.objects.filter(pk=service_request.pk)
        )
        contact = Contact.objects.create(
            service_request=service_request,
            email=RESIDENT_EMAIL,
            phone_e164=RESIDENT_PHONE,
            language=language,
            email_consent=True,
            sms_consent=True,
        )
        sent_at = timezone.now() - timedelta(hours=1)
        return Invitation.objects.create(
            service_request=service_request,
            contact=contact,
            channel=channel,
            status=status,
            language=language,
            survey_version=default_version,
            sent_at=sent_at,
            expires_at=timezone.now() + expires_in,
        )

    return make_invitation


@pytest.fixture
def invitation(make_invitation):
    return make_invitation()


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
