"""What comes back from residents' phones and inboxes: delivery reports and replies.

Providers report each message's fate (delivered, bounced, marked as spam...) to
our webhooks, which call `record_delivery_event`; residents' text replies arrive
at `handle_inbound_sms`. Neither trusts the order or the number of deliveries:
providers retry webhooks and reports arrive late, so an event is stored once and
a message's status only ever moves forward.

An email "open" or a link click is no answer: mail scanners open and follow
links on their own. Only a reply the resident typed (a digit by SMS) or the web
form records an answer.
"""

import enum
import logging
import re
import unicodedata
from collections.abc import Callable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext

from resolutions.plain_language import MAX_SMS_SEGMENTS, sms_segments
from surveys.addresses import address_digest
from surveys.links import survey_url
from surveys.masking import remove_addresses
from surveys.models import (
    Channel,
    DeliveryEvent,
    Invitation,
    Message,
    OptOut,
    Question,
    Response,
)
from surveys.optouts import is_opted_out, opt_back_in, opt_out, opt_out_invited
from surveys.responses import Outcome, record_response
from surveys.scales import SMS_REPLY_DIGITS

logger = logging.getLogger(__name__)


class Recorded(enum.Enum):
    RECORDED = "recorded"
    # A provider's retry of an event already stored.
    DUPLICATE = "duplicate"
    UNKNOWN_MESSAGE = "unknown_message"


# The events that change something; every other event (queued, sent, deferred,
# opened, clicked...) is only stored.
_STATUS_AFTER = {
    "delivered": Message.Status.DELIVERED,
    "bounced": Message.Status.BOUNCED,
    # Twilio: the carrier refused the text, the SMS form of a bounce.
    "undelivered": Message.Status.BOUNCED,
    "rejected": Message.Status.FAILED,
    "failed": Message.Status.FAILED,
    # The provider refused to send because the recipient had opted out with it.
    "opted_out": Message.Status.FAILED,
}
_OPT_OUT_SOURCE = {
    "complained": OptOut.Source.COMPLAINT,
    "unsubscribed": OptOut.Source.LIST_UNSUBSCRIBE,
    "opted_out": OptOut.Source.PROVIDER,
}
# Statuses only move up this order, so a late "sent" never undoes "delivered". A
# failure is final: a bounce reported after delivery (the receiving server
# accepted, then gave up) wins, a delivery reported after a bounce does not.
_RANK = {
    Message.Status.SENT: 1,
    Message.Status.DELIVERED: 2,
    Message.Status.BOUNCED: 3,
    Message.Status.FAILED: 3,
}
_FAILED_STATUSES = (Message.Status.BOUNCED, Message.Status.FAILED)


def record_delivery_event(
    *,
    provider_message_id: str,
    event: str,
    occurred_at: datetime,
    description: str = "",
    provider_event_id: str = "",
) -> Recorded:
    """Store what a provider reported about one of our messages, and act on it.

    Delivered, bounced and failed move the message forward (never back); a
    bounce of the invitation itself is written on the invitation for staff; a
    spam complaint, an unsubscribe or a provider's "recipient opted out" opts
    the address out. A report repeated with the same event id (or, without one,
    the same event and time) is stored once.
    """
    description = remove_addresses(description)
    with transaction.atomic():
        message = (
            Message.objects.select_for_update()
            .filter(provider_message_id=provider_message_id)
            .exclude(provider_message_id="")
            .order_by("id")
            .first()
        )
        if message is None:
            logger.warning(
                "Ignored a %s report for unknown provider message %s",
                event,
                provider_message_id,
            )
            return Recorded.UNKNOWN_MESSAGE

        if _already_stored(message, event, occurred_at, provider_event_id):
            logger.info(
                "Ignored a repeated %s report for message %s", event, message.pk
            )
            return Recorded.DUPLICATE
        try:
            with transaction.atomic():
                DeliveryEvent.objects.create(
                    message=message,
                    event=event,
                    provider_event_id=provider_event_id,
                    description=description,
                    occurred_at=occurred_at,
                )
        except IntegrityError:
            # A parallel retry stored it first (see the constraint on DeliveryEvent).
            return Recorded.DUPLICATE

        new_status = _STATUS_AFTER.get(event)
        if new_status is not None:
            _move_forward(message, new_status, occurred_at, description)
        source = _OPT_OUT_SOURCE.get(event)
        if source is not None:
            _opt_out_recipient(message, source)
    return Recorded.RECORDED


def _already_stored(
    message: Message, event: str, occurred_at: datetime, provider_event_id: str
) -> bool:
    events = DeliveryEvent.objects.filter(message=message)
    if provider_event_id:
        return events.filter(provider_event_id=provider_event_id).exists()
    return events.filter(event=event, occurred_at=occurred_at).exists()


def _move_forward(
    message: Message, new_status: str, occurred_at: datetime, description: str
) -> None:
    if _RANK.get(new_status, 0) <= _RANK.get(message.status, 0):
        logger.info(
            "Message %s stays %s after a late %s report",
            message.pk,
            message.status,
            new_status,
        )
        return

    message.status = new_status
    fields = ["status", "updated_at"]
    if new_status == Message.Status.DELIVERED:
        message.delivered_at = occurred_at
        fields.append("delivered_at")
    else:
        message.error = description or f"Reported {new_status} by the provider."
        fields.append("error")
    message.save(update_fields=fields)
    logger.info("Message %s is now %s", message.pk, new_status)

    if new_status in _FAILED_STATUSES and message.purpose == Message.Purpose.INVITATION:
        _mark_undeliverable(message)


def _mark_undeliverable(message: Message) -> None:
    """Show staff that the resident never got the survey, and send no reminder."""
    invitation = Invitation.objects.select_for_update().get(pk=message.invitation_id)
    if invitation.status == Invitation.Status.ANSWERED:
        return
    outcome = message.get_status_display().lower()
    note = f"The invitation {outcome}: the resident did not get it."
    invitation.skip_reason = Invitation.SkipReason.DELIVERY_FAILED
    invitation.notes = f"{invitation.notes}\n{note}".strip()
    invitation.save(update_fields=["skip_reason", "notes"])
    cancelled = Message.objects.filter(
        invitation=invitation, status=Message.Status.SCHEDULED
    ).update(status=Message.Status.CANCELLED, error="The invitation was not delivered.")
    logger.info(
        "Invitation %s marked undeliverable; %d reminders cancelled",
        invitation.pk,
        cancelled,
    )


def _opt_out_recipient(message: Message, source: str) -> None:
    invitation = Invitation.objects.select_related("contact").get(
        pk=message.invitation_id
    )
    if not opt_out_invited(invitation=invitation, source=source):
        logger.warning(
            "Could not opt out the recipient of message %s: no address or digest",
            message.pk,
        )


# Replies to texts. Twilio's standard keywords, matched on the whole message.
OPT_OUT_KEYWORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"}
)
# YES is Twilio's third opt-in word, but here it could be meant as an answer.
OPT_IN_KEYWORDS = frozenset({"START", "UNSTOP"})
HELP_KEYWORDS = frozenset({"HELP", "INFO"})

_EDGE_PUNCTUATION = re.compile(r"^[\W_]+|[\W_]+$")
_E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def handle_inbound_sms(*, from_number: str, body: str) -> str:
    """Act on a text a resident sent us; return the reply, or "" for none.

    STOP and its synonyms opt the number out, START opts it back in, HELP
    explains. A single digit 1-5 answers the first question of the survey most
    recently texted to this number, and the reply offers the link for the rest.
    A number that opted out gets no reply except to STOP, START and HELP, but a
    digit it sends is still recorded: the resident chose to answer.
    """
    if not _E164.match(from_number.strip()):
        logger.warning("Ignored a text from a sender that is not a phone number")
        return ""
    from_number = from_number.strip()
    digest = address_digest(Channel.SMS, from_number)
    latest = _latest_sms_invitation(digest)
    language = latest.language if latest else "en"
    word = _normalise_reply(body)

    if word in OPT_OUT_KEYWORDS:
        opt_out(
            channel=Channel.SMS, address=from_number, source=OptOut.Source.SMS_KEYWORD
        )
        return _reply(language, _opted_out_text)
    if word in OPT_IN_KEYWORDS:
        opt_back_in(channel=Channel.SMS, address=from_number)
        return _reply(language, _opted_in_text)
    if word in HELP_KEYWORDS:
        return _reply(language, _help_text)

    opted_out = is_opted_out(channel=Channel.SMS, address=from_number)
    digit = _reply_digit(word)
    if digit is None:
        logger.info("Unreadable text reply (invitation %s)", latest and latest.pk)
        if opted_out:
            return ""
        is_open = latest is not None and _is_answerable(latest)
        return _reply(language, lambda: _unreadable_text(is_open=is_open))

    reply = _answer_by_digit(digest, digit, latest)
    return "" if opted_out else reply


def _normalise_reply(body: str) -> str:
    word = _EDGE_PUNCTUATION.sub("", body.strip())
    # "Stop all" and "STOP ALL" mean STOPALL.
    return "".join(word.split()).upper()


def _reply_digit(word: str) -> str | None:
    """The digit 1-5 of a one-character reply, in any script (Arabic-Indic five is 5)."""
    if len(word) != 1:
        return None
    value = unicodedata.decimal(word, None)
    digit = str(value) if value is not None else ""
    return digit if digit in SMS_REPLY_DIGITS else None


def _latest_sms_invitation(digest: str) -> Invitation | None:
    return (
        Invitation.objects.filter(
            channel=Channel.SMS,
            address_digest=digest,
            status__in=(
                Invitation.Status.SENT,
                Invitation.Status.ANSWERED,
                Invitation.Status.EXPIRED,
            ),
        )
        .order_by(F("sent_at").desc(nulls_last=True), "-id")
        .first()
    )


def _is_answerable(invitation: Invitation) -> bool:
    return Invitation.objects.answerable().filter(pk=invitation.pk).exists()


def _answer_by_digit(digest: str, digit: str, latest: Invitation | None) -> str:
    invitation = (
        Invitation.objects.answerable()
        .filter(channel=Channel.SMS, address_digest=digest)
        .order_by(F("sent_at").desc(nulls_last=True), "-id")
        .first()
    )
    if invitation is None:
        if latest is not None and latest.status == Invitation.Status.ANSWERED:
            return _already_answered_reply(latest)
        logger.info(
            "Digit reply with no open invitation (latest %s)", latest and latest.pk
        )
        return _reply(latest.language if latest else "en", _none_open_text)

    first = Question.objects.first_of(invitation.survey_version_id)
    url = survey_url(invitation)
    if first is None or first.kind != Question.Kind.AGREEMENT:
        # A survey whose first question is not a rating cannot be answered by digit.
        return _reply(invitation.language, lambda: _answer_on_web_text(url))

    _, outcome = record_response(
        invitation=invitation,
        answers={first.key: SMS_REPLY_DIGITS[digit]},
        language=invitation.language,
        channel=Channel.SMS,
        is_complete=False,
    )
    if outcome == Outcome.ALREADY_RECEIVED:
        return _already_answered_reply(invitation)
    logger.info("Invitation %s answered %s by text", invitation.pk, digit)
    return _reply(invitation.language, lambda: _thanks_text(url))


def _already_answered_reply(invitation: Invitation) -> str:
    response = Response.objects.filter(invitation=invitation).first()
    link_works = invitation.expires_at is not None and invitation.expires_at > (
        timezone.now()
    )
    if response is not None and not response.is_complete and link_works:
        url = survey_url(invitation)
        return _reply(invitation.language, lambda: _already_answered_text(url))
    return _reply(invitation.language, lambda: _already_answered_text(""))


def _reply(language: str, text: Callable[[], str]) -> str:
    """The reply in the resident's language, or in English if it would not fit."""
    with translation.override(language):
        reply = text()
    if sms_segments(reply).segments <= MAX_SMS_SEGMENTS:
        return reply
    logger.warning(
        "The %s reply is longer than %d text messages; sent in English",
        language,
        MAX_SMS_SEGMENTS,
    )
    with translation.override("en"):
        return text()


def _opted_out_text() -> str:
    return gettext(
        "NYC 311: You will get no more survey texts from us. "
        "Reply START to get them again."
    )


def _opted_in_text() -> str:
    return gettext(
        "NYC 311: You will get survey texts about your requests again. "
        "Reply STOP to end them, HELP for help."
    )


def _help_text() -> str:
    return gettext(
        "NYC 311: a short survey when your request is closed. Reply STOP to end "
        "texts. For help with a request, call 311 or visit nyc.gov/311."
    )


def _thanks_text(url: str) -> str:
    return gettext(
        "Thank you! We saved your answer. To answer a few more questions: %(url)s"
    ) % {"url": url}


def _answer_on_web_text(url: str) -> str:
    return gettext(
        "Thank you for your reply. Please answer the survey here: %(url)s"
    ) % {"url": url}


def _already_answered_text(url: str) -> str:
    if url:
        return gettext(
            "Thank you, we already have your answer. "
            "To answer the other questions: %(url)s"
        ) % {"url": url}
    return gettext("Thank you, we already have your answer to this survey.")


def _none_open_text() -> str:
    return gettext(
        "Thank you for your reply. There is no open 311 survey for this number. "
        "For help with a request, call 311."
    )


def _unreadable_text(*, is_open: bool) -> str:
    if is_open:
        return gettext(
            "Sorry, we could not read that. To rate, reply with one number from "
            "1 (worst) to 5 (best). Reply HELP for help, STOP to end texts."
        )
    return gettext(
        "Sorry, we could not read that. Reply HELP for help, STOP to end texts."
    )
