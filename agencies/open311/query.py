"""The GeoReport v2 `GET requests` query: its parameters, defaults and limits.

Per the spec, `service_request_id` (a comma-separated list) overrides every other
filter. Otherwise requests are chosen by when they were made (`requested_datetime`):
`start_date` and `end_date` span at most MAX_SPAN, and with neither given the last
MAX_SPAN up to now is searched. Answers hold at most MAX_PAGE_SIZE requests, newest
first; `page` and `page_size` walk through larger results.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agencies.models import ServiceRequest

MAX_SPAN = timedelta(days=90)
MAX_PAGE_SIZE = 1000
# A request NYC closed or cancelled needs no further action: "closed" to Open311.
CLOSED_STATUSES = (ServiceRequest.Status.CLOSED, ServiceRequest.Status.CANCELLED)
OPEN311_STATUSES = ("open", "closed")


class QueryError(ValueError):
    """A parameter the spec's client got wrong: answered with 400 and this text."""


@dataclass(frozen=True)
class RequestsQuery:
    service_request_ids: tuple[int, ...] = ()
    service_codes: tuple[int, ...] = ()
    start: datetime | None = None
    end: datetime | None = None
    statuses: tuple[str, ...] = ()
    page: int = 1
    page_size: int = MAX_PAGE_SIZE

    def requests(self) -> QuerySet[ServiceRequest]:
        """This page of matching requests, newest first, agency and type joined."""
        chosen = ServiceRequest.objects.select_related("agency", "complaint_type")
        if self.service_request_ids:
            chosen = chosen.filter(unique_key__in=self.service_request_ids)
        else:
            chosen = chosen.filter(created_at__gte=self.start, created_at__lte=self.end)
            if self.service_codes:
                chosen = chosen.filter(complaint_type_id__in=self.service_codes)
            if set(self.statuses) == {"closed"}:
                chosen = chosen.filter(status__in=CLOSED_STATUSES)
            elif set(self.statuses) == {"open"}:
                chosen = chosen.exclude(status__in=CLOSED_STATUSES)
        first = (self.page - 1) * self.page_size
        return chosen.order_by("-created_at", "-unique_key")[
            first : first + self.page_size
        ]


def parse_requests_query(
    params: dict[str, str], *, now: datetime | None = None
) -> RequestsQuery:
    """The query for these GET parameters; raises QueryError for a bad one."""
    ids = _whole_numbers(params.get("service_request_id", ""), "service_request_id")
    if len(ids) > MAX_PAGE_SIZE:
        raise QueryError(
            f"service_request_id lists at most {MAX_PAGE_SIZE} request numbers."
        )
    page = _positive(params.get("page", "1"), "page")
    page_size = _positive(
        params.get("page_size", str(MAX_PAGE_SIZE)), "page_size", largest=MAX_PAGE_SIZE
    )
    if ids:
        return RequestsQuery(service_request_ids=ids, page=page, page_size=page_size)

    statuses = tuple(
        value.strip().lower() for value in params.get("status", "").split(",") if value
    )
    if any(value not in OPEN311_STATUSES for value in statuses):
        raise QueryError("status is open, closed or both, comma-separated.")

    start = _datetime(params.get("start_date", ""), "start_date")
    end = _datetime(params.get("end_date", ""), "end_date")
    try:
        if start is None and end is None:
            end = now or timezone.now()
        if start is None:
            start = end - MAX_SPAN
        elif end is None:
            end = start + MAX_SPAN
    except OverflowError:
        raise QueryError("start_date or end_date is out of range.") from None
    if end < start:
        raise QueryError("end_date is before start_date.")
    if end - start > MAX_SPAN:
        raise QueryError(
            f"start_date and end_date are at most {MAX_SPAN.days} days apart."
        )
    return RequestsQuery(
        service_codes=_whole_numbers(params.get("service_code", ""), "service_code"),
        start=start,
        end=end,
        statuses=statuses,
        page=page,
        page_size=page_size,
    )


def _whole_numbers(text: str, name: str) -> tuple[int, ...]:
    values = [value.strip() for value in text.split(",") if value.strip()]
    if not all(value.isascii() and value.isdigit() for value in values):
        raise QueryError(f"{name} is a comma-separated list of whole numbers.")
    # Longer numbers do not fit the column; no request has one (-1 matches none).
    return tuple(int(value) if len(value) <= 18 else -1 for value in values)


def _positive(text: str, name: str, *, largest: int = 999_999_999) -> int:
    # The length is checked before int(), which refuses very long digit strings.
    if (
        not (text.isascii() and text.isdigit())
        or len(text) > len(str(largest))
        or not 1 <= int(text) <= largest
    ):
        raise QueryError(f"{name} is a whole number from 1 to {largest}.")
    return int(text)


def _datetime(text: str, name: str) -> datetime | None:
    """W3C date and time; without an offset it is New York time, like the site's."""
    if not text.strip():
        return None
    try:
        value = parse_datetime(text.strip())
    except ValueError:
        value = None
    if value is None:
        raise QueryError(
            f"{name} is a W3C date and time, e.g. 2024-01-16T09:30:00-05:00."
        )
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value
