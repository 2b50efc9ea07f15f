"""What a resident reads: a version's text in their language with the blanks filled."""

from dataclasses import dataclass

from django.utils import formats, timezone, translation

from agencies.models import ServiceRequest
from resolutions.models import DescriptionVersion, ResolutionDescription
from resolutions.plain_language import fill_placeholders


@dataclass(frozen=True)
class ResidentText:
    text: str
    sms_text: str
    language: str
    # True when the resident asked for another language and got English instead.
    is_fallback: bool


def placeholder_values(
    service_request: ServiceRequest, language: str
) -> dict[str, str]:
    values = {"request_number": str(service_request.unique_key)}
    if service_request.agency_id:
        values["agency_name"] = service_request.agency.name
    if service_request.complaint_type_id:
        values["complaint_type"] = service_request.complaint_type.name
    if service_request.incident_address:
        values["address"] = service_request.incident_address.title()
    if service_request.closed_at:
        with translation.override(language):
            values["closed_date"] = formats.date_format(
                timezone.localtime(service_request.closed_at), "DATE_FORMAT"
            )
    return values


def resident_text(
    version: DescriptionVersion, language: str, service_request: ServiceRequest
) -> ResidentText:
    """The version in `language`, or in English when it has no such translation."""
    translated = version.translation(language) if language != "en" else None
    if translated is not None and translated.text.strip():
        text, sms_text, used = (
            translated.text,
            translated.sms_text or version.sms_text,
            language,
        )
    else:
        text, sms_text, used = version.text, version.sms_text, "en"
    values = placeholder_values(service_request, used)
    # Fallbacks for missing values are translated: fill in the resident's language.
    with translation.override(used):
        return ResidentText(
            text=fill_placeholders(text, values),
            sms_text=fill_placeholders(sms_text, values),
            language=used,
            is_fallback=used != language,
        )


def sample_request_for(description: ResolutionDescription) -> ServiceRequest | None:
    """A real closed request to fill a preview with: one told this description if any."""
    closed = ServiceRequest.objects.filter(
        agency_id=description.agency_id,
        status=ServiceRequest.Status.CLOSED,
        closed_at__isnull=False,
    ).select_related("agency", "complaint_type")
    return (
        closed.filter(resolution_description=description).order_by("-closed_at").first()
        or closed.order_by("-closed_at").first()
    )
