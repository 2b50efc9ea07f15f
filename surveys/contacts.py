"""Saving how to reach the resident of a service request, as the 311 system sent it.

Phone numbers are read with `phonenumbers` (United States unless the number
carries a country code) and kept twice: as given, for staff to read, and in E.164
form when the number can receive texts. A number is never texted, and
`Contact.phone_problem` says why, when it is invalid, has an extension, or is of a
type that cannot receive texts (landline, toll-free, premium rate, VoIP, pager...).
Most US numbers are FIXED_LINE_OR_MOBILE, because the numbering plan does not
tell mobiles apart; those are texted.

Numbers 555-0100 to 555-0199 of any US area code are reserved for fiction. The
`phonenumbers` metadata of the pinned version calls them valid mobile-or-landline
numbers; a real contact giving one made it up, so it is marked invalid, while the
demo's fake contacts (`is_fake`) keep them textable so the demo shows SMS surveys
without texting anyone real.

Addresses are personal data: nothing here logs or raises with one in it.
"""

import logging
import re

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from phonenumbers import PhoneNumberType

from agencies.models import ServiceRequest
from surveys.models import Contact

logger = logging.getLogger(__name__)

DEFAULT_REGION = "US"
TEXTABLE_TYPES = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)
_FICTIONAL = re.compile(r"\+1\d{3}55501\d{2}")
_MAX_PHONE_LENGTH = Contact._meta.get_field("phone_as_given").max_length
_MAX_EMAIL_LENGTH = Contact._meta.get_field("email").max_length

# Language tags 311 systems send for the site's languages, lower-cased, that are
# not simply "the language part before the hyphen".
LANGUAGE_VARIANTS = {
    "zh": "zh-hans",
    "zh-cn": "zh-hans",
    "zh-sg": "zh-hans",
    "zh-hans-cn": "zh-hans",
    "zh-hans-us": "zh-hans",
}
# Traditional Chinese is not one of the site's languages; guessing Simplified for
# it would send a resident text in a script they did not ask for.
_NOT_GUESSED = ("zh",)

PhoneProblem = Contact.PhoneProblem


class ContactError(ValueError):
    """A contact detail that cannot be stored; the message never repeats the value."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def supported_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def normalise_language(code: str) -> str:
    """The site language for a language tag ("es-US" → "es"); blank means English."""
    tag = code.strip().replace("_", "-").lower()
    if not tag:
        return settings.LANGUAGE_CODE
    supported = supported_languages()
    if tag in supported:
        return tag
    if tag in LANGUAGE_VARIANTS:
        return LANGUAGE_VARIANTS[tag]
    primary = tag.split("-", 1)[0]
    if primary in supported and primary not in _NOT_GUESSED:
        return primary
    raise ContactError(
        "language",
        "Unsupported language. Use one of: " + ", ".join(supported) + ".",
    )


def normalise_email(address: str) -> str:
    """The address stripped, with its domain lower-cased; blank stays blank."""
    address = address.strip()
    if not address:
        return ""
    local, at, domain = address.rpartition("@")
    if not at:
        raise ContactError("email", "Enter a valid email address.")
    address = f"{local}@{domain.lower()}"
    if len(address) > _MAX_EMAIL_LENGTH:
        raise ContactError("email", "The email address is too long.")
    try:
        validate_email(address)
    except ValidationError:
        raise ContactError("email", "Enter a valid email address.") from None
    return address


def check_phone(text: str, *, is_fake: bool = False) -> tuple[str, str]:
    """(E.164 number, "") for a textable number, else ("", the PhoneProblem)."""
    if not text:
        return "", ""
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return "", PhoneProblem.INVALID
    if not phonenumbers.is_valid_number(number):
        return "", PhoneProblem.INVALID
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if _FICTIONAL.fullmatch(e164) and not is_fake:
        return "", PhoneProblem.INVALID
    if number.extension:
        return "", PhoneProblem.EXTENSION
    if phonenumbers.number_type(number) not in TEXTABLE_TYPES:
        return "", PhoneProblem.NOT_MOBILE
    return e164, ""


@transaction.atomic
def save_contact(
    *,
    service_request: ServiceRequest,
    email: str,
    phone: str,
    language: str,
    email_consent: bool,
    sms_consent: bool,
    is_fake: bool = False,
) -> Contact:
    """Create or update the one contact of a service request.

    Raises ContactError for an email address or language that cannot be stored;
    a phone number that cannot be texted is stored with its problem instead.
    Saving the same details again writes nothing.
    """
    phone = phone.strip()
    if len(phone) > _MAX_PHONE_LENGTH:
        raise ContactError("phone", "The phone number is too long.")
    phone_e164, phone_problem = check_phone(phone, is_fake=is_fake)
    values = {
        "email": normalise_email(email),
        "phone_as_given": phone,
        "phone_e164": phone_e164,
        "phone_problem": phone_problem,
        "language": normalise_language(language),
        "email_consent": email_consent,
        "sms_consent": sms_consent,
        "is_fake": is_fake,
    }

    contact = (
        Contact.objects.select_for_update()
        .filter(service_request=service_request)
        .first()
    )
    if contact is None:
        contact = Contact.objects.create(service_request=service_request, **values)
        logger.info(
            "contact %s of SR %s created; phone problem: %s",
            contact.pk,
            service_request.pk,
            phone_problem or "none",
        )
        return contact

    changed = [
        name for name, value in values.items() if getattr(contact, name) != value
    ]
    if changed:
        for name in changed:
            setattr(contact, name, values[name])
        contact.save(update_fields=[*changed, "updated_at"])
        # Field names only: the values are personal data.
        logger.info(
            "contact %s of SR %s updated: %s; phone problem: %s",
            contact.pk,
            service_request.pk,
            ", ".join(changed),
            phone_problem or "none",
        )
    return contact
