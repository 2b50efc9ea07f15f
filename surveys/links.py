"""Links in messages to residents: always on the site's own domain (SITE_URL)."""

from urllib.parse import urlencode

from django.conf import settings

from surveys.models import Invitation


def survey_url(invitation: Invitation, *, answer: str = "") -> str:
    """The survey page; `answer` only pre-selects the first question's answer."""
    url = f"{settings.SITE_URL}/s/{invitation.token}/"
    return f"{url}?{urlencode({'answer': answer})}" if answer else url


def unsubscribe_url(invitation: Invitation) -> str:
    return f"{settings.SITE_URL}/u/{invitation.token}/"
