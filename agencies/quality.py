"""Data-quality flags that the importer sets on a service request.

A flag says that something in the published row could not be taken at face value.
Where the flag is about one field, that field is stored empty and its published
text is kept in `ServiceRequest.raw_values` under the field's name.

The flags are stored as one integer bitmask so that filtering by a flag is a
cheap bitwise test on every database, including SQLite in development.
"""

import enum
from collections.abc import Collection


class Flag(enum.IntFlag):
    CLOSED_BEFORE_CREATED = enum.auto()
    PLACEHOLDER_DATE = enum.auto()
    IMPLAUSIBLE_DATE = enum.auto()
    UNPARSEABLE_DATE = enum.auto()
    REPEATED_HOUR = enum.auto()
    SKIPPED_HOUR = enum.auto()
    CLOSED_WITHOUT_DATE = enum.auto()
    DATE_WITHOUT_CLOSED_STATUS = enum.auto()
    UNKNOWN_STATUS = enum.auto()
    INVALID_ZIP = enum.auto()
    OUT_OF_CITY_ZIP = enum.auto()
    UNSPECIFIED_BOROUGH = enum.auto()
    INVALID_BOROUGH = enum.auto()
    INVALID_BBL = enum.auto()
    INVALID_COORDINATES = enum.auto()
    MISSING_AGENCY = enum.auto()
    INVALID_AGENCY = enum.auto()

    @property
    def code(self) -> str:
        return (self.name or "").lower()

    @property
    def label(self) -> str:
        return FLAG_LABELS[self]


FLAG_LABELS = {
    Flag.CLOSED_BEFORE_CREATED: "Closed date before created date (closed date dropped)",
    Flag.PLACEHOLDER_DATE: "Placeholder date such as 01/01/1900 (dropped)",
    Flag.IMPLAUSIBLE_DATE: "Date before 311 began or far in the future (dropped)",
    Flag.UNPARSEABLE_DATE: "Date that could not be read (dropped)",
    Flag.REPEATED_HOUR: "Time in the repeated hour when clocks fall back",
    Flag.SKIPPED_HOUR: "Time in the skipped hour when clocks spring forward",
    Flag.CLOSED_WITHOUT_DATE: "Status Closed but no closed date",
    Flag.DATE_WITHOUT_CLOSED_STATUS: "Closed date but status is not Closed",
    Flag.UNKNOWN_STATUS: "Status not in NYC's published list",
    Flag.INVALID_ZIP: "Incident zip is not a zip code (dropped)",
    Flag.OUT_OF_CITY_ZIP: "Incident zip outside New York City (dropped)",
    Flag.UNSPECIFIED_BOROUGH: "Borough Unspecified or missing",
    Flag.INVALID_BOROUGH: "Borough not one of the five (dropped)",
    Flag.INVALID_BBL: "BBL is not a 10-digit borough-block-lot (dropped)",
    Flag.INVALID_COORDINATES: "Latitude/longitude unreadable or outside the city (dropped)",
    Flag.MISSING_AGENCY: "No agency",
    Flag.INVALID_AGENCY: "Agency code longer than 20 characters (dropped)",
}


_DATES = ("created_at", "closed_at", "due_at", "resolution_updated_at")
_DATE_ORDER = ("created_at", "closed_at")
_CLOSURE = ("status", "closed_at")

# The stored fields each flag is read from. An import whose file lacks one of them
# cannot tell whether the flag still holds, so it keeps a stored request's bit;
# but a dropped date's flags stay only while its raw text does (loading.Update).
FLAG_FIELDS = {
    Flag.CLOSED_BEFORE_CREATED: _DATE_ORDER,
    Flag.PLACEHOLDER_DATE: _DATES,
    Flag.IMPLAUSIBLE_DATE: _DATES,
    Flag.UNPARSEABLE_DATE: _DATES,
    Flag.REPEATED_HOUR: _DATES,
    Flag.SKIPPED_HOUR: _DATES,
    Flag.CLOSED_WITHOUT_DATE: _CLOSURE,
    Flag.DATE_WITHOUT_CLOSED_STATUS: _CLOSURE,
    Flag.UNKNOWN_STATUS: ("status",),
    Flag.INVALID_ZIP: ("incident_zip",),
    Flag.OUT_OF_CITY_ZIP: ("incident_zip",),
    Flag.UNSPECIFIED_BOROUGH: ("borough",),
    Flag.INVALID_BOROUGH: ("borough",),
    Flag.INVALID_BBL: ("bbl",),
    Flag.INVALID_COORDINATES: ("latitude", "longitude"),
    Flag.MISSING_AGENCY: ("agency_id",),
    Flag.INVALID_AGENCY: ("agency_id",),
}


def flags_decided_by(fields: Collection[str]) -> Flag:
    """The flags read only from these fields, which an import of them recomputes."""
    decided = Flag(0)
    for flag, needed in FLAG_FIELDS.items():
        if all(name in fields for name in needed):
            decided |= flag
    return decided


def flags_of(value: int) -> list[Flag]:
    """The individual flags set in a stored bitmask, in declaration order."""
    return [flag for flag in Flag if value & flag]
