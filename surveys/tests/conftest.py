"""Closed requests with residents' contact details, and outboxes to read."""

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.db import transaction
from django.utils import timezone

from agencies.closures import handle_closures
from agencies.models import Agency, ServiceRequest
from config.celery import app as celery_app
from resolutions.models import (
    DescriptionTranslation,
    DescriptionVersion,
    ResolutionDescription,
)
from surveys.composing import clear_caches
from surveys.models import Contact
from surveys.sms import MemoryBackend

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
