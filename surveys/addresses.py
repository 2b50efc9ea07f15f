"""Keyed digests of residents' email addresses and phone numbers.

Opt-outs and the frequent-caller limit must outlive the purge of contact details,
but must not keep the addresses themselves. A keyed HMAC gives a stable value to
match on that cannot be reversed or brute-forced without the site's secret key.
"""

import hashlib
import hmac

from django.conf import settings


def normalise(channel: str, address: str) -> str:
    address = address.strip()
    return address.lower() if channel == "email" else address


def address_digest(channel: str, address: str) -> str:
    key = hashlib.sha256(
        f"surveys.address_digest:{settings.SURVEY_ADDRESS_KEY}".encode()
    ).digest()
    message = f"{channel}:{normalise(channel, address)}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()
