"""Fake contacts for the demo, so closing a sample request shows a survey going out.

Public 311 data carries no contacts. These are made up and marked `is_fake`:
example.org addresses (reserved for examples, RFC 2606) and +1 212-555-01xx
numbers (reserved for fiction by the North American numbering plan), so no real
resident can ever be reached through them.
"""

import logging

from django.db import transaction

from agencies.models import ServiceRequest
from surveys.contacts import save_contact
from surveys.models import Contact

logger = logging.getLogger(__name__)

# Every site language, so the demo shows each translation; es, zh-hans and ar
# come early so that even a small sample has them.
DEMO_LANGUAGES = ["es", "zh-hans", "ar", "en", "ru", "bn", "ht", "ko", "ur", "fr", "pl"]
# 555-0100 to 555-0199: one hundred fictional numbers, one per contact, so the
# limit of one survey per number in SURVEY_FREQUENCY_DAYS does not skip them.
MAX_FAKE_CONTACTS = 100


def fake_phone(number: int) -> str:
    return f"+1 212-555-01{number:02d}"


def fake_email(number: int) -> str:
    return f"resident{number:02d}@example.org"


@transaction.atomic
def give_fake_contacts(*, limit: int = MAX_FAKE_CONTACTS) -> int:
    """Give fake contacts to a spread of the requests not yet closed; how many.

    Does nothing once any fake contact exists, so it can run on every start.
    """
    limit = min(limit, MAX_FAKE_CONTACTS)
    if Contact.objects.filter(is_fake=True).exists():
        return 0
    open_keys = list(
        ServiceRequest.objects.exclude(status=ServiceRequest.Status.CLOSED)
        .filter(contact__isnull=True, created_at__isnull=False)
        .order_by("unique_key")
        .values_list("unique_key", flat=True)
    )
    if not open_keys:
        return 0
    step = max(1, len(open_keys) // limit)
    chosen = open_keys[::step][:limit]
    for number, service_request in enumerate(
        ServiceRequest.objects.filter(unique_key__in=chosen).order_by("unique_key")
    ):
        save_contact(
            service_request=service_request,
            email=fake_email(number),
            phone=fake_phone(number),
            language=DEMO_LANGUAGES[number % len(DEMO_LANGUAGES)],
            email_consent=True,
            sms_consent=True,
            is_fake=True,
        )
    logger.info("gave fake contacts to %s open requests", len(chosen))
    return len(chosen)
