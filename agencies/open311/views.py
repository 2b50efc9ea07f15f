"""Open311 GeoReport v2, read side: services and service requests, JSON or XML.

Public and read-only, like NYC Open Data's 311 dataset: no sign-in, and nothing
personal (see agencies.open311.documents). Creating requests (POST) is not offered;
residents report through 311 itself.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from agencies.models import ComplaintType, ServiceRequest
from agencies.open311.documents import (
    discovery_document,
    discovery_xml_response,
    error_response,
    json_response,
    request_documents,
    service_document,
    xml_response,
)
from agencies.open311.query import QueryError, parse_requests_query
from config.numbers import stored_number

# Public data that changes by the import: caches and browsers may keep it briefly,
# and pages on other sites may read it.
_SHARED_HEADERS = {
    "Cache-Control": "public, max-age=300",
    "Access-Control-Allow-Origin": "*",
}


def _answer(response: HttpResponse) -> HttpResponse:
    for name, value in _SHARED_HEADERS.items():
        response[name] = value
    return response


def _requests_response(format: str, documents: list[dict]) -> HttpResponse:
    if format == "xml":
        return _answer(xml_response("service_requests", "request", documents))
    return _answer(json_response(documents))


@require_safe
def discovery(request: HttpRequest, format: str) -> HttpResponse:
    url = (
        settings.SITE_URL
        + reverse("open311:discovery", args=["json"]).rsplit("/", 1)[0]
    )
    document = discovery_document(url)
    if format == "xml":
        return _answer(discovery_xml_response(document))
    return _answer(json_response(document))


@require_safe
def services(request: HttpRequest, format: str) -> HttpResponse:
    documents = [
        service_document(complaint_type)
        for complaint_type in ComplaintType.objects.select_related("agency").order_by(
            "agency_id", "name"
        )
    ]
    if format == "xml":
        return _answer(xml_response("services", "service", documents))
    return _answer(json_response(documents))


@require_safe
def service_requests(request: HttpRequest, format: str) -> HttpResponse:
    try:
        query = parse_requests_query(request.GET.dict())
    except QueryError as error:
        return _answer(error_response(format, 400, str(error)))
    return _requests_response(format, request_documents(query.requests()))


@require_safe
def service_request(request: HttpRequest, service_request_id: str, format: str):
    # Request numbers are plain digits; "abc", "-1" or "1e3" name no request.
    number = stored_number(service_request_id)
    if number is None:
        found = ServiceRequest.objects.none()
    else:
        found = ServiceRequest.objects.select_related(
            "agency", "complaint_type"
        ).filter(unique_key=number)
    documents = request_documents(found)
    if not documents:
        return _answer(
            error_response(format, 404, f"No service request {service_request_id}.")
        )
    # The spec answers one request as a list of one, like GET requests.
    return _requests_response(format, documents)


def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    format = "xml" if rest.lower().endswith(".xml") else "json"
    return _answer(
        error_response(
            format,
            404,
            "No such resource. This API answers services.json, requests.json and "
            "requests/<id>.json (or .xml).",
        )
    )
