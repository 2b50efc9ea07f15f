"""GeoReport v2 documents: services and service requests as JSON and XML.

What a request shows, and what it never shows:

- `status_notes` is the plain-language resolution text of the request's public
  status page (`resolutions.rendering.status_page_versions`): what the resident
  was told at closure, in English, with private placeholders (the address) left
  generic.
- No personal data: residents' contact details live on `surveys.Contact`, which
  is never read here. The place is given at block level: `address` is the street
  and borough without the house number, `lat` and `long` are rounded to three
  decimals (about 100 m), and `address_id` (NYC's BBL, one lot) is left empty.
"""

import json
import re
from collections.abc import Iterable
from datetime import datetime
from xml.etree import ElementTree

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from agencies.models import ComplaintType, ServiceRequest
from agencies.open311.query import CLOSED_STATUSES
from resolutions.rendering import resident_text, status_page_versions

# The fields of a service request, in the spec's order.
REQUEST_FIELDS = (
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
)
SERVICE_FIELDS = (
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
)
_XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
# Characters XML 1.0 cannot carry, even escaped (published text sometimes has them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Three decimals of a degree: about 110 m north-south and 85 m east-west in NYC.
COORDINATE_DECIMALS = 3

# A house number at the start of a street name, as some 311 rows have it
# ("1048 RAYMOND BLVD"): digits, perhaps a Queens-style hyphen part ("45-10") and
# a letter ("12A").
_HOUSE_NUMBER = re.compile(r"^\d+(?:-\d+)?[A-Z]?\s+(?=\S)", re.IGNORECASE)
# Numbered streets and avenues are written with their number first ("5 AVENUE",
# "86 STREET", "3 AVENUE SOUTH"): that number is the street's, not a house's.
_NUMBERED_STREET = re.compile(
    r"^\d+\s+(?:STREET|ST|AVENUE|AVE|ROAD|RD|PLACE|PL|DRIVE|DR|LANE|LN|COURT|CT|"
    r"TERRACE|TER|WAY|WALK)(?:\s+(?:NORTH|SOUTH|EAST|WEST|N|S|E|W))?$",
    re.IGNORECASE,
)


def service_document(complaint_type: ComplaintType) -> dict:
    agency = complaint_type.agency
    return {
        "service_code": str(complaint_type.pk),
        "service_name": complaint_type.name,
        "description": f"{complaint_type.name}, handled by {agency.name}.",
        # No extra attributes to ask for: there is no service definition to GET.
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": agency.code,
    }


def request_documents(service_requests: Iterable[ServiceRequest]) -> list[dict]:
    service_requests = list(service_requests)
    versions = status_page_versions(service_requests)
    return [
        _request_document(request, versions.get(request.pk))
        for request in service_requests
    ]


def _request_document(request: ServiceRequest, version) -> dict:
    notes = resident_text(version, "en", request, public=True).text if version else ""
    complaint_type = request.complaint_type
    latitude, longitude = request.latitude, request.longitude
    if latitude is None or longitude is None:
        latitude = longitude = None
    return {
        "service_request_id": str(request.unique_key),
        "status": "closed" if request.status in CLOSED_STATUSES else "open",
        "status_notes": notes or None,
        "service_name": complaint_type.name if complaint_type else None,
        "service_code": str(complaint_type.pk) if complaint_type else None,
        "description": request.descriptor or None,
        "agency_responsible": request.agency.name
        if request.agency
        else request.agency_name or None,
        "service_notice": None,
        "requested_datetime": _w3c(request.created_at),
        "updated_datetime": _w3c(_last_update(request)),
        "expected_datetime": _w3c(request.due_at),
        "address": _block_address(request),
        "address_id": None,
        "zipcode": request.incident_zip or None,
        "lat": round(latitude, COORDINATE_DECIMALS) if latitude is not None else None,
        "long": round(longitude, COORDINATE_DECIMALS)
        if longitude is not None
        else None,
        "media_url": None,
    }


def _w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _last_update(request: ServiceRequest) -> datetime | None:
    """The latest time NYC reported for the request: created, resolved or closed."""
    moments = [
        moment
        for moment in (
            request.created_at,
            request.resolution_updated_at,
            request.closed_at,
        )
        if moment is not None
    ]
    return max(moments, default=None)


def _block_address(request: ServiceRequest) -> str | None:
    borough = ServiceRequest.Borough(request.borough).label if request.borough else ""
    street = street_without_house_number(request.street_name)
    parts = [part for part in (street, borough) if part]
    return ", ".join(parts) or None


def street_without_house_number(street: str) -> str:
    """The street name with a leading house number removed: "1048 RAYMOND BLVD"
    is "RAYMOND BLVD", "45-10 BROADWAY" "BROADWAY", while "5 AVENUE" stays."""
    street = " ".join(street.split())
    if _NUMBERED_STREET.match(street):
        return street
    return _HOUSE_NUMBER.sub("", street)


SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this API last changed in a way its clients would notice.
API_CHANGESET = "2026-12-04T00:00:00Z"
FORMATS = ["application/json", "text/xml"]


def discovery_document(url: str) -> dict:
    """The spec's service discovery: where the API is and how to reach it."""
    return {
        "changeset": API_CHANGESET,
        "contact": settings.OPEN311_CONTACT,
        "key_service": "No key is needed: this API is public and read-only.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": API_CHANGESET,
                "type": "production",
                "formats": FORMATS,
            }
        ],
    }


def discovery_xml_response(document: dict) -> HttpResponse:
    """`<discovery>` with `<endpoints><endpoint>...<formats><format>`, as the spec
    lays it out."""
    tree = ElementTree.Element("discovery")
    for name in ("changeset", "contact", "key_service"):
        ElementTree.SubElement(tree, name).text = _xml_text(document[name])
    endpoints = ElementTree.SubElement(tree, "endpoints")
    for endpoint in document["endpoints"]:
        element = ElementTree.SubElement(endpoints, "endpoint")
        for name, value in endpoint.items():
            if name == "formats":
                formats = ElementTree.SubElement(element, "formats")
                for format in value:
                    ElementTree.SubElement(formats, "format").text = format
            else:
                ElementTree.SubElement(element, name).text = _xml_text(value)
    return _xml_tree_response(tree)


def json_response(documents, *, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(documents, ensure_ascii=False),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def xml_response(root: str, item: str, documents, *, status: int = 200) -> HttpResponse:
    """`<root><item><field>value</field>...</item>...</root>`, the spec's layout."""
    tree = ElementTree.Element(root)
    for document in documents:
        element = ElementTree.SubElement(tree, item)
        for name, value in document.items():
            ElementTree.SubElement(element, name).text = _xml_text(value)
    return _xml_tree_response(tree, status=status)


def _xml_tree_response(tree: ElementTree.Element, *, status: int = 200) -> HttpResponse:
    body = _XML_DECLARATION + ElementTree.tostring(tree, encoding="unicode")
    return HttpResponse(body, status=status, content_type="text/xml; charset=utf-8")


def _xml_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def error_response(format: str, status: int, description: str) -> HttpResponse:
    errors = [{"code": status, "description": description}]
    if format == "xml":
        return xml_response("errors", "error", errors, status=status)
    return json_response(errors, status=status)
