"""Review deadlines in New York business days.

Weekends and the holidays the city's offices close for (US federal and New York
State, as the `holidays` package lists them) do not count.
"""

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings


@lru_cache(maxsize=16)
def _holidays_of(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("US", subdiv="NY", years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _holidays_of(day.year)


def add_business_days(moment: datetime, days: int) -> datetime:
    """The same New York wall-clock time `days` business days after `moment`."""
    zone = ZoneInfo(settings.TIME_ZONE)
    local = moment.astimezone(zone)
    day = local.date()
    left = days
    while left > 0:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    # Built from the wall-clock time, so a clock change in between keeps the hour.
    return datetime.combine(day, local.time().replace(fold=0), tzinfo=zone)


def review_due_at(opened_at: datetime) -> datetime:
    return add_business_days(opened_at, settings.REVIEW_DEADLINE_BUSINESS_DAYS)
