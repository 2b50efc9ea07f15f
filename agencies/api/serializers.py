"""What the staff API reads and returns.

A write is checked here for types and formats, then parsed by the import's own
RowParser, so the stored request, its data-quality flags and its raw values are
what an import of the same values would store. What the import would keep but
drop (a date before 311 began, a closed date before the created date) is an
error here instead: the sending system can correct it, a published file cannot.
"""

from datetime import UTC, datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from agencies.importing.parsing import (
    COLUMNS,
    NEW_YORK,
    RejectedRow,
    RowParser,
    parse_unique_key,
)
from agencies.importing.sources import Record
from agencies.models import Agency, ServiceRequest
from agencies.quality import Flag
from surveys.contacts import ContactError, normalise_email, normalise_language
from surveys.scheduling import CLOCK_SKEW

DATE_FIELDS = ("created_at", "closed_at", "due_at", "resolution_updated_at")
TEXT_FIELDS = (
    "agency_name",
    "descriptor",
    "additional_details",
    "location_type",
    "incident_address",
    "street_name",
    "city",
    "community_board",
    "resolution_text",
)
_DATE_HELP = "Enter an ISO 8601 date and time, e.g. 2024-01-16T09:30:00-05:00."
_DATE_ERRORS = {
    Flag.PLACEHOLDER_DATE: "A placeholder date, not a real one.",
    Flag.IMPLAUSIBLE_DATE: "Before 311 began (2003) or more than a year from now.",
    Flag.UNPARSEABLE_DATE: _DATE_HELP,
}
# Messages that never repeat the value sent: contact details are personal data.
_FLAGS = COLUMNS.index("quality_flags")
_BOOLEAN_ERRORS = {"invalid": "Must be true or false."}
_TEXT_ERRORS = {"invalid": "Must be text."}


class NewYorkDateTimeField(serializers.DateTimeField):
    """ISO 8601 in; a time without an offset is New York local time.

    The value is kept as given (naive or aware) for RowParser, which reads naive
    times by the import's daylight-saving rules; output is New York time with
    its offset.
    """

    def to_internal_value(self, value) -> datetime:
        if not isinstance(value, str):
            self.fail("invalid", format=_DATE_HELP)
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is None:
            raise serializers.ValidationError(_DATE_HELP)
        return parsed


def _aware(value: datetime) -> datetime:
    # Close enough for a sanity check: the repeated November hour reads as its first.
    return value if value.tzinfo else value.replace(tzinfo=NEW_YORK)


def _date_text(value: datetime) -> str:
    """The value in a form RowParser reads back exactly."""
    if value.tzinfo is None:
        return value.isoformat(timespec="seconds")
    return (
        value.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="seconds") + "Z"
    )


def _choice_field(choices, **options) -> serializers.ChoiceField:
    """A choice whose error lists what is accepted, never the value sent."""
    accepted = ", ".join(f'"{value}"' for value, _ in choices if value)
    return serializers.ChoiceField(
        choices=choices,
        error_messages={"invalid_choice": f"Must be one of {accepted}."},
        **options,
    )


class RefusingUnknownFields:
    """A key the serializer does not know is an error, not silently dropped: a
    misspelt field would otherwise be stored empty."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["Unknown field."] for name in unknown}
                )
        return super().to_internal_value(data)


def _text_field(max_length: int | None = None) -> serializers.CharField:
    return serializers.CharField(
        allow_blank=True, default="", max_length=max_length, error_messages=_TEXT_ERRORS
    )


class ContactTextField(serializers.CharField):
    """Text only: a JSON number would lose a phone number's "+" and leading zeros,
    so it is refused rather than turned into digits."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


def _contact_field(max_length: int | None = None) -> ContactTextField:
    return ContactTextField(
        allow_blank=True, default="", max_length=max_length, error_messages=_TEXT_ERRORS
    )


class ContactSerializer(RefusingUnknownFields, serializers.Serializer):
    email = _contact_field()
    phone = _contact_field(max_length=40)
    language = _text_field()
    email_consent = serializers.BooleanField(
        default=False, error_messages=_BOOLEAN_ERRORS
    )
    sms_consent = serializers.BooleanField(
        default=False, error_messages=_BOOLEAN_ERRORS
    )

    def validate_email(self, value: str) -> str:
        try:
            return normalise_email(value)
        except ContactError as error:
            raise serializers.ValidationError(error.message) from None

    def validate_language(self, value: str) -> str:
        try:
            return normalise_language(value)
        except ContactError as error:
            raise serializers.ValidationError(error.message) from None


class ServiceRequestWriteSerializer(RefusingUnknownFields, serializers.Serializer):
    """A PUT body: every field of the request (left out means empty) and a contact."""

    created_at = NewYorkDateTimeField()
    closed_at = NewYorkDateTimeField(default=None, allow_null=True)
    due_at = NewYorkDateTimeField(default=None, allow_null=True)
    resolution_updated_at = NewYorkDateTimeField(default=None, allow_null=True)
    status = _choice_field(ServiceRequest.Status.choices)
    agency = serializers.CharField(max_length=20)
    agency_name = _text_field()
    complaint_type = _text_field(max_length=200)
    descriptor = _text_field()
    additional_details = _text_field()
    location_type = _text_field()
    incident_zip = serializers.RegexField(
        r"^[0-9]{5}(?:-[0-9]{4})?$",
        allow_blank=True,
        default="",
        error_messages={
            "invalid": "Enter a five-digit zip code (ZIP+4 is stored as five)."
        },
    )
    incident_address = _text_field()
    street_name = _text_field()
    city = _text_field()
    borough = _choice_field(
        ServiceRequest.Borough.choices, allow_blank=True, default=""
    )
    community_board = _text_field()
    bbl = serializers.RegexField(
        r"^[1-5]\d{9}$",
        allow_blank=True,
        default="",
        error_messages={"invalid": "Enter a 10-digit borough-block-lot number."},
    )
    latitude = serializers.FloatField(default=None, allow_null=True)
    longitude = serializers.FloatField(default=None, allow_null=True)
    channel = _choice_field(
        ServiceRequest.Channel.choices, allow_blank=True, default=""
    )
    resolution_text = _text_field()
    contact = ContactSerializer(required=False)

    def validate_agency(self, value: str) -> str:
        code = value.strip().upper()
        if not Agency.objects.filter(code=code).exists():
            raise serializers.ValidationError("Unknown agency code.")
        return code

    def validate(self, attrs: dict) -> dict:
        try:
            parse_unique_key(str(self.context["unique_key"]))
        except RejectedRow:
            raise serializers.ValidationError(
                {"unique_key": "Must be a positive whole number."}
            ) from None
        if (attrs["latitude"] is None) != (attrs["longitude"] is None):
            raise serializers.ValidationError(
                {"longitude": "Give latitude and longitude together, or neither."}
            )
        if attrs["status"] == ServiceRequest.Status.CLOSED and not attrs["closed_at"]:
            raise serializers.ValidationError(
                {"closed_at": "Required when the status is Closed."}
            )

        # A time ahead of the site's clock is almost always UTC sent without its
        # offset; stored, it would also keep the resident from being surveyed.
        latest = timezone.now() + CLOCK_SKEW
        future = {
            name: "Is in the future. Send New York time, or the time with its "
            "offset (e.g. 2024-05-01T13:45:00-04:00)."
            for name in ("created_at", "closed_at", "resolution_updated_at")
            if attrs[name] is not None and _aware(attrs[name]) > latest
        }
        if future:
            raise serializers.ValidationError(future)

        parser = RowParser()
        values = {"unique_key": str(self.context["unique_key"])}
        errors = {}
        for name in DATE_FIELDS:
            if attrs[name] is None:
                continue
            try:
                values[name] = _date_text(attrs[name])
            except OverflowError:
                errors[name] = _DATE_ERRORS[Flag.IMPLAUSIBLE_DATE]
                continue
            parsed = parser.parse_time(values[name])
            if parsed.value is None:
                errors[name] = next(
                    message
                    for flag, message in _DATE_ERRORS.items()
                    if parsed.flags & flag
                )
        if errors:
            raise serializers.ValidationError(errors)

        for name in ("latitude", "longitude"):
            if attrs[name] is not None:
                values[name] = repr(attrs[name])
        values |= {
            name: attrs[name]
            for name in (
                *TEXT_FIELDS,
                "status",
                "agency",
                "complaint_type",
                "incident_zip",
                "borough",
                "bbl",
                "channel",
            )
        }
        if not values["agency_name"]:
            values["agency_name"] = Agency.objects.get(code=attrs["agency"]).name
        row = parser.parse(Record(line=0, values=values))
        if row[_FLAGS] & Flag.CLOSED_BEFORE_CREATED:
            raise serializers.ValidationError(
                {"closed_at": "Must not be before created_at."}
            )
        attrs["row"] = row
        return attrs


class ServiceRequestSerializer(serializers.ModelSerializer):
    """A stored request as the API returns it: never its resident's contact."""

    created_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(allow_null=True)
    due_at = serializers.DateTimeField(allow_null=True)
    resolution_updated_at = serializers.DateTimeField(allow_null=True)
    agency = serializers.CharField(source="agency_id", allow_null=True)
    complaint_type = serializers.CharField(
        source="complaint_type.name", default="", read_only=True
    )
    quality_flags = serializers.SerializerMethodField()

    class Meta:
        model = ServiceRequest
        fields = [
            "unique_key",
            *DATE_FIELDS,
            "status",
            "agency",
            "agency_name",
            "complaint_type",
            "descriptor",
            "additional_details",
            "location_type",
            "incident_zip",
            "incident_address",
            "street_name",
            "city",
            "borough",
            "community_board",
            "bbl",
            "latitude",
            "longitude",
            "channel",
            "resolution_text",
            "quality_flags",
            "updated_at",
        ]
        read_only_fields = fields

    def get_quality_flags(self, service_request: ServiceRequest) -> list[str]:
        return [flag.code for flag in service_request.flags]
