"""What a resident reads: a version's text in their language with the blanks filled."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import formats, timezone, translation

from agencies.models import ServiceRequest
from resolutions.models import (
    DescriptionVersion,
    ResolutionDescription,
    ResolutionNotice,
)
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


# Placeholders whose values say where a resident lives or was; pages anyone can
# open get the generic fallback ("the address you gave") instead.
PRIVATE_PLACEHOLDERS = frozenset({"address"})


def resident_text(
    version: DescriptionVersion,
    language: str,
    service_request: ServiceRequest,
    *,
    public: bool = False,
) -> ResidentText:
    """The version in `language`, or in English when it has no such translation.

    With `public`, for pages anyone can open, private placeholders such as the
    address are filled with their generic fallback, never the request's value.
    """
    translated = version.translation(language) if language != "en" else None
    if translated is not None and translated.text.strip():
        text, sms_text, used = (
            translated.text,
            translated.sms_text or version.sms_text,
            language,
        )
    else:
        text, sms_text, used = version.text, version.sms_text, "en"
    if version.is_legacy:
        # NYC's own text, never checked for placeholders: braces in it are
        # the agency's words and are shown as published.
        return ResidentText(
            text=text, sms_text=sms_text, language=used, is_fallback=used != language
        )
    values = placeholder_values(service_request, used)
    if public:
        values = {k: v for k, v in values.items() if k not in PRIVATE_PLACEHOLDERS}
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


def status_page_version(service_request: ServiceRequest) -> DescriptionVersion | None:
    """The version the request's public status page shows, translations prefetched.

    Once a request has closed, its page shows what the resident was told then (its
    latest notice), even after a newer version is published. Before that it shows
    the description's published version, e.g. a "still open" text, if any.
    """
    return status_page_versions([service_request]).get(service_request.pk)


def status_page_versions(
    service_requests: Iterable[ServiceRequest],
) -> dict[int, DescriptionVersion]:
    """`status_page_version` for many requests at once, in at most four queries.

    Keyed by request number; a request with nothing to show is left out.
    """
    service_requests = list(service_requests)
    versions: dict[int, DescriptionVersion] = {}
    if not service_requests:
        return versions

    # Newest notice first (the model's ordering), so the first seen per request wins.
    notices = (
        ResolutionNotice.objects.filter(
            service_request__in=[request.pk for request in service_requests]
        )
        .order_by("service_request_id", "-recorded_at", "-id")
        .select_related("version")
        .prefetch_related("version__translations")
    )
    for notice in notices:
        versions.setdefault(notice.service_request_id, notice.version)

    untold = {
        request.pk: request.resolution_description_id
        for request in service_requests
        if request.pk not in versions and request.resolution_description_id
    }
    if untold:
        published = {
            version.description_id: version
            for version in DescriptionVersion.objects.published()
            .filter(description_id__in=set(untold.values()))
            .prefetch_related("translations")
        }
        for key, description_id in untold.items():
            if description_id in published:
                versions[key] = published[description_id]
    return versions
