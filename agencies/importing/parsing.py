"""Turning one published 311 row into the values the importer stores.

Every rule about what a published value means lives here, so the PostgreSQL and
the generic loaders store exactly the same thing.

Times. NYC publishes local New York time without an offset. A time inside the
hour that is repeated when clocks fall back in November is read as its first
occurrence (daylight time) and flagged REPEATED_HOUR. A time inside the hour
that does not exist when clocks spring forward in March is read with the offset
in force just before the change (standard time), which lands one hour later on
the clock (02:30 becomes 03:30 EDT), and flagged SKIPPED_HOUR. A value that
carries its own offset ("Z", "+00:00", " UTC") is read in that offset.
"""

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from agencies.importing.sources import API_NAMES, Record
from agencies.models import Agency, ComplaintType, ServiceRequest
from agencies.quality import Flag

NEW_YORK = ZoneInfo("America/New_York")

# NYC 311 began taking calls in March 2003; nothing real is older.
EARLIEST_PLAUSIBLE = datetime(2003, 1, 1, tzinfo=UTC)
# A date more than this far past the import is a typing or export error.
FUTURE_TOLERANCE = timedelta(days=366)

# Columns in the order loaders receive them, and the fields they fill.
COLUMNS = (
    "unique_key",
    "created_at",
    "closed_at",
    "due_at",
    "resolution_updated_at",
    "status",
    "agency_id",
    "agency_name",
    "complaint_type_name",
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
    "raw_values",
)
DATE_FIELDS = ("created_at", "closed_at", "due_at", "resolution_updated_at")
# The fields of a row that come from the file, as opposed to the key and what the
# parser concludes (flags, raw values).
FILE_FIELDS = frozenset(COLUMNS) - {"unique_key", "quality_flags", "raw_values"}
# Where a row field's source column is named otherwise; coordinates come from
# Latitude and Longitude, or from Location.
_SOURCE_COLUMN = {"agency_id": "agency", "complaint_type_name": "complaint_type"}
_COORDINATES = frozenset({"latitude", "longitude"})
# The keys the parser writes in raw_values, and the row field each is about.
RAW_VALUE_FIELDS = {
    **{name: name for name in DATE_FIELDS},
    "status": "status",
    "agency": "agency_id",
    "agency_name": "agency_name",
    "complaint_type": "complaint_type_name",
    "incident_zip": "incident_zip",
    "borough": "borough",
    "bbl": "bbl",
    "latitude": "latitude",
    "longitude": "longitude",
    "location": "latitude",
    "channel": "channel",
}
# Published text longer than the column it fills would fail the whole import. A
# complaint type or agency name is cut to the column, its whole text kept raw; an
# agency code that long is no code, so the request is stored without an agency and
# flagged. The other limited columns (status, zip, borough, BBL, channel) only
# take values that passed their checks below.
MAX_COMPLAINT_TYPE_LENGTH = ComplaintType._meta.get_field("name").max_length
MAX_AGENCY_CODE_LENGTH = Agency._meta.get_field("code").max_length
MAX_AGENCY_NAME_LENGTH = Agency._meta.get_field("name").max_length

_US_DATE = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*([AaPp][Mm])?)?"
)
_ISO_DATE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|UTC|[+-]\d{2}:?\d{2})?"
)
_ZIP = re.compile(r"(\d{5})(?:\.0+|-\d{4})?")
_BBL = re.compile(r"([1-5]\d{9})(?:\.0+)?")
_UNIQUE_KEY = re.compile(r"\d{1,18}(?:\.0+)?")
_LONG_KEY = re.compile(r"0*[1-9]\d{18,}(?:\.0+)?")
_DECIMAL = re.compile(r"-?\d+\.\d+")
# The three-digit prefixes of zip codes inside the five boroughs.
_CITY_ZIP_PREFIXES = frozenset(
    {"100", "101", "102", "103", "104", "110", "111", "112", "113", "114", "116"}
)
_LATITUDE_RANGE = (40.4, 41.0)
_LONGITUDE_RANGE = (-74.3, -73.6)
_STATUSES = {status.value.lower(): status.value for status in ServiceRequest.Status}
_BOROUGHS = {borough.value for borough in ServiceRequest.Borough}
_CHANNELS = {channel.value for channel in ServiceRequest.Channel}


def filled_fields(columns: Collection[str] | None) -> frozenset[str]:
    """The row fields a file with these source columns gives values for.

    None stands for JSON, whose records leave out null fields: every field is
    given there, and a missing key means empty.
    """
    if columns is None:
        return FILE_FIELDS
    filled = {
        name
        for name in FILE_FIELDS - _COORDINATES
        if _SOURCE_COLUMN.get(name, name) in columns
    }
    if _COORDINATES.issubset(columns) or "location" in columns:
        filled |= _COORDINATES
    return frozenset(filled)


def missing_columns(columns: Collection[str] | None) -> list[str]:
    """The API names of the columns read by the importer that a file lacks, where
    the field they fill is not filled from another column either."""
    if columns is None:
        return []
    filled = filled_fields(columns)
    row_field = {value: key for key, value in _SOURCE_COLUMN.items()}
    return [
        api_name
        for column, api_name in API_NAMES.items()
        if column not in columns
        and column != "unique_key"
        and row_field.get(column, "latitude" if column == "location" else column)
        not in filled
    ]


class RejectedRow(ValueError):
    """The row has no usable unique key and cannot be stored."""


@dataclass(frozen=True, slots=True)
class ParsedTime:
    value: datetime | None
    flags: Flag


_NO_FLAGS = Flag(0)
_NO_TIME = ParsedTime(None, _NO_FLAGS)


class RowParser:
    """Parses rows against a fixed "now", caching repeated date strings.

    `filled` names the row fields the file has columns for (see filled_fields).
    An absent column reads as empty, but sets no flag: a file without a Closed
    Date column says nothing about whether a Closed request has a closed date.
    The loader decides that, against a stored request's closure fields or a new
    one's empty ones (loading.Update).
    """

    def __init__(
        self, now: datetime | None = None, *, filled: Collection[str] = FILE_FIELDS
    ) -> None:
        self.latest_plausible = (now or datetime.now(UTC)) + FUTURE_TOLERANCE
        self._times: dict[str, ParsedTime] = {}
        self._has_closed_date = "closed_at" in filled
        self._has_agency = "agency_id" in filled
        self._has_borough = "borough" in filled
        self._has_coordinates = _COORDINATES.issubset(filled)

    def parse(self, record: Record) -> tuple:
        values = record.values
        get = values.get
        flags = _NO_FLAGS
        raw: dict[str, str] = {}

        key_text = get("unique_key", "").strip()
        # The usual plain positive number without a call; the same test opens
        # parse_unique_key, which takes everything else.
        if not (
            len(key_text) <= 18
            and key_text.isdecimal()
            and (unique_key := int(key_text))
        ):
            unique_key = parse_unique_key(key_text)

        dates: list[datetime | None] = []
        times = self._times
        for field in DATE_FIELDS:
            text = get(field, "").strip()
            # The cache is read here first: most dates of a file repeat.
            parsed = times.get(text) or (self.parse_time(text) if text else _NO_TIME)
            dates.append(parsed.value)
            if parsed.flags:
                flags |= parsed.flags
                if parsed.value is None:
                    raw[field] = text

        created, closed, due, resolution_updated = dates
        if created and closed and closed < created:
            flags |= Flag.CLOSED_BEFORE_CREATED
            raw["closed_at"] = get("closed_at", "").strip()
            closed = None

        status_text = get("status", "").strip()
        status = _STATUSES.get(status_text.lower(), "")
        if status_text and not status:
            flags |= Flag.UNKNOWN_STATUS
            raw["status"] = status_text
        if (
            status == ServiceRequest.Status.CLOSED
            and closed is None
            and self._has_closed_date
        ):
            flags |= Flag.CLOSED_WITHOUT_DATE
        elif closed is not None and status and status != ServiceRequest.Status.CLOSED:
            flags |= Flag.DATE_WITHOUT_CLOSED_STATUS

        agency = get("agency", "").strip().upper()
        if not agency and self._has_agency:
            flags |= Flag.MISSING_AGENCY
        elif len(agency) > MAX_AGENCY_CODE_LENGTH:
            flags |= Flag.INVALID_AGENCY
            raw["agency"] = get("agency", "").strip()
            agency = ""
        agency_name = get("agency_name", "").strip()
        if len(agency_name) > MAX_AGENCY_NAME_LENGTH:
            raw["agency_name"] = agency_name
            agency_name = agency_name[:MAX_AGENCY_NAME_LENGTH]
        complaint_type = get("complaint_type", "").strip()
        if len(complaint_type) > MAX_COMPLAINT_TYPE_LENGTH:
            raw["complaint_type"] = complaint_type
            complaint_type = complaint_type[:MAX_COMPLAINT_TYPE_LENGTH]

        zip_text = get("incident_zip", "").strip()
        incident_zip = ""
        # Five plain digits need no regex: isdecimal() takes the same digits as \d.
        if len(zip_text) == 5 and zip_text.isdecimal():
            if zip_text[:3] in _CITY_ZIP_PREFIXES:
                incident_zip = zip_text
            else:
                flags |= Flag.OUT_OF_CITY_ZIP
                raw["incident_zip"] = zip_text
        elif zip_text:
            match = _ZIP.fullmatch(zip_text)
            if match is None:
                flags |= Flag.INVALID_ZIP
                raw["incident_zip"] = zip_text
            elif match[1][:3] not in _CITY_ZIP_PREFIXES:
                flags |= Flag.OUT_OF_CITY_ZIP
                raw["incident_zip"] = zip_text
            else:
                incident_zip = match[1]

        borough_text = get("borough", "").strip()
        borough = borough_text.upper()
        if borough not in _BOROUGHS:
            borough = ""
            if borough_text.lower() not in ("", "unspecified"):
                flags |= Flag.INVALID_BOROUGH
                raw["borough"] = borough_text
            elif self._has_borough:
                flags |= Flag.UNSPECIFIED_BOROUGH

        bbl_text = get("bbl", "").strip()
        bbl = ""
        if len(bbl_text) == 10 and bbl_text.isdecimal() and bbl_text[0] in "12345":
            bbl = bbl_text
        elif bbl_text:
            match = _BBL.fullmatch(bbl_text)
            if match is None:
                flags |= Flag.INVALID_BBL
                raw["bbl"] = bbl_text
            else:
                bbl = match[1]

        latitude = longitude = None
        coordinate_flags = _NO_FLAGS
        if self._has_coordinates:
            latitude, longitude, coordinate_flags = parse_coordinates(
                get("latitude", "").strip(),
                get("longitude", "").strip(),
                get("location", ""),
            )
        if coordinate_flags:
            flags |= coordinate_flags
            latitude_text = get("latitude", "").strip()
            longitude_text = get("longitude", "").strip()
            if latitude_text or longitude_text:
                raw["latitude"] = latitude_text
                raw["longitude"] = longitude_text
            else:
                raw["location"] = get("location", "").strip()

        channel_text = get("channel", "").strip()
        channel = channel_text.upper()
        if channel_text and channel not in _CHANNELS:
            raw["channel"] = channel_text
            channel = ServiceRequest.Channel.OTHER

        # Free-text fields are read one by one below: building a dict of them for
        # every row took a seventh of the parsing time.
        return (
            unique_key,
            created,
            closed,
            due,
            resolution_updated,
            status,
            agency or None,
            agency_name,
            complaint_type,
            get("descriptor", "").strip(),
            get("additional_details", "").strip(),
            get("location_type", "").strip(),
            incident_zip,
            get("incident_address", "").strip(),
            get("street_name", "").strip(),
            get("city", "").strip(),
            borough,
            get("community_board", "").strip(),
            bbl,
            latitude,
            longitude,
            channel,
            get("resolution_text", "").strip(),
            int(flags),
            raw,
        )

    def parse_time(self, text: str) -> ParsedTime:
        parsed = self._times.get(text)
        if parsed is None:
            parsed = self._parse_time(text)
            if len(self._times) > 200_000:
                self._times.clear()
            self._times[text] = parsed
        return parsed

    def _parse_time(self, text: str) -> ParsedTime:
        try:
            value, flags = parse_nyc_datetime(text)
        except ValueError:
            return ParsedTime(None, Flag.UNPARSEABLE_DATE)
        except OverflowError:
            # 12/31/9999 and the like: valid text whose UTC instant is out of range.
            return ParsedTime(None, Flag.IMPLAUSIBLE_DATE)
        if value.year <= 1900 or (value.month, value.day, value.year) == (1, 1, 1970):
            return ParsedTime(None, Flag.PLACEHOLDER_DATE)
        if not EARLIEST_PLAUSIBLE <= value <= self.latest_plausible:
            return ParsedTime(None, Flag.IMPLAUSIBLE_DATE)
        return ParsedTime(value, flags)


def parse_unique_key(text: str) -> int:
    text = text.strip()
    # The usual case, a plain positive number, without the regex: isdecimal() takes
    # the same digits as \d. Anything else goes through the checks below.
    if len(text) <= 18 and text.isdecimal() and (key := int(text)):
        return key
    if not text:
        raise RejectedRow("missing unique key")
    if _LONG_KEY.fullmatch(text):
        raise RejectedRow(
            f"unique key is longer than 18 digits, more than any request number: "
            f"{text[:40]!r}"
        )
    if not _UNIQUE_KEY.fullmatch(text) or int(float(text)) == 0:
        raise RejectedRow(f"unique key is not a positive whole number: {text[:40]!r}")
    return int(text.split(".")[0])


def parse_nyc_datetime(text: str) -> tuple[datetime, Flag]:
    """Read a published timestamp as an aware UTC datetime, with any DST flag.

    Raises ValueError for text that is not one of NYC's date formats.
    """
    offset = None
    if match := _US_DATE.fullmatch(text):
        month, day, year, hour, minute, second, meridiem = match.groups()
        year_number = int(year) + (2000 if len(year) == 2 else 0)
        hour_number = int(hour or 0)
        if meridiem:
            if not 1 <= hour_number <= 12:
                raise ValueError(text)
            hour_number = hour_number % 12 + (12 if meridiem.lower() == "pm" else 0)
        naive = datetime(
            year_number,
            int(month),
            int(day),
            hour_number,
            int(minute or 0),
            int(second or 0),
        )
    elif match := _ISO_DATE.fullmatch(text):
        year, month, day, hour, minute, second, offset = match.groups()
        naive = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
        )
    else:
        raise ValueError(text)

    if offset:
        if offset in ("Z", "UTC"):
            return naive.replace(tzinfo=UTC), _NO_FLAGS
        return (
            datetime.fromisoformat(naive.isoformat() + offset).astimezone(UTC),
            _NO_FLAGS,
        )
    return localize_new_york(naive)


def localize_new_york(naive: datetime) -> tuple[datetime, Flag]:
    """Attach New York time by the rule in this module's docstring."""
    local = naive.replace(tzinfo=NEW_YORK)
    flags = _NO_FLAGS
    # Only 01:00-02:59 in March and November can fall in a repeated or skipped hour.
    if naive.month in (3, 11) and naive.hour in (1, 2):
        later = naive.replace(tzinfo=NEW_YORK, fold=1)
        if local.utcoffset() != later.utcoffset():
            round_trip = local.astimezone(UTC).astimezone(NEW_YORK).replace(tzinfo=None)
            flags = Flag.SKIPPED_HOUR if round_trip != naive else Flag.REPEATED_HOUR
    return local.astimezone(UTC), flags


def parse_coordinates(
    latitude_text: str, longitude_text: str, location_text: str
) -> tuple[float | None, float | None, Flag]:
    """Latitude and longitude inside the city, else (None, None) and a flag if given."""
    if not latitude_text and not longitude_text:
        # Older exports fill only Location, as "(lat, lon)", WKT "POINT (lon lat)",
        # GeoJSON or a Python dict; latitude is the number near 40.7 in any order.
        numbers = [float(number) for number in _DECIMAL.findall(location_text)]
        latitude = next((n for n in numbers if _within(n, _LATITUDE_RANGE)), None)
        longitude = next((n for n in numbers if _within(n, _LONGITUDE_RANGE)), None)
        if latitude is None or longitude is None:
            # Anything written there but a point in the city ("N/A", "(41, -74)",
            # a point elsewhere) is as bad as such a latitude; the stray commas
            # and line breaks some exports leave in an empty Location are nothing.
            given = any(character.isalnum() for character in location_text)
            return None, None, Flag.INVALID_COORDINATES if given else _NO_FLAGS
        return latitude, longitude, _NO_FLAGS
    try:
        latitude, longitude = float(latitude_text), float(longitude_text)
    except ValueError:
        return None, None, Flag.INVALID_COORDINATES
    if not (
        _within(latitude, _LATITUDE_RANGE) and _within(longitude, _LONGITUDE_RANGE)
    ):
        return None, None, Flag.INVALID_COORDINATES
    return latitude, longitude, _NO_FLAGS


def _within(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]
