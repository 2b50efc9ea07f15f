"""Which residents of newly closed requests are asked, on which channel, and when.

`schedule_invitations` runs inside the closure's transaction (called by
`agencies.closures.handle_closures`). For each closed request that has a
`Contact`, it makes one `Invitation` per channel the resident gave an address for
and applies the rules below in order. The first rule that stops a channel is
written on its invitation as `skip_reason`, with a sentence for staff in `notes`:

1. closed date unknown, or implausible (in the future, before the request was
   made, older than SURVEY_MAX_CLOSURE_AGE_DAYS, or dropped by the import);
2. no published default survey;
3. per channel: no consent, an address that cannot be used, an opt-out;
4. the frequent-caller limit: one survey per address in SURVEY_FREQUENCY_DAYS;
5. one channel per resident: SURVEY_PREFERRED_CHANNEL when both are possible.

The chosen channel gets its invitation `Message`, due SURVEY_DELAY_MINUTES after
the closure, and its reminder, due SURVEY_REMINDER_DAYS later. Text messages are
moved into the hours residents may be texted (SURVEY_SMS_FIRST_HOUR to
SURVEY_SMS_LAST_HOUR, New York time, across clock changes). Messages already due
are handed to the worker when the transaction commits; later ones wait in the
database for the beat dispatcher (surveys.sending.dispatch_due_messages).
"""

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from agencies.models import ServiceRequest
from agencies.quality import Flag
from surveys.addresses import address_digest
from surveys.models import (
    Channel,
    Contact,
    Invitation,
    Message,
    OptOut,
    Survey,
    SurveyVersion,
)

logger = logging.getLogger(__name__)

SkipReason = Invitation.SkipReason

# Contacts handled per round of queries: bounded memory whatever the closure size.
BATCH_SIZE = 2000

# The 311 system's clock may run a little ahead of ours: a closure stamped a few
# minutes from now is real, one stamped tomorrow is not.
CLOCK_SKEW = timedelta(minutes=15)

# Invitations that count as "surveyed" for the frequent-caller limit.
# Seeds the hash of an address digest into an advisory lock key, apart from any
# other advisory locks the site takes.
ADDRESS_LOCK_SEED = 311_0001

SURVEYED_STATUSES = (
    Invitation.Status.SCHEDULED,
    Invitation.Status.SENT,
    Invitation.Status.ANSWERED,
    Invitation.Status.EXPIRED,
)


# --- Quiet hours ---------------------------------------------------------------------


def sms_time_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_sms_hour(at: datetime) -> bool:
    local = at.astimezone(sms_time_zone())
    return settings.SURVEY_SMS_FIRST_HOUR <= local.hour < settings.SURVEY_SMS_LAST_HOUR


def next_sms_time(at: datetime) -> datetime:
    """`at` if a resident may be texted then, else the start of the next window.

    Wall-clock arithmetic in New York time, so 09:00 stays 09:00 on the days the
    clocks change (13:00 UTC in summer, 14:00 UTC in winter).
    """
    zone = sms_time_zone()
    local = at.astimezone(zone)
    if is_sms_hour(at):
        return at
    day = local.date()
    if local.hour >= settings.SURVEY_SMS_LAST_HOUR:
        day += timedelta(days=1)
    opening = datetime.combine(day, time(settings.SURVEY_SMS_FIRST_HOUR), zone)
    # Round-tripping through UTC settles a first hour inside a skipped hour.
    return opening.astimezone(zone)


def days_later(at: datetime, days: int) -> datetime:
    """The same New York wall-clock time `days` later (not days * 24 hours)."""
    zone = sms_time_zone()
    local = at.astimezone(zone)
    later = datetime.combine(local.date() + timedelta(days=days), local.time(), zone)
    return later.astimezone(zone)


def _held_note(held: datetime) -> str:
    local = held.astimezone(sms_time_zone())
    return (
        f"Held to {local:%H:%M} on {local:%a %b} {local.day} for quiet hours (texts "
        f"only {settings.SURVEY_SMS_FIRST_HOUR:02d}:00-"
        f"{settings.SURVEY_SMS_LAST_HOUR:02d}:00 New York time)."
    )


# --- Rules ---------------------------------------------------------------------------


@dataclass
class _Plan:
    """What becomes of one channel of one request."""

    contact: Contact
    channel: str
    digest: str
    skip_reason: str = ""
    notes: list[str] = field(default_factory=list)
    send_after: datetime | None = None
    reminder_at: datetime | None = None

    def skip(self, reason: str, note: str) -> None:
        if not self.skip_reason:
            self.skip_reason = reason
            self.notes.append(note)

    @property
    def is_open(self) -> bool:
        return not self.skip_reason


def closed_date_problem(
    service_request: ServiceRequest, *, now: datetime
) -> tuple[str, str] | None:
    """(skip reason, note) when the closed date cannot start a survey, else None."""
    closed = service_request.closed_at
    if closed is None:
        if "closed_at" in (service_request.raw_values or {}):
            return (
                SkipReason.IMPLAUSIBLE_CLOSED_DATE,
                "The published closed date could not be used by the import.",
            )
        return SkipReason.NO_CLOSED_DATE, "No closed date was published."
    if service_request.quality_flags & Flag.CLOSED_BEFORE_CREATED:
        return (
            SkipReason.IMPLAUSIBLE_CLOSED_DATE,
            "The import flagged the closed date as before the created date.",
        )
    if closed > now + CLOCK_SKEW:
        return SkipReason.IMPLAUSIBLE_CLOSED_DATE, "Closed date is in the future."
    created = service_request.created_at
    if created is not None and closed < created:
        return (
            SkipReason.IMPLAUSIBLE_CLOSED_DATE,
            "Closed date is before the request was made.",
        )
    max_age = settings.SURVEY_MAX_CLOSURE_AGE_DAYS
    if closed < now - timedelta(days=max_age):
        return (
            SkipReason.IMPLAUSIBLE_CLOSED_DATE,
            f"Closed more than {max_age} days ago; too late to ask.",
        )
    return None


def _channel_plans(contact: Contact) -> list[_Plan]:
    plans = []
    if contact.email:
        plans.append(
            _Plan(
                contact,
                Channel.EMAIL,
                address_digest(Channel.EMAIL, contact.email),
            )
        )
    if contact.phone_e164 or contact.phone_as_given:
        digest = (
            address_digest(Channel.SMS, contact.phone_e164)
            if contact.phone_e164
            else ""
        )
        plans.append(_Plan(contact, Channel.SMS, digest))
    return plans


def _check_channel(plan: _Plan, opted_out: set[tuple[str, str]]) -> None:
    contact = plan.contact
    if plan.channel == Channel.SMS and (
        contact.phone_problem or not contact.phone_e164
    ):
        problem = contact.get_phone_problem_display() or "Not a valid phone number"
        plan.skip(SkipReason.UNREACHABLE, f"{problem}.")
    elif plan.channel == Channel.EMAIL and not contact.email_consent:
        plan.skip(SkipReason.NO_CONSENT, "The resident did not agree to email.")
    elif plan.channel == Channel.SMS and not contact.sms_consent:
        plan.skip(SkipReason.NO_CONSENT, "The resident did not agree to texts.")
    elif (plan.channel, plan.digest) in opted_out:
        plan.skip(SkipReason.OPTED_OUT, "This address asked for no more surveys.")


def _choose_channel(plans: list[_Plan], recently: set[str], chosen: set[str]) -> None:
    """Frequent-caller limit, then one channel: writes the outcome on each plan."""
    open_plans = [plan for plan in plans if plan.is_open]
    if not open_plans:
        return
    days = settings.SURVEY_FREQUENCY_DAYS
    # Any of the resident's addresses counts: a resident is one person.
    digests = {plan.digest for plan in plans if plan.digest}
    if days and digests & (recently | chosen):
        for plan in open_plans:
            plan.skip(
                SkipReason.RECENTLY_SURVEYED,
                f"Already asked in the last {days} days (frequent caller).",
            )
        return
    preferred = settings.SURVEY_PREFERRED_CHANNEL
    open_plans.sort(key=lambda plan: plan.channel != preferred)
    for plan in open_plans[1:]:
        plan.skip(
            SkipReason.OTHER_CHANNEL,
            f"Sent by {Channel(open_plans[0].channel).label.lower()} instead.",
        )
    chosen.update(digests)


# --- Scheduling ----------------------------------------------------------------------


def default_survey_version() -> SurveyVersion | None:
    survey = Survey.objects.filter(is_default=True).first()
    return survey.published_version if survey else None


def _batches(items: Iterable[Contact], size: int) -> Iterator[list[Contact]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@dataclass
class ScheduleResult:
    invitations: int = 0
    scheduled: int = 0
    skipped: int = 0
    due_now: list[int] = field(default_factory=list)


def schedule_invitations(
    *, requests: QuerySet[ServiceRequest], now: datetime | None = None
) -> ScheduleResult:
    """Make the invitations and messages for the newly closed `requests`.

    Must run inside the closure's transaction: messages already due are enqueued
    when it commits, so a rolled-back closure sends nothing. A request closed again
    keeps the invitations it has (one per request and channel, held by the
    database), so repeated closures never ask twice.
    """
    now = now or timezone.now()
    result = ScheduleResult()
    # Imports close hundreds of thousands of requests; only those with contact
    # details can be surveyed, so the filter runs in the database.
    contacts = (
        Contact.objects.filter(service_request__in=requests)
        .select_related("service_request")
        .order_by("pk")
    )
    version: SurveyVersion | None = None
    version_loaded = False
    for batch in _batches(contacts.iterator(chunk_size=BATCH_SIZE), BATCH_SIZE):
        if not version_loaded:
            version, version_loaded = default_survey_version(), True
        _schedule_batch(batch, version=version, now=now, result=result)

    if result.due_now:
        due = list(result.due_now)
        transaction.on_commit(lambda: _enqueue_after_commit(due), robust=True)
    if result.invitations:
        logger.info(
            "Closure made %d invitations: %d scheduled, %d not sent, %d due now",
            result.invitations,
            result.scheduled,
            result.skipped,
            len(result.due_now),
        )
    return result


def _enqueue_after_commit(message_ids: list[int]) -> None:
    from surveys.sending import enqueue_messages

    enqueue_messages(message_ids)


def _lock_addresses(digests: set[str]) -> None:
    """Hold each address until the closure's transaction ends.

    Two closures for one resident at the same moment (an import and the staff
    API, say) would each find no recent survey and both ask; with the lock the
    second waits, then sees the first's invitation. A batch takes its locks in
    one order; should two closures still wait on each other (two large imports
    sharing residents across batches), PostgreSQL ends one as a deadlock and
    its transaction rolls back whole, to be tried again.
    """
    if not digests or connection.vendor != "postgresql":
        return  # SQLite runs one writing transaction at a time anyway.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(digest, %s)) "
            "FROM (SELECT unnest(%s::text[]) AS digest ORDER BY 1) AS ordered",
            [ADDRESS_LOCK_SEED, sorted(digests)],
        )


def _schedule_batch(
    contacts: list[Contact],
    *,
    version: SurveyVersion | None,
    now: datetime,
    result: ScheduleResult,
) -> None:
    already = set(
        Invitation.objects.filter(
            service_request_id__in=[c.service_request_id for c in contacts]
        ).values_list("service_request_id", flat=True)
    )
    contacts = [c for c in contacts if c.service_request_id not in already]
    plans_by_contact = [(c, _channel_plans(c)) for c in contacts]
    digests = {
        plan.digest for _, plans in plans_by_contact for plan in plans if plan.digest
    }
    opted_out = set(
        OptOut.objects.filter(
            address_digest__in=digests, opted_back_in_at__isnull=True
        ).values_list("channel", "address_digest")
    )
    recently: set[str] = set()
    if settings.SURVEY_FREQUENCY_DAYS:
        _lock_addresses(digests)
        since = now - timedelta(days=settings.SURVEY_FREQUENCY_DAYS)
        recently = set(
            Invitation.objects.filter(
                address_digest__in=digests,
                created_at__gte=since,
                status__in=SURVEYED_STATUSES,
            ).values_list("address_digest", flat=True)
        )

    chosen: set[str] = set()
    invitations: list[Invitation] = []
    timed: dict[tuple[int, str], _Plan] = {}
    for contact, plans in plans_by_contact:
        problem = closed_date_problem(contact.service_request, now=now)
        for plan in plans:
            if problem:
                plan.skip(*problem)
            elif version is None:
                plan.skip(SkipReason.NO_SURVEY, "No default survey is published.")
            else:
                _check_channel(plan, opted_out)
        _choose_channel(plans, recently, chosen)
        for plan in plans:
            if plan.is_open:
                _time_messages(plan, now=now)
            invitations.append(
                Invitation(
                    service_request_id=contact.service_request_id,
                    contact=contact,
                    channel=plan.channel,
                    status=(
                        Invitation.Status.SKIPPED
                        if plan.skip_reason
                        else Invitation.Status.SCHEDULED
                    ),
                    skip_reason=plan.skip_reason,
                    notes=" ".join(plan.notes),
                    address_digest=plan.digest,
                    # save_contact stores only site languages.
                    language=contact.language,
                    survey_version=version,
                    is_simulated=contact.is_fake,
                    closed_at=contact.service_request.closed_at,
                )
            )
            if plan.is_open:
                timed[(contact.service_request_id, plan.channel)] = plan

    # A parallel closure of the same request may have won the race since the check
    # above: its rows stand and ours are dropped by the unique constraint.
    Invitation.objects.bulk_create(invitations, ignore_conflicts=True)
    # Only ids and keys: thousands of model instances cost more than the query.
    created = Invitation.objects.filter(
        token__in=[invitation.token for invitation in invitations]
    ).values_list("pk", "service_request_id", "channel", "status")
    messages = []
    for invitation_id, service_request_id, channel, status in created:
        result.invitations += 1
        if status != Invitation.Status.SCHEDULED:
            result.skipped += 1
            continue
        result.scheduled += 1
        plan = timed[(service_request_id, channel)]
        messages.extend(_messages_for(invitation_id, plan, now=now))
    Message.objects.bulk_create(messages, ignore_conflicts=True)

    due = [
        m.invitation_id
        for m in messages
        if m.purpose == Message.Purpose.INVITATION and m.send_after <= now
    ]
    if due:
        result.due_now.extend(
            Message.objects.filter(
                invitation_id__in=due, purpose=Message.Purpose.INVITATION
            ).values_list("pk", flat=True)
        )


def _time_messages(plan: _Plan, *, now: datetime) -> None:
    """When the chosen channel's invitation and reminder go, with any hold noted."""
    closed = plan.contact.service_request.closed_at or now
    due = max(now, closed + timedelta(minutes=settings.SURVEY_DELAY_MINUTES))
    plan.send_after = due
    if plan.channel == Channel.SMS:
        plan.send_after = next_sms_time(due)
        if plan.send_after != due:
            plan.notes.append(_held_note(plan.send_after))
    if settings.SURVEY_REMINDER_DAYS:
        reminder_at = days_later(plan.send_after, settings.SURVEY_REMINDER_DAYS)
        if plan.channel == Channel.SMS:
            reminder_at = next_sms_time(reminder_at)
        plan.reminder_at = reminder_at


def _messages_for(invitation_id: int, plan: _Plan, *, now: datetime) -> list[Message]:
    send_after = plan.send_after
    assert send_after is not None  # noqa: S101 (set by _time_messages for open plans)
    messages = [
        Message(
            invitation_id=invitation_id,
            purpose=Message.Purpose.INVITATION,
            send_after=send_after,
            # Due now: enqueued when the closure commits, not by the dispatcher.
            enqueued_at=now if send_after <= now else None,
        )
    ]
    if plan.reminder_at is not None:
        messages.append(
            Message(
                invitation_id=invitation_id,
                purpose=Message.Purpose.REMINDER,
                send_after=plan.reminder_at,
            )
        )
    return messages
