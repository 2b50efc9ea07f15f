"""Rate limits of the pages a survey link opens: per link and per client address.

Tokens cannot be guessed, so the limits are not what keeps answers safe; they stop
one link or one machine from flooding the site. Counts live in the default cache
(see CACHES in settings), through django-ratelimit.
"""

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest
from django_ratelimit.core import is_ratelimited

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The client's address, trusting only the proxies the site sits behind."""
    hops = settings.SURVEY_PROXY_HOPS
    address = request.META.get("REMOTE_ADDR", "")
    if hops:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        # Each trusted proxy appends the address it saw; anything further left
        # was written by the client and proves nothing.
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return "unknown"


def is_over_limit(request: HttpRequest, *, token: str, per_ip: bool = True) -> bool:
    """Count this request against its link and its client; True when over either.

    `per_ip=False` counts the link only, for callers that share a few addresses
    among everyone (mail providers' one-click unsubscribe). A cache outage lets
    requests through rather than turning every resident away: answers stay
    once-only whatever happens here, held by the database.
    """
    if request.method == "POST":
        token_rate, ip_rate = (
            settings.SURVEY_RATE_POST_PER_TOKEN,
            settings.SURVEY_RATE_POST_PER_IP,
        )
    else:
        token_rate, ip_rate = (
            settings.SURVEY_RATE_GET_PER_TOKEN,
            settings.SURVEY_RATE_GET_PER_IP,
        )
    kind = "post" if request.method == "POST" else "read"
    limits = [(f"surveys.{kind}.token", token, token_rate)]
    if per_ip:
        limits.append((f"surveys.{kind}.ip", client_ip(request), ip_rate))
    over = False
    for group, value, rate in limits:
        try:
            over |= is_ratelimited(
                request,
                group=group,
                key=lambda _group, _request, value=value: value,
                rate=rate,
                increment=True,
            )
        except Exception:
            logger.exception("Rate limit %s could not be counted", group)
    return over
