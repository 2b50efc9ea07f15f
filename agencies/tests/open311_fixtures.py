"""Requests, told texts and contacts for the Open311 tests."""

from datetime import UTC, datetime
from itertools import count

from django.utils import timezone

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import DescriptionVersion, ResolutionDescription
from resolutions.services import record_resolutions_told
from surveys.models import Contact

TOLD_TEXT = "An inspector visited {address} and the owner restored the heat."
TOLD_AS_PUBLISHED = (
    "An inspector visited the address you gave and the owner restored the heat."
)
RESIDENT_EMAIL = "ana.private@example.org"
RESIDENT_PHONE_E164 = "+16463301234"
RESIDENT_PHONE = "(646) 330-1234"
HOUSE_NUMBER_ADDRESS = "1601 WEST 7 STREET"

_keys = count(60_000_001)


def heat() -> ComplaintType:
    hpd = Agency.objects.get(code="HPD")
    return ComplaintType.objects.get_or_create(agency=hpd, name="HEAT/HOT WATER")[0]


def told_description(text: str = TOLD_TEXT) -> ResolutionDescription:
    hpd = Agency.objects.get(code="HPD")
    description = ResolutionDescription.objects.create(agency=hpd, title="Heat")
    DescriptionVersion.objects.create(
        description=description,
        number=1,
        status=DescriptionVersion.Status.PUBLISHED,
        text=text,
        published_at=timezone.now(),
    )
    return description


def make_request(
    *,
    created_at: datetime = datetime(2024, 1, 15, 15, 0, tzinfo=UTC),
    closed_at: datetime | None = None,
    description: ResolutionDescription | None = None,
    **fields,
) -> ServiceRequest:
    """An HPD heat request; closed, with its resident told `description`, if given."""
    values = {
        "status": ServiceRequest.Status.CLOSED
        if closed_at
        else ServiceRequest.Status.OPEN,
        "agency_id": "HPD",
        "agency_name": "Department of Housing Preservation and Development",
        "complaint_type": heat(),
        "descriptor": "ENTIRE BUILDING",
        "incident_zip": "11204",
        "incident_address": HOUSE_NUMBER_ADDRESS,
        "street_name": "WEST 7 STREET",
        "borough": ServiceRequest.Borough.BROOKLYN,
        "bbl": "3066150001",
        "latitude": 40.612345,
        "longitude": -73.987654,
        "resolution_description": description,
    }
    request = ServiceRequest.objects.create(
        unique_key=next(_keys),
        created_at=created_at,
        closed_at=closed_at,
        **(values | fields),
    )
    if closed_at and description:
        record_resolutions_told(requests=ServiceRequest.objects.filter(pk=request.pk))
    return request


def plant_contact(request: ServiceRequest) -> Contact:
    return Contact.objects.create(
        service_request=request,
        email=RESIDENT_EMAIL,
        email_consent=True,
        phone_as_given=RESIDENT_PHONE,
        phone_e164=RESIDENT_PHONE_E164,
        sms_consent=True,
    )
