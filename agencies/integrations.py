"""Integrations and their staff API tokens.

A token is 256 random bits, shown once when it is issued. The database keeps only
an HMAC of it under API_TOKEN_KEY, so a copy of the database does not let anyone
call the API, and a token cannot be shown again: a lost one is replaced by a new
one (`create_integration --rotate`).
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from agencies.models import Agency, Integration

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "ctl_"  # noqa: S105 (a marker that tells tokens apart, not a secret)
# A busy integration would otherwise write its last_used_at on every request.
LAST_USED_PRECISION = timedelta(minutes=1)


def token_digest(token: str) -> str:
    key = hashlib.sha256(
        f"agencies.integration_token:{settings.API_TOKEN_KEY}".encode()
    ).digest()
    return hmac.new(key, token.encode(), hashlib.sha256).hexdigest()


def _new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


@transaction.atomic
def create_integration(
    *, name: str, agency: Agency | None, created_by=None
) -> tuple[Integration, str]:
    """A new integration and its token; the token is not stored and never shown again."""
    token = _new_token()
    integration = Integration.objects.create(
        name=name,
        agency=agency,
        created_by=created_by,
        token_digest=token_digest(token),
    )
    logger.info(
        "integration %s created for %s", integration.pk, agency.pk if agency else "all"
    )
    return integration, token


@transaction.atomic
def issue_new_token(*, integration: Integration) -> str:
    """Replace an integration's token (the old one stops working) and un-revoke it."""
    token = _new_token()
    integration.token_digest = token_digest(token)
    integration.revoked_at = None
    integration.save(update_fields=["token_digest", "revoked_at"])
    logger.info("integration %s has a new token", integration.pk)
    return token


def revoke_integration(*, integration: Integration) -> bool:
    """Refuse the integration's token from now on. True if it was active."""
    revoked = Integration.objects.filter(
        pk=integration.pk, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    integration.refresh_from_db(fields=["revoked_at"])
    if revoked:
        logger.info("integration %s revoked", integration.pk)
    return bool(revoked)


def authenticate_token(*, token: str) -> Integration | None:
    """The active integration holding this token, with its use recorded; else None."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    integration = (
        Integration.objects.active()
        .select_related("agency")
        .filter(token_digest=token_digest(token))
        .first()
    )
    if integration is None:
        return None
    now = timezone.now()
    if (
        integration.last_used_at is None
        or now - integration.last_used_at >= LAST_USED_PRECISION
    ):
        Integration.objects.filter(pk=integration.pk).update(last_used_at=now)
        integration.last_used_at = now
    return integration
