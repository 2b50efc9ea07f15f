"""How long residents' contact details are kept, and forgetting a resident.

Contact details are needed only to survey one closed request. They are deleted
SURVEY_CONTACT_RETENTION_DAYS after the survey is over: answered, expired, or
never sent (skipped); a contact that never got an invitation goes that long after
its request closed. The daily beat task `surveys.tasks.purge_expired_contacts`
runs it. A resident can also ask to be forgotten at once (`forget_resident`:
the `forget_resident` command or the contacts admin).

What stays: invitations, messages (the text sent, survey link masked), responses
and answers; and the keyed digests (`address_digest`) that opt-outs and the
frequent-caller limit match on, which cannot be turned back into an address
without the site's key. Provider errors and invitation notes, which may quote an
address, lose it. The resident's own free-text answers lose every email address,
phone number, street address and apartment they typed, removed as for open data
(surveys.publication.redaction), so what they wrote does not keep the details the
contact no longer holds. Each deletion is recorded as a ContactDeletion: when,
why, by whom, how many contacts and answers; never whose.
"""

import logging
import re
from datetime import datetime, timedelta
from typing import NamedTuple

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from agencies.models import ServiceRequest
from surveys.contacts import DEFAULT_REGION, ContactError, normalise_email
from surveys.masking import remove_addresses
from surveys.models import (
    Answer,
    Channel,
    Contact,
    ContactDeletion,
    Invitation,
    Message,
    Question,
    ReviewCase,
    ReviewEvent,
)
from surveys.publication.redaction import redact_comment

logger = logging.getLogger(__name__)

Status = Invitation.Status


def expired_contacts(*, now: datetime) -> QuerySet[Contact]:
    """Contacts whose every survey ended, and whose request closed, before the cutoff."""
    cutoff = now - timedelta(days=settings.SURVEY_CONTACT_RETENTION_DAYS)
    ended_before_cutoff = (
        Q(answered_at__lt=cutoff)
        | Q(answered_at__isnull=True, expires_at__lt=cutoff)
        | Q(status=Status.SKIPPED, created_at__lt=cutoff)
        # Too late to send (the queue was down for weeks): no link ever expires.
        | Q(status=Status.EXPIRED, expires_at__isnull=True, created_at__lt=cutoff)
    )
    still_needed = Invitation.objects.filter(contact=OuterRef("pk")).exclude(
        ended_before_cutoff
    )
    invited = Invitation.objects.filter(contact=OuterRef("pk"))
    return Contact.objects.filter(~Exists(still_needed)).filter(
        Exists(invited)
        | Q(
            service_request__status__in=(
                ServiceRequest.Status.CLOSED,
                ServiceRequest.Status.CANCELLED,
            ),
            service_request__closed_at__lt=cutoff,
        )
    )


def purge_expired_contacts(*, now: datetime | None = None) -> int:
    """Delete the contact details kept past the retention period; return how many."""
    now = now or timezone.now()
    with transaction.atomic():
        deleted = _delete(expired_contacts(now=now).select_for_update(skip_locked=True))
        if deleted.contacts:
            ContactDeletion.objects.create(
                reason=ContactDeletion.Reason.RETENTION,
                requested_through="daily job",
                contacts_deleted=deleted.contacts,
                answers_redacted=deleted.answers_redacted,
                deleted_at=now,
            )
    logger.info(
        "retention: %s contact(s) deleted, %s answer(s) redacted",
        deleted.contacts,
        deleted.answers_redacted,
    )
    return deleted.contacts


def check_identifiers(*, email: str, phone: str) -> tuple[str, str]:
    """The email address and number stripped, or ContactError.

    A typo must not pass for a done request: a malformed address matches nobody,
    so the resident would be told they were forgotten while their contact stays.
    """
    email, phone = email.strip(), phone.strip()
    if not email and not phone:
        raise ContactError("", "Give an email address or a phone number.")
    if email and not _is_email(email):
        raise ContactError("email", "Enter a valid email address.")
    if phone and not is_possible_number(phone):
        raise ContactError(
            "phone",
            "Enter a valid phone number: ten digits for a US number, or the "
            "number with its country code (+...).",
        )
    return email, phone


def forget_resident(
    *,
    email: str = "",
    phone: str = "",
    requested_by=None,
    requested_through: str,
) -> ContactDeletion:
    """Delete every contact with this email address or phone number, now.

    The email address matches whatever its case; the number in any format that
    reads as the same number (as the 311 system's were read). The record says how
    many were deleted, and never the address. ContactError, with nothing deleted
    or recorded, for a malformed address or number.
    """
    email, phone = check_identifiers(email=email, phone=phone)
    return _forget(
        Q(pk__in=[]),
        email=email,
        phone=phone,
        requested_by=requested_by,
        requested_through=requested_through,
    )


def forget_contact(
    *, contact_id: int, requested_by, requested_through: str
) -> ContactDeletion | None:
    """Forget the resident of one contact: it, and every contact with its email
    address or number. None if it was already forgotten.

    A number the 311 system sent malformed identifies nobody else, so only the
    details that can are matched on; the contact itself goes whatever it holds.
    """
    contact = Contact.objects.filter(pk=contact_id).first()
    if contact is None:
        return None
    email = contact.email.strip() if _is_email(contact.email.strip()) else ""
    phone = next(
        (
            number
            for number in (contact.phone_e164, contact.phone_as_given.strip())
            if number and is_possible_number(number)
        ),
        "",
    )
    return _forget(
        Q(pk=contact.pk),
        email=email,
        phone=phone,
        requested_by=requested_by,
        requested_through=requested_through,
    )


def _forget(
    matches: Q, *, email: str, phone: str, requested_by, requested_through: str
) -> ContactDeletion:
    if email:
        matches |= Q(email__iexact=email)
    if phone:
        matches |= Q(pk__in=contacts_with_number(phone))
    with transaction.atomic():
        deleted = _delete(Contact.objects.filter(matches).select_for_update())
        record = ContactDeletion.objects.create(
            reason=ContactDeletion.Reason.REQUEST,
            requested_by=requested_by,
            requested_through=requested_through,
            channels="+".join(
                channel
                for channel, given in ((Channel.EMAIL, email), (Channel.SMS, phone))
                if given
            ),
            contacts_deleted=deleted.contacts,
            answers_redacted=deleted.answers_redacted,
        )
    logger.info(
        "contact deletion %s: %s contact(s) forgotten on request, %s answer(s) "
        "redacted",
        record.pk,
        deleted.contacts,
        deleted.answers_redacted,
    )
    return record


def _is_email(text: str) -> bool:
    try:
        normalise_email(text)
    except ContactError:
        return False
    return bool(text)


def is_possible_number(text: str) -> bool:
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_possible_number(number)


def _number(text: str) -> str:
    """The number in E.164 whatever its kind (landlines too), else the digits."""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", text)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def contacts_with_number(phone: str) -> list[int]:
    """Contacts given this number, textable (stored in E.164) or not (as given)."""
    wanted = _number(phone)
    last_digits = re.sub(r"\D", "", phone)[-4:]
    ids = list(Contact.objects.filter(phone_e164=wanted).values_list("pk", flat=True))
    if last_digits:
        # Numbers that cannot be texted are kept only as given, in any format.
        for pk, given in Contact.objects.filter(
            phone_e164="", phone_as_given__endswith=last_digits
        ).values_list("pk", "phone_as_given"):
            if _number(given) == wanted:
                ids.append(pk)
    return ids


class Deleted(NamedTuple):
    contacts: int
    answers_redacted: int


def _delete(contacts: QuerySet[Contact]) -> Deleted:
    """Delete the contacts, and any copy of their addresses in stored text."""
    ids = list(contacts.values_list("pk", flat=True))
    if not ids:
        return Deleted(contacts=0, answers_redacted=0)
    invitations = Invitation.objects.filter(contact_id__in=ids)
    answers_redacted = _redact_answers(invitations)
    _redact_case_notes(invitations)
    # Messages still waiting would find no address when due; cancel them now.
    Message.objects.filter(
        invitation__in=invitations, status=Message.Status.SCHEDULED
    ).update(
        status=Message.Status.CANCELLED,
        error="Contact details were deleted.",
        updated_at=timezone.now(),
    )
    for message in Message.objects.filter(invitation__in=invitations).exclude(error=""):
        _scrub(message, "error")
    for invitation in invitations.exclude(notes=""):
        _scrub(invitation, "notes")
    invitations.filter(status=Status.SCHEDULED).update(
        status=Status.SKIPPED, skip_reason=Invitation.SkipReason.UNREACHABLE
    )
    _, deleted = Contact.objects.filter(pk__in=ids).delete()
    return Deleted(
        contacts=deleted.get(Contact._meta.label, 0),
        answers_redacted=answers_redacted,
    )


def _redact_answers(invitations: QuerySet[Invitation]) -> int:
    """Remove personal details from the free text the residents typed; how many
    answers changed. Their comments' reviews already hold only redacted text."""
    return _redact(
        Answer.objects.filter(
            response__invitation__in=invitations, question__kind=Question.Kind.TEXT
        ),
        "text",
    )


def _redact_case_notes(invitations: QuerySet[Invitation]) -> None:
    """Remove personal details that staff wrote into the review of the residents'
    answers (a number to call back, an address), as from the answers."""
    cases = ReviewCase.objects.filter(response__invitation__in=invitations)
    _redact(cases, "resolution_note")
    _redact(ReviewEvent.objects.filter(case__in=cases), "text")


def _redact(rows: QuerySet, field: str) -> int:
    """Personal details removed from `field` of `rows`; how many rows changed."""
    changed = []
    for row in rows.exclude(**{field: ""}).only("pk", field):
        redacted = redact_comment(getattr(row, field))
        if redacted != getattr(row, field):
            setattr(row, field, redacted)
            changed.append(row)
    rows.model.objects.bulk_update(changed, [field], batch_size=1000)
    return len(changed)


def _scrub(row, field: str) -> None:
    text = getattr(row, field)
    cleaned = remove_addresses(text)
    if cleaned != text:
        type(row).objects.filter(pk=row.pk).update(**{field: cleaned})
