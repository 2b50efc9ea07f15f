"""Opting out of surveys and back in, by email address or phone number."""

import logging

from django.db import transaction
from django.utils import timezone

from surveys.addresses import address_digest
from surveys.models import Invitation, Message, OptOut

logger = logging.getLogger(__name__)


def is_opted_out(*, channel: str, address: str) -> bool:
    return is_digest_opted_out(channel=channel, digest=address_digest(channel, address))


def is_digest_opted_out(*, channel: str, digest: str) -> bool:
    return OptOut.objects.filter(
        channel=channel, address_digest=digest, opted_back_in_at__isnull=True
    ).exists()


def invited_digest(invitation: Invitation) -> str:
    """The keyed digest of the address an invitation was for: the one it recorded
    when it was scheduled, which outlives a purge of the contact, else its
    contact's address. Empty when neither is left."""
    if invitation.address_digest:
        return invitation.address_digest
    channel = invitation.channel
    address = invitation.contact.address(channel) if invitation.contact else ""
    return address_digest(channel, address) if address else ""


def opt_out_invited(*, invitation: Invitation, source: str) -> bool:
    """Opt out the address an invitation was for; False when none is left."""
    digest = invited_digest(invitation)
    if digest:
        opt_out_digest(channel=invitation.channel, digest=digest, source=source)
    return bool(digest)


def is_invited_opted_out(invitation: Invitation) -> bool:
    """Whether the address an invitation was for is opted out."""
    digest = invited_digest(invitation)
    return bool(digest) and is_digest_opted_out(
        channel=invitation.channel, digest=digest
    )


def opt_out(*, channel: str, address: str, source: str) -> OptOut:
    """Stop every survey message to this address, now and later."""
    return opt_out_digest(
        channel=channel, digest=address_digest(channel, address), source=source
    )


@transaction.atomic
def opt_out_digest(*, channel: str, digest: str, source: str) -> OptOut:
    """Opt out by the address's digest, for when the address itself is purged.

    A complaint can arrive after the contact details are deleted; the invitation
    still carries the digest, which is all an opt-out keeps.
    """
    optout, _ = OptOut.objects.update_or_create(
        channel=channel,
        address_digest=digest,
        defaults={
            "source": source,
            "opted_out_at": timezone.now(),
            "opted_back_in_at": None,
        },
    )
    cancelled = Message.objects.filter(
        invitation__channel=channel,
        invitation__address_digest=digest,
        status=Message.Status.SCHEDULED,
    ).update(status=Message.Status.CANCELLED, error="Opted out.")
    Invitation.objects.filter(
        channel=channel, address_digest=digest, status=Invitation.Status.SCHEDULED
    ).update(
        status=Invitation.Status.SKIPPED, skip_reason=Invitation.SkipReason.OPTED_OUT
    )
    logger.info(
        "Opt-out %s on %s from %s; %d scheduled messages cancelled",
        optout.pk,
        channel,
        source,
        cancelled,
    )
    return optout


def opt_back_in(*, channel: str, address: str) -> bool:
    """Undo an opt-out (SMS START). True when there was one to undo."""
    undone = OptOut.objects.filter(
        channel=channel,
        address_digest=address_digest(channel, address),
        opted_back_in_at__isnull=True,
    ).update(opted_back_in_at=timezone.now())
    if undone:
        logger.info("Opted back in on %s", channel)
    return bool(undone)
