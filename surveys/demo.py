"""Demo data: fake contacts, so closing a sample request shows a survey going out,
and simulated answers, so the review queue and dashboards have something to show.

Public 311 data carries no contacts. These are made up and marked `is_fake`:
example.org addresses (reserved for examples, RFC 2606) and +1 212-555-01xx
numbers (reserved for fiction by the North American numbering plan), so no real
resident can ever be reached through them.
"""

import logging
import random
from datetime import timedelta

from django.db import transaction

from agencies.models import ServiceRequest
from surveys.contacts import save_contact
from surveys.models import Channel, Contact, Invitation, Response, Survey
from surveys.responses import record_response

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


# About this share of the sample's closed requests get simulated answers.
SIMULATED_SHARE = 0.3
SIMULATION_SEED = 311
SIMULATED_COMMENTS = [
    "",
    "",
    "Nobody came. The problem is still there.",
    "They said there was no violation but it happens every night.",
    "Thank you for the quick response.",
    "The inspector could not get in because nobody called me first.",
    "Still broken after two weeks.",
]


def simulate_answers(*, share: float = SIMULATED_SHARE) -> int:
    """Simulated survey answers for a share of the closed requests; how many.

    Every invitation and response is marked `is_simulated` and has no contact.
    Answers go through record_response, so review cases open as they would for
    real ones. Seeded, so every run picks the same requests and answers, and it
    does nothing once simulated answers exist.
    """
    if Response.objects.filter(is_simulated=True).exists():
        return 0
    survey = Survey.objects.filter(is_default=True).first()
    version = survey.published_version if survey else None
    if version is None:
        return 0
    closed = list(
        ServiceRequest.objects.filter(
            status=ServiceRequest.Status.CLOSED,
            closed_at__isnull=False,
            invitations__isnull=True,
        )
        .order_by("unique_key")
        .values_list("unique_key", "closed_at")
    )
    rng = random.Random(SIMULATION_SEED)  # noqa: S311 (demo data, seeded on purpose)
    chosen = [row for row in closed if rng.random() < share]
    for unique_key, closed_at in chosen:
        language = rng.choice(DEMO_LANGUAGES)
        sent_at = closed_at + timedelta(hours=1)
        invitation = Invitation.objects.create(
            service_request_id=unique_key,
            channel=Channel.EMAIL,
            status=Invitation.Status.SENT,
            language=language,
            survey_version=version,
            is_simulated=True,
            closed_at=closed_at,
            sent_at=sent_at,
            expires_at=sent_at + timedelta(days=30),
        )
        record_response(
            invitation=invitation,
            answers=_simulated_answers(rng),
            language=language,
            channel=Channel.EMAIL,
            answered_at=sent_at + timedelta(hours=rng.randint(1, 72)),
        )
    logger.info("simulated answers for %s closed requests", len(chosen))
    return len(chosen)


def _simulated_answers(rng: random.Random) -> dict[str, str]:
    satisfaction = rng.choices(
        ["strongly_agree", "agree", "neutral", "disagree", "strongly_disagree"],
        weights=[25, 25, 15, 18, 17],
    )[0]
    unhappy = satisfaction in ("disagree", "strongly_disagree")
    answers = {
        "satisfaction": satisfaction,
        "fixed": rng.choices(
            ["yes", "no", "not_sure"], weights=[2, 6, 2] if unhappy else [8, 1, 1]
        )[0],
        "reopen": "yes" if unhappy and rng.random() < 0.3 else "no",
    }
    comment = rng.choice(SIMULATED_COMMENTS)
    if comment:
        answers["comment"] = comment
    return answers
