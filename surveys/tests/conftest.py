"""Fixtures of the surveys tests: invitations, closed requests, staff and outboxes."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
from django.db import transaction
from django.utils import timezone, translation

from agencies.closures import handle_closures
from agencies.models import Agency, ComplaintType, ServiceRequest, StaffMembership
from config.celery import app as celery_app
from config.testing.browser import browser, new_page  # noqa: F401 (pytest fixtures)
from config.testing.staff import staff
from resolutions.models import (
    DescriptionTranslation,
    DescriptionVersion,
    ResolutionDescription,
)
from resolutions.services import record_resolutions_told
from surveys import memo
from surveys.composing import clear_caches
from surveys.models import Channel, Contact, Invitation, Survey
from surveys.sms import MemoryBackend

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


# Monday 2 March 2026, 15:00 UTC = 10:00 in New York: inside texting hours.
WEEKDAY_MORNING = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)

AGENCY_TEXT = "The Department of Sanitation collected the missed pickup."
AGENCY_SMS = "Sanitation collected the missed pickup."


@pytest.fixture(autouse=True)
def _send_in_process(settings):
    """Tasks run in the test's process, texts land in MemoryBackend.outbox.

    CI names a broker in CELERY_BROKER_URL; these tests must not use it.
    """
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    settings.SMS_BACKEND = "surveys.sms.MemoryBackend"
    settings.SURVEY_DELAY_MINUTES = 0
    settings.SURVEY_REMINDER_DAYS = 3
    settings.SURVEY_FREQUENCY_DAYS = 30
    settings.SURVEY_PREFERRED_CHANNEL = "email"
    MemoryBackend.outbox.clear()
    clear_caches()
    yield
    MemoryBackend.outbox.clear()
    clear_caches()
    celery_app.conf.task_always_eager = was_eager


@pytest.fixture
def sms_outbox() -> list:
    return MemoryBackend.outbox


_next_key = iter(range(70_000_000, 80_000_000))


_JUST_NOW = object()


def make_request(
    *,
    closed_at=_JUST_NOW,
    created_at: datetime | None = None,
    told: bool = True,
    **fields,
) -> ServiceRequest:
    """A closed request (an hour ago unless `closed_at` is given); with `told`, its
    resident was told a published version."""
    if closed_at is _JUST_NOW:
        closed_at = timezone.now() - timezone.timedelta(hours=1)
    agency = Agency.objects.get(code="DSNY")
    service_request = ServiceRequest.objects.create(
        unique_key=next(_next_key),
        status=ServiceRequest.Status.CLOSED,
        created_at=created_at
        or (closed_at - timezone.timedelta(days=2) if closed_at else None),
        closed_at=closed_at,
        agency=agency,
        resolution_text="The Department of Sanitation has resolved this request.",
        **fields,
    )
    if told:
        service_request.resolution_description = _published_description(agency)
        service_request.save()
    return service_request


def _published_description(agency: Agency) -> ResolutionDescription:
    description, created = ResolutionDescription.objects.get_or_create(
        agency=agency, title="Missed collection picked up"
    )
    if created:
        version = DescriptionVersion.objects.create(
            description=description,
            number=1,
            status=DescriptionVersion.Status.PUBLISHED,
            text=AGENCY_TEXT,
            sms_text=AGENCY_SMS,
            published_at=timezone.now(),
        )
        DescriptionTranslation.objects.create(
            version=version,
            language="es",
            text="El Departamento de Sanidad recogió la basura pendiente.",
            sms_text="Sanidad recogió la basura pendiente.",
        )
    return description


def make_contact(
    service_request: ServiceRequest,
    *,
    email: str = "",
    phone: str = "",
    language: str = "en",
    **fields,
) -> Contact:
    return Contact.objects.create(
        service_request=service_request,
        email=email,
        email_consent=bool(email),
        phone_as_given=phone,
        phone_e164=phone,
        sms_consent=bool(phone),
        language=language,
        **fields,
    )


@pytest.fixture
def close() -> Callable[..., None]:
    """Close requests as an import would: handle_closures in one transaction."""

    def close(*requests: ServiceRequest) -> None:
        keys = [r.pk for r in requests]
        with transaction.atomic():
            handle_closures(requests=ServiceRequest.objects.filter(pk__in=keys))

    return close
