"""What follows the closure of a service request, whoever closed it.

Imports, the staff API and tests all call `handle_closures` for the requests that
have just become Closed, so no path can skip a step.
"""

from django.db.models import QuerySet

from agencies.models import ServiceRequest
from resolutions.services import record_resolutions_told
from surveys.scheduling import schedule_invitations


def handle_closures(*, requests: QuerySet[ServiceRequest]) -> None:
    """Freeze what each newly closed request's resident is told, and schedule the
    survey of those who gave contact details, in the caller's transaction."""
    record_resolutions_told(requests=requests)
    schedule_invitations(requests=requests)
