"""Sending each survey message exactly once, whatever the broker and workers do.

The database decides, never the broker:

1. Claim. `send_message` starts with one UPDATE that moves the row from scheduled
   to sending, stamping `claimed_at` and counting the attempt. Zero rows updated
   means another delivery of the task, a retry or the dispatcher got there first:
   the task logs it and returns. A task delivered twice therefore sends once.
   `send_messages` claims a batch's due messages the same way, in one
   UPDATE ... RETURNING that gives each claimed row with its own stamp.
2. Re-check. Between scheduling and sending the resident may have answered, opted
   out, withdrawn consent or had their details purged, or the link may have
   expired: the message is cancelled instead.
3. Send, under this site's stable `reference` for the message (the same on every
   attempt; for email it is the Message-ID).
4. Record. The provider's id, the text (survey token masked) and the outcome are
   written with an UPDATE that only matches our own claim (status sending and
   our `claimed_at`), so a late worker can never overwrite a settled message.
   A batch records its sends together, in one statement matching each row on
   its own claim, at least every RECORD_EVERY_SECONDS and whenever it stops.

Errors: a permanent one (invalid address, opted out) fails the message and its
invitation for staff to see, and Twilio's "replied STOP" opts the number out; a
transient one puts the message back to scheduled at the retry time the task
passes in (its retry policy), or fails it when retries are used up.

The lease. A worker killed between the claim and the record leaves the row in
sending (for a batch: every claim not yet recorded, sent or not yet tried). A
live worker never holds a claim longer than the task's hard time limit
(surveys.tasks.SEND_TIME_LIMIT), so a claim older than SURVEY_SEND_LEASE_SECONDS
belongs to a dead worker. `reconcile_stale_claims` (run by the dispatcher) asks the
backend whether the reference was sent:

- sent: the message is recorded as sent with the provider id found;
- not sent: the message goes back to scheduled and is sent again, once;
- the backend cannot tell (console, SMTP, the providers' APIs): the message is
  marked `unknown` for staff and never sent again. A resident may miss a survey;
  no resident gets two.

The same settlement applies right away when a provider fails in a way that may
have sent the message (a read timeout), so a retry after a timeout never sends a
second copy. The file and memory backends keep what they sent and can always
answer, which is what the worker tests and the benchmark rely on.
"""

import collections
import enum
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from typing import Protocol

from django.conf import settings
from django.db import connections, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from surveys import composing, mail, optouts, sms
from surveys.addresses import address_digest
from surveys.delivery import (
    CannotTell,
    PermanentSendError,
    TransientSendError,
)
from surveys.linkquery import preparing_cursor
from surveys.models import Channel, Invitation, Message, OptOut
from surveys.scheduling import next_sms_time

logger = logging.getLogger(__name__)


class Outcome(enum.StrEnum):
    SENT = "sent"
    NOT_CLAIMED = "not_claimed"
    CANCELLED = "cancelled"
    FAILED = "failed"
    RETRY = "retry"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class _Claim:
    message_id: int
    claimed_at: datetime


def _claim(message_id: int, now: datetime) -> _Claim | None:
    claimed = Message.objects.filter(
        pk=message_id, status=Message.Status.SCHEDULED, send_after__lte=now
    ).update(
        status=Message.Status.SENDING,
        claimed_at=now,
        attempts=F("attempts") + 1,
        updated_at=now,
    )
    return _Claim(message_id, now) if claimed else None


def _ours(claim: _Claim):
    return Message.objects.filter(
        pk=claim.message_id,
        status=Message.Status.SENDING,
        claimed_at=claim.claimed_at,
    )


def _with_what_sending_needs(messages):
    """The messages with everything a send reads, in one query: the invitation,
    contact and request, the version the resident was told (`told_version_id`) and
    whether the address the invitation was made for has opted out
    (`invited_address_opted_out`)."""
    return messages.select_related(
        "invitation__contact",
        "invitation__service_request__agency",
        "invitation__service_request__complaint_type",
    ).annotate(
        told_version_id=composing.told_version_id_subquery(
            "invitation__service_request_id"
        ),
        invited_address_opted_out=Exists(
            OptOut.objects.filter(
                channel=OuterRef("invitation__channel"),
                address_digest=OuterRef("invitation__address_digest"),
                opted_back_in_at__isnull=True,
            )
        ),
    )


def send_message(*, message_id: int, retry_in: timedelta | None = None) -> Outcome:
    """Send one scheduled message if it is due and nobody else has claimed it.

    `retry_in` is when to try again after a transient error; None means this was
    the last attempt. Raises TransientSendError after rescheduling the message, so
    the caller (the Celery task) can schedule its retry.
    """
    now = timezone.now()
    claim = _claim(message_id, now)
    if claim is None:
        status = (
            Message.objects.filter(pk=message_id)
            .values_list("status", flat=True)
            .first()
        )
        logger.info("Message %s not claimed (status %s)", message_id, status)
        return Outcome.NOT_CLAIMED

    message = _with_what_sending_needs(Message.objects.filter(pk=message_id)).get()
    return _send_claimed(
        claim, message, now=now, retry_in=retry_in, record=_record_sent
    )


class _Record(Protocol):
    def __call__(
        self,
        claim: _Claim,
        message: Message,
        provider_id: str,
        *,
        subject: str,
        body: str,
    ) -> None: ...


def _send_claimed(
    claim: _Claim,
    message: Message,
    *,
    now: datetime,
    retry_in: timedelta | None,
    record: _Record,
) -> Outcome:
    """Re-check, send and record a message this worker holds the claim of."""
    reason, skip_reason = _reason_not_to_send(message, now=now)
    if reason:
        _cancel(claim, message, reason, skip_reason=skip_reason)
        return Outcome.CANCELLED

    try:
        subject, body, send = _prepare(message)
    except Exception:
        # Nothing was sent: fail it where staff can see it rather than leave the
        # claim for the lease to settle.
        logger.exception("Message %s could not be composed", message.pk)
        return _fail(claim, message, "Could not compose the message", opted_out=False)
    try:
        provider_id = send()
    except PermanentSendError as error:
        return _fail(claim, message, str(error), opted_out=error.opted_out)
    except TransientSendError as error:
        if error.maybe_sent:
            outcome = _settle(
                claim,
                message,
                subject=subject,
                body=body,
                note=str(error),
                retry_in=retry_in,
            )
        else:
            outcome = _retry_or_fail(claim, message, str(error), retry_in=retry_in)
        if outcome == Outcome.RETRY:
            raise
        return outcome

    record(claim, message, provider_id, subject=subject, body=body)
    return Outcome.SENT


# --- Batches ---------------------------------------------------------------------

# During a batch, sends already made are recorded at least this often, so that a
# worker killed while a slow provider answers leaves few sends for the lease.
RECORD_EVERY_SECONDS = 1.0


@dataclass
class BatchOutcome:
    # How many messages ended how (Outcome values).
    outcomes: collections.Counter = field(default_factory=collections.Counter)
    # Rescheduled after a transient error: each goes on with its own retries.
    retry: list[int] = field(default_factory=list)
    # Not tried within the time budget: released unclaimed, for another task.
    left: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class _Sent:
    claim: _Claim
    message: Message
    provider_id: str
    subject: str
    body: str


def send_messages(
    *,
    message_ids: list[int],
    retry_in: timedelta | None,
    time_budget: float | None = None,
) -> BatchOutcome:
    """Send several messages, each exactly as `send_message` would, in fewer
    statements: one claims all that are due and unclaimed (each row keeps its own
    claim stamp), one reads them with what sending needs, and the sends are
    recorded together, each only where its claim still holds.

    A worker killed mid-batch leaves the claimed messages in sending, as a worker
    killed mid-send does one: the lease settles each by asking the backend (a
    message whose send returned but whose record did not land is found sent).
    Messages not yet tried after `time_budget` seconds are released and listed in
    `left`.
    """
    started = time.monotonic()
    result = BatchOutcome()
    if not message_ids:
        return result
    if connections["default"].vendor != "postgresql":
        # The claim and the record below are PostgreSQL statements.
        for position, message_id in enumerate(message_ids):
            if time_budget is not None and time.monotonic() - started > time_budget:
                result.left = message_ids[position:]
                break
            try:
                outcome = send_message(message_id=message_id, retry_in=retry_in)
            except TransientSendError:
                outcome = Outcome.RETRY
                result.retry.append(message_id)
            result.outcomes[outcome.value] += 1
        return result

    now = timezone.now()
    claimed = _claim_many(message_ids, now)
    unclaimed = [pk for pk in message_ids if pk not in claimed]
    if unclaimed:
        result.outcomes[Outcome.NOT_CLAIMED.value] += len(unclaimed)
        logger.info("Messages %s not claimed", unclaimed)
    messages = list(
        _with_what_sending_needs(Message.objects.filter(pk__in=claimed)).order_by("pk")
    )

    unrecorded: list[_Sent] = []
    recorded_at = time.monotonic()

    def record(
        claim: _Claim, message: Message, provider_id: str, *, subject: str, body: str
    ) -> None:
        unrecorded.append(_Sent(claim, message, provider_id, subject, body))

    try:
        for position, message in enumerate(messages):
            if time_budget is not None and time.monotonic() - started > time_budget:
                result.left = _release(messages[position:], now)
                break
            try:
                outcome = _send_claimed(
                    _Claim(message.pk, claimed[message.pk]),
                    message,
                    now=now,
                    retry_in=retry_in,
                    record=record,
                )
            except TransientSendError:
                outcome = Outcome.RETRY
                result.retry.append(message.pk)
            result.outcomes[outcome.value] += 1
            if unrecorded and time.monotonic() - recorded_at > RECORD_EVERY_SECONDS:
                _record_sent_many(unrecorded)
                unrecorded.clear()
                recorded_at = time.monotonic()
    finally:
        # Also when something unexpected stops the batch: what was sent is
        # recorded now rather than left to the lease.
        if unrecorded:
            _record_sent_many(unrecorded)
    return result


def _message_table() -> str:
    return connections["default"].ops.quote_name(Message._meta.db_table)


@cache
def _claim_many_sql() -> str:
    return (
        f"UPDATE {_message_table()} SET status = %s, claimed_at = %s, "
        "attempts = attempts + 1, updated_at = %s "
        "WHERE id = ANY(%s::bigint[]) AND status = %s AND send_after <= %s "
        "RETURNING id, claimed_at"
    )


def _claim_many(message_ids: list[int], now: datetime) -> dict[int, datetime]:
    """Claim the due, unclaimed messages among these: {id: claim stamp}."""
    connection = connections["default"]
    with preparing_cursor(connection) as cursor:
        cursor.execute(
            _claim_many_sql(),
            [
                Message.Status.SENDING,
                now,
                now,
                message_ids,
                Message.Status.SCHEDULED,
                now,
            ],
        )
        return dict(cursor.fetchall())


@cache
def _record_sent_many_sql() -> str:
    invitation_table = connections["default"].ops.quote_name(Invitation._meta.db_table)
    # Each row is written only while its claim holds; the invitations of the
    # invitation messages written become sent in the same statement.
    return (
        "WITH sent (id, claimed_at, provider_message_id, subject, body) AS ("
        "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[], "
        "%s::text[], %s::text[])), "
        f"recorded AS (UPDATE {_message_table()} m SET status = %s, "
        "provider_message_id = sent.provider_message_id, subject = sent.subject, "
        "body = sent.body, error = '', sent_at = %s, updated_at = %s FROM sent "
        "WHERE m.id = sent.id AND m.status = %s AND m.claimed_at = sent.claimed_at "
        "RETURNING m.id, m.invitation_id, m.purpose), "
        f"invited AS (UPDATE {invitation_table} i SET status = %s, sent_at = %s, "
        "expires_at = %s FROM recorded WHERE i.id = recorded.invitation_id "
        "AND recorded.purpose = %s AND i.status = %s) "
        "SELECT id FROM recorded"
    )


def _record_sent_many(sent: list[_Sent]) -> None:
    now = timezone.now()
    connection = connections["default"]
    with preparing_cursor(connection) as cursor:
        cursor.execute(
            _record_sent_many_sql(),
            [
                [item.claim.message_id for item in sent],
                [item.claim.claimed_at for item in sent],
                [item.provider_id for item in sent],
                [item.subject for item in sent],
                [item.body for item in sent],
                Message.Status.SENT,
                now,
                now,
                Message.Status.SENDING,
                Invitation.Status.SENT,
                now,
                now + timedelta(days=settings.SURVEY_LINK_DAYS),
                Message.Purpose.INVITATION,
                Invitation.Status.SCHEDULED,
            ],
        )
        recorded = {row[0] for row in cursor.fetchall()}
    for item in sent:
        if item.claim.message_id not in recorded:
            # Only possible if this worker outlived its lease and the claim was
            # settled.
            logger.warning(
                "Message %s was settled by someone else", item.claim.message_id
            )
            continue
        logger.info(
            "Message %s (%s, %s) sent as %s",
            item.message.pk,
            item.message.purpose,
            item.message.invitation.channel,
            item.provider_id,
        )


def _release(messages: list[Message], now: datetime) -> list[int]:
    """Give back claims never acted on, for another task to take."""
    ids = [message.pk for message in messages]
    Message.objects.filter(
        pk__in=ids, status=Message.Status.SENDING, claimed_at=now
    ).update(
        status=Message.Status.SCHEDULED,
        claimed_at=None,
        attempts=F("attempts") - 1,
        updated_at=timezone.now(),
    )
    return ids


# Not a skip reason: the invitation expires unsent.
EXPIRED = "expired"


def _reason_not_to_send(message: Message, *, now: datetime) -> tuple[str, str]:
    """(why not, the invitation's skip reason if it should be skipped) or ("", "")."""
    invitation = message.invitation
    contact = invitation.contact
    skip = Invitation.SkipReason
    if invitation.status == Invitation.Status.ANSWERED:
        return "Answered before sending.", ""
    if message.purpose == Message.Purpose.REMINDER:
        if invitation.status != Invitation.Status.SENT:
            return "The invitation was not sent, so there is nothing to remind of.", ""
        if invitation.expires_at and invitation.expires_at <= now:
            return "The survey link has expired.", ""
    elif invitation.status != Invitation.Status.SCHEDULED:
        return f"Invitation is {invitation.get_status_display().lower()}.", ""
    elif invitation.closed_at and invitation.closed_at < now - timedelta(
        days=settings.SURVEY_MAX_CLOSURE_AGE_DAYS
    ):
        # A backlog (an outage, a stopped worker) must not ask about old closures.
        return "Too late: the request closed too long ago.", EXPIRED
    if contact is None:
        return "Contact details were purged.", skip.UNREACHABLE
    if not contact.can_receive(invitation.channel):
        return "No consent or no usable address any more.", skip.NO_CONSENT
    if _is_opted_out(message):
        return "Opted out.", skip.OPTED_OUT
    return "", ""


def _is_opted_out(message: Message) -> bool:
    invitation = message.invitation
    address = invitation.contact.address(invitation.channel)
    known = getattr(message, "invited_address_opted_out", None)
    if known is not None and invitation.address_digest == address_digest(
        invitation.channel, address
    ):
        # Read with the message: the address is still the one invited.
        return known
    return optouts.is_opted_out(channel=invitation.channel, address=address)


def _told(message: Message) -> composing.ToldVersionId:
    return getattr(message, "told_version_id", composing.NOT_LOOKED_UP)


def _prepare(message: Message) -> tuple[str, str, Callable[[], str]]:
    """(subject, body with the token masked, a call that sends and returns the id)."""
    invitation = message.invitation
    reference = composing.reference(message)
    # Demo residents are made up, but their addresses could be someone's: their
    # messages go only to backends that keep them on this machine.
    simulated = invitation.is_simulated and not _stays_local(invitation.channel)
    if simulated:

        def send() -> str:
            return f"simulated-{reference}"

    if invitation.channel == Channel.EMAIL:
        email = composing.compose_email(message, told_version_id=_told(message))
        subject, body = email.subject, email.text
        if not simulated:

            def send() -> str:
                return mail.send_email(email.message)
    else:
        subject, body = (
            "",
            composing.compose_sms(message, told_version_id=_told(message)),
        )
        if not simulated:

            def send() -> str:
                return sms.get_backend().send(
                    to=invitation.contact.phone_e164, body=body, reference=reference
                )

    return subject, composing.mask(body, invitation), send


# Backends that print, keep or file messages on this machine and reach nobody.
LOCAL_EMAIL_BACKENDS = frozenset(
    {
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.filebased.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
        "anymail.backends.test.EmailBackend",
    }
)
LOCAL_SMS_BACKENDS = frozenset(
    {
        "surveys.sms.ConsoleBackend",
        "surveys.sms.FileBackend",
        "surveys.sms.MemoryBackend",
    }
)


def _stays_local(channel: str) -> bool:
    if channel == Channel.EMAIL:
        return settings.EMAIL_BACKEND in LOCAL_EMAIL_BACKENDS
    return settings.SMS_BACKEND in LOCAL_SMS_BACKENDS


@transaction.atomic
def _record_sent(
    claim: _Claim, message: Message, provider_id: str, *, subject: str, body: str
) -> None:
    now = timezone.now()
    recorded = _ours(claim).update(
        status=Message.Status.SENT,
        provider_message_id=provider_id,
        subject=subject,
        body=body,
        error="",
        sent_at=now,
        updated_at=now,
    )
    if not recorded:
        # Only possible if this worker outlived its lease and the claim was settled.
        logger.warning("Message %s was settled by someone else", message.pk)
        return
    if message.purpose == Message.Purpose.INVITATION:
        _mark_invitation_sent(message.invitation_id, sent_at=now)
    logger.info(
        "Message %s (%s, %s) sent as %s",
        message.pk,
        message.purpose,
        message.invitation.channel,
        provider_id,
    )


def _mark_invitation_sent(invitation_id: int, *, sent_at: datetime) -> None:
    Invitation.objects.filter(
        pk=invitation_id, status=Invitation.Status.SCHEDULED
    ).update(
        status=Invitation.Status.SENT,
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=settings.SURVEY_LINK_DAYS),
    )


@transaction.atomic
def _cancel(claim: _Claim, message: Message, reason: str, *, skip_reason: str) -> None:
    _ours(claim).update(
        status=Message.Status.CANCELLED, error=reason, updated_at=timezone.now()
    )
    if skip_reason and message.purpose == Message.Purpose.INVITATION:
        Invitation.objects.filter(
            pk=message.invitation_id, status=Invitation.Status.SCHEDULED
        ).update(
            status=(
                Invitation.Status.EXPIRED
                if skip_reason == EXPIRED
                else Invitation.Status.SKIPPED
            ),
            skip_reason="" if skip_reason == EXPIRED else skip_reason,
            notes=_append(message.invitation.notes, f"Not sent: {reason}"),
        )
        Message.objects.filter(
            invitation_id=message.invitation_id, status=Message.Status.SCHEDULED
        ).update(status=Message.Status.CANCELLED, error=reason)
    logger.info("Message %s cancelled: %s", claim.message_id, reason)


def _fail(claim: _Claim, message: Message, error: str, *, opted_out: bool) -> Outcome:
    invitation = message.invitation
    with transaction.atomic():
        _ours(claim).update(
            status=Message.Status.FAILED, error=error, updated_at=timezone.now()
        )
        if message.purpose == Message.Purpose.INVITATION:
            Invitation.objects.filter(
                pk=invitation.pk, status=Invitation.Status.SCHEDULED
            ).update(
                status=Invitation.Status.SKIPPED,
                skip_reason=(
                    Invitation.SkipReason.OPTED_OUT
                    if opted_out
                    else Invitation.SkipReason.DELIVERY_FAILED
                ),
                notes=_append(invitation.notes, f"Delivery failed: {error}."),
            )
            # No reminder of a survey that never arrived.
            Message.objects.filter(
                invitation=invitation, status=Message.Status.SCHEDULED
            ).update(status=Message.Status.CANCELLED, error="Invitation failed.")
        if opted_out and invitation.contact is not None:
            optouts.opt_out(
                channel=invitation.channel,
                address=invitation.contact.address(invitation.channel),
                source=OptOut.Source.PROVIDER,
            )
    logger.info("Message %s failed permanently: %s", message.pk, error)
    return Outcome.FAILED


def _append(notes: str, note: str) -> str:
    return f"{notes} {note}".strip()


def _retry_or_fail(
    claim: _Claim, message: Message, error: str, *, retry_in: timedelta | None
) -> Outcome:
    if retry_in is None:
        return _fail(
            claim,
            message,
            f"Gave up after {message.attempts} attempts: {error}",
            opted_out=False,
        )
    now = timezone.now()
    retry_at = now + retry_in
    if message.invitation.channel == Channel.SMS:
        retry_at = next_sms_time(retry_at)
    _ours(claim).update(
        status=Message.Status.SCHEDULED,
        send_after=retry_at,
        # A task's own retry is queued for then, so the dispatcher leaves it be;
        # with no delay there is no such task and the dispatcher queues it.
        enqueued_at=retry_at if retry_in else None,
        error=error,
        updated_at=now,
    )
    logger.info("Message %s: %s; retry at %s", message.pk, error, retry_at.isoformat())
    return Outcome.RETRY


def _find_sent(message: Message) -> str | None:
    """The provider id if the message was sent, None if not; raises CannotTell."""
    reference = composing.reference(message)
    if message.invitation.is_simulated:
        return None
    if message.invitation.channel == Channel.EMAIL:
        return mail.find_sent_email(composing.message_id_header(message))
    return sms.get_backend().find_sent(reference=reference)


def _settle(
    claim: _Claim,
    message: Message,
    *,
    subject: str,
    body: str,
    note: str,
    retry_in: timedelta | None,
) -> Outcome:
    """Decide a send whose outcome is unclear, by asking the backend."""
    try:
        provider_id = _find_sent(message)
    except CannotTell:
        _mark_unknown(claim, message, note)
        return Outcome.UNKNOWN
    if provider_id:
        _record_sent(claim, message, provider_id, subject=subject, body=body)
        return Outcome.SENT
    return _retry_or_fail(claim, message, note, retry_in=retry_in)


def _mark_unknown(claim: _Claim, message: Message, note: str) -> None:
    error = (
        f"{note}. It may or may not have been sent, so it is not sent again; "
        "check with the provider."
    )
    with transaction.atomic():
        updated = _ours(claim).update(
            status=Message.Status.UNKNOWN, error=error, updated_at=timezone.now()
        )
        if updated and message.purpose == Message.Purpose.INVITATION:
            # If it did arrive, the resident's link must work.
            now = timezone.now()
            Invitation.objects.filter(
                pk=message.invitation_id, status=Invitation.Status.SCHEDULED
            ).update(
                status=Invitation.Status.SENT,
                expires_at=now + timedelta(days=settings.SURVEY_LINK_DAYS),
                notes=_append(
                    message.invitation.notes,
                    "Invitation message outcome unknown; not sent again.",
                ),
            )
    logger.warning("Message %s outcome unknown: %s", message.pk, note)


def reconcile_stale_claims(*, now: datetime | None = None, lease=None) -> int:
    """Settle messages left in sending by workers that died. Returns how many."""
    now = now or timezone.now()
    lease = (
        lease
        if lease is not None
        else timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS)
    )
    stale = list(
        _with_what_sending_needs(
            Message.objects.claims_older_than(now - lease)
        ).order_by("pk")[:DISPATCH_BATCH]
    )
    for message in stale:
        claim = _Claim(message.pk, message.claimed_at)
        logger.warning(
            "Message %s was claimed at %s and never finished; settling it",
            message.pk,
            message.claimed_at.isoformat(),
        )
        subject, body = "", ""
        if message.invitation.contact is not None:
            subject, body, _send = _prepare(message)
        _settle(
            claim,
            message,
            subject=subject,
            body=body,
            note="The worker sending it stopped before recording the outcome",
            retry_in=timedelta(0),
        )
    return len(stale)


# --- Dispatch ------------------------------------------------------------------------

# A queued task not run within this long is taken as lost and queued again (the
# claim makes a second delivery harmless).
REQUEUE_AFTER = timedelta(minutes=10)
DISPATCH_BATCH = 1000


def take_due_messages(
    *, now: datetime | None = None, limit: int = DISPATCH_BATCH
) -> list[int]:
    """Ids of due messages with no live task, stamped as queued (one transaction)."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(
            Message.objects.due(now=now)
            .filter(
                Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - REQUEUE_AFTER)
            )
            .order_by("send_after", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Message.objects.filter(pk__in=ids).update(enqueued_at=now)
    return ids


def enqueue_messages(message_ids: list[int]) -> None:
    """Queue the messages in tasks of SEND_BATCH (surveys.tasks.send_messages).

    Each message is still claimed and sent on its own; batches only spare the
    broker and the worker a task per message. Without a broker
    (CELERY_TASK_ALWAYS_EAGER) the tasks run here and now.
    """
    from config.celery import app
    from surveys.tasks import SEND_BATCH, batch_task_id_for, send_messages

    if not message_ids:
        return
    batches = [
        message_ids[start : start + SEND_BATCH]
        for start in range(0, len(message_ids), SEND_BATCH)
    ]
    if app.conf.task_always_eager:
        for batch in batches:
            send_messages.apply_async((batch,), task_id=batch_task_id_for(batch))
        return
    # One connection for the whole batch instead of one per message.
    with app.producer_or_acquire() as producer:
        for batch in batches:
            send_messages.apply_async(
                (batch,), task_id=batch_task_id_for(batch), producer=producer
            )
    logger.info("Queued %d survey messages in %d tasks", len(message_ids), len(batches))


@dataclass(frozen=True)
class DispatchResult:
    settled: int
    queued: int


def dispatch_due_messages(*, now: datetime | None = None) -> DispatchResult:
    """Settle dead workers' claims, then queue every due message that has no task."""
    settled = reconcile_stale_claims(now=now)
    queued = 0
    while ids := take_due_messages(now=now):
        enqueue_messages(ids)
        queued += len(ids)
    if settled or queued:
        logger.info("Dispatch: %d stale claims settled, %d queued", settled, queued)
    return DispatchResult(settled=settled, queued=queued)
