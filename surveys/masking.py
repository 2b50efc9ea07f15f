"""Residents' email addresses and phone numbers as staff without the need see them.

Only roles that call residents back (supervisors, city administrators) hold
`surveys.view_contact_details`; everyone else sees enough to tell two contacts
apart ("j•••@example.org", "+1 ••• ••• 0123") and nothing to reach them with.
"""

import re

MASK = "•••"
CONTACT_DETAILS_PERMISSION = "surveys.view_contact_details"

_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+")
# Ten or more digits, possibly with a leading + and separators between them: a
# phone number, but not an eight-digit 311 request number.
_PHONE = re.compile(r"\+?\(?\d(?:[\s().-]*\d){9,}")


def can_see_contact_details(user) -> bool:
    return user.has_perm(CONTACT_DETAILS_PERMISSION)


def mask_email(email: str) -> str:
    local, at, domain = email.strip().partition("@")
    if not email.strip():
        return ""
    if not at or not domain:
        return MASK
    return f"{local[:1]}{MASK}@{domain}"


def mask_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone)
    if not digits:
        return ""
    last = digits[-4:] if len(digits) > 4 else ""
    if phone.strip().startswith("+1") and len(digits) == 11:
        return f"+1 {MASK} {MASK} {last}"
    prefix = "+" if phone.strip().startswith("+") else ""
    return f"{prefix}{MASK} {last}".strip()


def redact_addresses(text: str) -> str:
    """Mask every email address and phone number in free text, e.g. a provider error."""
    text = _EMAIL.sub(lambda match: mask_email(match.group()), text)
    return _PHONE.sub(lambda match: mask_phone(match.group()), text)


_STORED_EMAIL = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
_STORED_NUMBER = re.compile(r"\+?\d[\d ().-]{5,}\d")
# Fewer digits than a phone number: SMTP codes ("550 5.1.1"), dates, error codes.
_PHONE_DIGITS = 10


def remove_addresses(text: str) -> str:
    """Text to store, e.g. a provider's delivery report that quotes the recipient:
    every email address and phone number replaced outright, kept to 1,000
    characters. `redact_addresses` masks for display instead."""
    text = _STORED_EMAIL.sub("[email]", text or "")
    return _STORED_NUMBER.sub(_remove_number, text)[:1000]


def _remove_number(match: re.Match[str]) -> str:
    digits = sum(char.isdigit() for char in match.group())
    return "[number]" if digits >= _PHONE_DIGITS else match.group()
