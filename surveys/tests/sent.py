"""Invitations about to go out or gone out, as the sending side leaves them, for tests."""

import itertools
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from agencies.models import ServiceRequest
from surveys.addresses import address_digest
from surveys.models import Channel, Contact, Invitation, Message, Survey
from surveys.scheduling import schedule_invitations
from surveys.tests.conftest import make_contact, make_request

PHONE = "+12125550123"
EMAIL = "resident@example.org"

_keys = itertools.count(900_000_001)


def sent_invitation(
    *,
    channel: str = Channel.SMS,
    phone: str = PHONE,
    email: str = EMAIL,
    language: str = "en",
    provider_message_id: str = "",
    sent_ago: timedelta = timedelta(hours=1),
    expires_in: timedelta = timedelta(days=30),
) -> Invitation:
    """A sent invitation with its sent message and a scheduled reminder."""
    now = timezone.now()
    service_request = ServiceRequest.objects.create(
        unique_key=next(_keys), status=ServiceRequest.Status.CLOSED, closed_at=now
    )
    contact = Contact.objects.create(
        service_request=service_request,
        email=email,
        phone_e164=phone,
        language=language,
        email_consent=True,
        sms_consent=True,
    )
    invitation = Invitation.objects.create(
        service_request=service_request,
        contact=contact,
        channel=channel,
        status=Invitation.Status.SENT,
        address_digest=address_digest(channel, contact.address(channel)),
        language=language,
        survey_version=Survey.objects.get(is_default=True).published_version,
        closed_at=now,
        sent_at=now - sent_ago,
        expires_at=now - sent_ago + expires_in,
    )
    Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.INVITATION,
        status=Message.Status.SENT,
        send_after=now - sent_ago,
        sent_at=now - sent_ago,
        provider_message_id=provider_message_id
        or f"provider-{service_request.unique_key}",
        body="How did we do?",
    )
    Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.REMINDER,
        status=Message.Status.SCHEDULED,
        send_after=now + timedelta(days=3),
    )
    return invitation


def invitation_message(invitation: Invitation) -> Message:
    return invitation.messages.get(purpose=Message.Purpose.INVITATION)


def reminder(invitation: Invitation) -> Message:
    return invitation.messages.get(purpose=Message.Purpose.REMINDER)


def scheduled_message(**contact) -> Message:
    """An invitation message that has just become due, not yet queued."""
    request = make_request()
    make_contact(request, **contact)
    with transaction.atomic():
        schedule_invitations(requests=ServiceRequest.objects.filter(pk=request.pk))
    message = Message.objects.get(
        invitation__service_request=request, purpose="invitation"
    )
    Message.objects.filter(pk=message.pk).update(enqueued_at=None)
    return message
