"""What follows the closure of a service request, whoever closed it.

Imports, the staff API and tests all call `handle_closures` for the requests that
have just become Closed, so no path can skip a step.
"""

from django.conf import settings
from django.db.models import QuerySet

from agencies.models import ServiceRequest
from resolutions.models import ResolutionNotice
from resolutions.services import record_resolutions_told
from surveys.scheduling import schedule_invitations


def handle_closures(*, requests: QuerySet[ServiceRequest]) -> None:
    """Freeze what each newly closed request's resident is told, and schedule the
    survey of those who gave contact details, in the caller's transaction."""
    record_resolutions_told(requests=requests)
    _record_residents_languages(requests=requests)
    schedule_invitations(requests=requests)


def _record_residents_languages(*, requests: QuerySet[ServiceRequest]) -> None:
    """A resident who asked for a language the told version is translated into is
    told in that language; the notice says so. Everyone else reads English."""
    told_in_english = ResolutionNotice.objects.filter(
        service_request__in=requests,
        service_request__contact__isnull=False,
        language="en",
    )
    for language, _ in settings.LANGUAGES:
        if language == "en":
            continue
        told_in_english.filter(
            service_request__contact__language=language,
            version__translations__language=language,
        ).update(language=language)
