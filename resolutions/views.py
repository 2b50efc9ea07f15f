"""The public status page of a service request, for residents and anyone else.

It shows what NYC Open Data publishes about a request anyway, minus anything
about a place or a person: no address, coordinates, BBL, raw values or contacts.
"""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.translation import pgettext_lazy

from agencies.models import ServiceRequest
from config.languages import activate_supported, remember_language
from resolutions.rendering import resident_text, status_page_version

Status = ServiceRequest.Status
Borough = ServiceRequest.Borough

# The published statuses, worded for residents and translatable; NYC's own
# values stay in the database as published.
STATUS_LABELS = {
    Status.OPEN: pgettext_lazy("request status", "Open"),
    Status.ASSIGNED: pgettext_lazy("request status", "Assigned"),
    Status.STARTED: pgettext_lazy("request status", "Started"),
    Status.IN_PROGRESS: pgettext_lazy("request status", "In progress"),
    Status.PENDING: pgettext_lazy("request status", "Pending"),
    Status.EMAIL_SENT: pgettext_lazy("request status", "Email sent"),
    Status.UNASSIGNED: pgettext_lazy("request status", "Unassigned"),
    Status.CLOSED: pgettext_lazy("request status", "Closed"),
    Status.CANCELLED: pgettext_lazy("request status", "Cancelled"),
    Status.DRAFT: pgettext_lazy("request status", "Draft"),
    Status.UNSPECIFIED: pgettext_lazy("request status", "Not specified"),
}

BOROUGH_LABELS = {
    Borough.MANHATTAN: pgettext_lazy("borough", "Manhattan"),
    Borough.BRONX: pgettext_lazy("borough", "Bronx"),
    Borough.BROOKLYN: pgettext_lazy("borough", "Brooklyn"),
    Borough.QUEENS: pgettext_lazy("borough", "Queens"),
    Borough.STATEN_ISLAND: pgettext_lazy("borough", "Staten Island"),
}


def _use_requested_language(request: HttpRequest) -> str | None:
    """Switch to the language of a `?lang=` link, so the link works without a form.

    Returns the language to remember in the language cookie, or None when the
    parameter is absent or names no language of the site.
    """
    return activate_supported(request, request.GET.get("lang", ""))


def request_status(request: HttpRequest, unique_key: int) -> HttpResponse:
    """Status, dates and the agency's plain-language explanation of one request."""
    chosen_language = _use_requested_language(request)
    service_request = get_object_or_404(
        ServiceRequest.objects.select_related("agency", "complaint_type"),
        unique_key=unique_key,
    )
    version = status_page_version(service_request)
    language = translation.get_language()
    explanation = (
        resident_text(version, language, service_request, public=True)
        if version
        else None
    )

    # Only these values reach the template, so nothing else about the request can
    # leak into the page by a template edit.
    context = {
        "request_number": str(service_request.unique_key),
        "status": STATUS_LABELS.get(service_request.status)
        or STATUS_LABELS[Status.UNSPECIFIED],
        "is_closed": service_request.is_closed,
        "complaint_type": service_request.complaint_type.name
        if service_request.complaint_type
        else "",
        "descriptor": service_request.descriptor,
        "agency_name": service_request.agency.name
        if service_request.agency
        else service_request.agency_name,
        "borough": BOROUGH_LABELS.get(service_request.borough, ""),
        "created_at": service_request.created_at,
        "closed_at": service_request.closed_at,
        "explanation": explanation,
        "explanation_is_rtl": explanation is not None
        and translation.get_language_info(explanation.language)["bidi"],
    }
    response = render(request, "requests/status.html", context)
    if chosen_language is not None:
        remember_language(response, chosen_language)
    return response
