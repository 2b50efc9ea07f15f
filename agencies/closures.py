"""What follows the closure of a service request, whoever closed it.

Imports, the staff API and tests all call `handle_closures` for the requests that
have just become Closed, so no path can skip a step.
"""

from django.db.models import Exists, OuterRef, QuerySet, Subquery

from agencies.models import ServiceRequest
from resolutions.models import DescriptionTranslation, ResolutionNotice
from resolutions.services import record_resolutions_told
from surveys.models import Contact
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
    residents_language = Contact.objects.filter(
        service_request=OuterRef("service_request")
    ).values("language")[:1]
    ResolutionNotice.objects.filter(
        service_request__in=requests, language="en"
    ).exclude(service_request__contact__language="en").filter(
        Exists(
            DescriptionTranslation.objects.filter(
                version=OuterRef("version"),
                language=OuterRef("service_request__contact__language"),
            )
        )
    ).update(language=Subquery(residents_language))
