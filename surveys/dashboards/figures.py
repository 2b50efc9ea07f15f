"""The dashboards' figures: sums over DashboardRollup, and the statistics on them.

Every function takes `Filters` already scoped to what the user may see (see
views.filters_for) and runs a fixed number of queries, whatever the number of
rows it returns.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise

from django.conf import locale
from django.db.models import Q, Sum

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import DescriptionVersion, ResolutionDescription
from surveys.models import (
    Channel,
    DashboardRefresh,
    DashboardRollup,
    QuarterTimeToClose,
)

Dimension = DashboardRollup.Dimension

# Fewer answers than this and the page says "too few answers to tell" instead of
# comparing, and the report card gives no grade.
MIN_ANSWERS = 30
# 95% two-sided, normal approximation.
Z = 1.96

# Report card grade: from the weaker of share satisfied and share fixed.
GRADE_THRESHOLDS = (("A", 0.80), ("B", 0.65), ("C", 0.50), ("D", 0.35))

MEASURES = (
    "sent",
    "delivered",
    "bounced",
    "answered",
    "satisfaction_n",
    "satisfaction_sum",
    "satisfaction_sum_squares",
    "satisfied",
    "dissatisfied",
    "fixed_yes",
    "fixed_no",
    "fixed_not_sure",
)
# Aliased: an annotation may not share a name with the field it sums.
SUMS = {
    **{f"total_{m}": Sum(m) for m in MEASURES},
    "total_simulated_answered": Sum("answered", filter=Q(is_simulated=True)),
}

TIME_TO_CLOSE_LABELS = {
    "0-1d": "Under 1 day",
    "1-3d": "1 to 3 days",
    "3-7d": "3 to 7 days",
    "7-30d": "7 to 30 days",
    "30d+": "30 days or more",
    "": "Dates unknown",
}


@dataclass(frozen=True)
class Filters:
    agency: str | None = None  # None: every agency (city-wide staff only)
    period: str = "month"  # "week" or "month"
    start: date | None = None
    end: date | None = None
    channel: str = ""
    language: str = ""
    real_only: bool = False

    @property
    def period_field(self) -> str:
        return "week_start" if self.period == "week" else "month_start"

    def q(self) -> Q:
        q = Q()
        if self.agency is not None:
            q &= Q(agency_id=self.agency)
        if self.start:
            q &= Q(**{f"{self.period_field}__gte": period_start(self.start, self)})
        if self.end:
            q &= Q(**{f"{self.period_field}__lte": self.end})
        if self.channel:
            q &= Q(channel=self.channel)
        if self.language:
            q &= Q(language=self.language)
        if self.real_only:
            q &= Q(is_simulated=False)
        return q


def period_start(day: date, filters: Filters) -> date:
    if filters.period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


@dataclass
class Interval:
    low: float
    high: float

    def overlaps(self, other: "Interval") -> bool:
        return self.low <= other.high and other.low <= self.high


@dataclass
class Row:
    """The figures of one table row, with the counts they come from."""

    key: str
    label: str
    sent: int = 0
    delivered: int = 0
    bounced: int = 0
    answered: int = 0
    satisfaction_n: int = 0
    satisfaction_sum: int = 0
    satisfaction_sum_squares: int = 0
    satisfied: int = 0
    dissatisfied: int = 0
    fixed_yes: int = 0
    fixed_no: int = 0
    fixed_not_sure: int = 0
    simulated_answered: int = 0
    extra: dict = field(default_factory=dict)

    def add(self, other: "Row") -> None:
        for name in (*MEASURES, "simulated_answered"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def response_rate(self) -> float | None:
        return _share(self.answered, self.sent)

    @property
    def delivered_share(self) -> float | None:
        return _share(self.delivered, self.sent)

    @property
    def mean_satisfaction(self) -> float | None:
        if not self.satisfaction_n:
            return None
        return self.satisfaction_sum / self.satisfaction_n

    @property
    def mean_interval(self) -> Interval | None:
        n = self.satisfaction_n
        if n < 2:
            return None
        mean = self.satisfaction_sum / n
        variance = max(self.satisfaction_sum_squares - n * mean * mean, 0) / (n - 1)
        half = Z * math.sqrt(variance / n)
        return Interval(max(mean - half, 0), min(mean + half, 100))

    @property
    def share_satisfied(self) -> float | None:
        return _share(self.satisfied, self.satisfaction_n)

    @property
    def satisfied_interval(self) -> Interval | None:
        return wilson(self.satisfied, self.satisfaction_n)

    @property
    def share_dissatisfied(self) -> float | None:
        return _share(self.dissatisfied, self.satisfaction_n)

    @property
    def fixed_n(self) -> int:
        return self.fixed_yes + self.fixed_no + self.fixed_not_sure

    @property
    def share_fixed(self) -> float | None:
        return _share(self.fixed_yes, self.fixed_n)

    @property
    def share_not_fixed(self) -> float | None:
        return _share(self.fixed_no, self.fixed_n)

    @property
    def too_few(self) -> bool:
        return self.satisfaction_n < MIN_ANSWERS

    @property
    def too_few_to_tell(self) -> bool:
        """Marked "too few to tell": some answers, fewer than MIN_ANSWERS. A row
        with none has no figures to doubt."""
        return 0 < self.satisfaction_n < MIN_ANSWERS


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def wilson(successes: int, n: int) -> Interval | None:
    """The Wilson score interval of a share: sound for small n and shares near 0 or 1."""
    if not n:
        return None
    p = successes / n
    denominator = 1 + Z * Z / n
    centre = (p + Z * Z / (2 * n)) / denominator
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / denominator
    return Interval(max(centre - half, 0.0), min(centre + half, 1.0))


def freshness() -> DashboardRefresh | None:
    return DashboardRefresh.objects.filter(pk=1).first()


def _sums(
    filters: Filters, dimension: str, group: tuple[str, ...], extra: Q | None = None
):
    return (
        DashboardRollup.objects.filter(
            filters.q() & (extra or Q()), dimension=dimension
        )
        .values(*group)
        .annotate(**SUMS)
        .order_by(*group)
    )


def _row(key: str, label: str, sums: dict) -> Row:
    return Row(
        key=key,
        label=label,
        **{k.removeprefix("total_"): sums[k] or 0 for k in SUMS},
    )


def total(rows: list[Row]) -> Row:
    whole = Row(key="", label="All")
    for row in rows:
        whole.add(row)
    return whole


def breakdown(filters: Filters, dimension: str) -> list[Row]:
    """Figures per agency, complaint type, borough, ...: two queries at most."""
    sums = list(_sums(filters, dimension, ("key",)))
    labels = labels_for(dimension, [s["key"] for s in sums])
    rows = [_row(s["key"], labels.get(s["key"], s["key"]), s) for s in sums]
    return sorted(rows, key=lambda r: (-r.sent, r.label))


def labels_for(dimension: str, keys: list[str]) -> dict[str, str]:
    known = [k for k in keys if k]
    labels: dict[str, str] = {"": "Unknown"}
    if dimension == Dimension.AGENCY:
        for agency in Agency.objects.filter(code__in=known):
            labels[agency.code] = f"{agency.code} – {agency.name}"
    elif dimension == Dimension.COMPLAINT_TYPE:
        ids = [int(k) for k in known if k.isdigit()]
        for pk, name, agency in ComplaintType.objects.filter(pk__in=ids).values_list(
            "pk", "name", "agency_id"
        ):
            labels[str(pk)] = f"{name} ({agency})"
    elif dimension == Dimension.BOROUGH:
        labels.update(ServiceRequest.Borough.choices)
        labels[""] = "Unspecified"
    elif dimension == Dimension.CHANNEL:
        labels.update(Channel.choices)
    elif dimension == Dimension.LANGUAGE:
        labels.update({k: language_name(k) for k in known})
    elif dimension == Dimension.OUTCOME:
        labels.update(ResolutionDescription.Outcome.choices)
    elif dimension == Dimension.DESCRIPTION:
        ids = [int(k) for k in known if k.isdigit()]
        for pk, title, agency in ResolutionDescription.objects.filter(
            pk__in=ids
        ).values_list("pk", "title", "agency_id"):
            labels[str(pk)] = f"{title} ({agency})"
    elif dimension == Dimension.VERSION:
        ids = [int(k) for k in known if k.isdigit()]
        for pk, number, title in DescriptionVersion.objects.filter(
            pk__in=ids
        ).values_list("pk", "number", "description__title"):
            labels[str(pk)] = f"{title}, version {number}"
    elif dimension == Dimension.TIME_TO_CLOSE:
        labels.update(TIME_TO_CLOSE_LABELS)
    return labels


def language_name(code: str) -> str:
    info = locale.LANG_INFO.get(code, {})
    return info.get("name", code)


def trend(filters: Filters) -> list[Row]:
    """Figures per week or month, oldest first: one query."""
    column = filters.period_field
    rows = []
    for sums in _sums(filters, Dimension.TOTAL, (column,)):
        start = sums[column]
        label = (
            f"Week of {start:%b} {start.day}, {start:%Y}"
            if filters.period == "week"
            else f"{start:%B %Y}"
        )
        row = _row(start.isoformat(), label, sums)
        row.extra["start"] = start
        rows.append(row)
    return rows


def time_to_close(filters: Filters) -> list[Row]:
    """Figures per time-to-close bucket, shortest first, dates unknown last."""
    order = list(TIME_TO_CLOSE_LABELS)
    rows = breakdown(filters, Dimension.TIME_TO_CLOSE)
    return sorted(rows, key=lambda r: order.index(r.key) if r.key in order else 99)


def outcomes_ranked(filters: Filters) -> list[Row]:
    """Outcomes, the most dissatisfying first: the "closed without fixing" view.

    Outcomes with too few answers to rank come last, by number of answers.
    """
    rows = breakdown(filters, Dimension.OUTCOME)
    return sorted(
        rows,
        key=lambda r: (
            r.too_few,
            -(r.share_dissatisfied or 0),
            -(r.share_not_fixed or 0),
            -r.satisfaction_n,
        ),
    )


def descriptions(filters: Filters, limit: int = 200) -> list[Row]:
    """Descriptions with answers, the most answered first, to pick one to compare."""
    rows = [r for r in breakdown(filters, Dimension.DESCRIPTION) if r.key]
    return sorted(rows, key=lambda r: (-r.satisfaction_n, r.label))[:limit]


@dataclass
class Comparison:
    earlier: Row
    later: Row
    verdict: str


def version_comparison(
    filters: Filters, description: ResolutionDescription
) -> tuple[list[Row], list[Comparison]]:
    """Each version's figures, and each version against the one before it."""
    versions = list(description.versions.order_by("number").values_list("pk", "number"))
    keys = [str(pk) for pk, _ in versions]
    sums = {
        s["key"]: s
        for s in _sums(filters, Dimension.VERSION, ("key",), Q(key__in=keys))
    }
    rows = []
    for pk, number in versions:
        if str(pk) in sums:
            row = _row(str(pk), f"Version {number}", sums[str(pk)])
            row.extra["number"] = number
            rows.append(row)
    comparisons = [
        Comparison(earlier=a, later=b, verdict=verdict(a, b)) for a, b in pairwise(rows)
    ]
    return rows, comparisons


def verdict(earlier: Row, later: Row) -> str:
    if earlier.too_few or later.too_few:
        return (
            f"Too few answers to tell: each version needs at least {MIN_ANSWERS} "
            "answers to the satisfaction question."
        )
    a, b = earlier.satisfied_interval, later.satisfied_interval
    if a is None or b is None or a.overlaps(b):
        return "No clear difference: the 95% intervals of share satisfied overlap."
    direction = "higher" if later.share_satisfied > earlier.share_satisfied else "lower"
    return f"Share satisfied is clearly {direction} with the later version."


# The report card.


def quarter_of(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def quarter_label(start: date) -> str:
    return f"{start.year} Q{(start.month - 1) // 3 + 1}"


def quarter_end(start: date) -> date:
    month = start.month + 2
    return date(start.year, month, 1)


def grade(row: Row) -> str | None:
    """A to F from the weaker of share satisfied and share fixed; None if too few."""
    if row.satisfaction_n < MIN_ANSWERS or row.fixed_n < MIN_ANSWERS:
        return None
    weaker = min(row.share_satisfied, row.share_fixed)
    for letter, threshold in GRADE_THRESHOLDS:
        if weaker >= threshold:
            return letter
    return "F"


def report_card(filters: Filters, quarter: date) -> list[Row]:
    """One row per agency, then one per complaint type under it: four queries.

    Rows carry `extra`: agency, is_agency, median_days, grade.
    """
    months = Q(month_start__gte=quarter, month_start__lte=quarter_end(quarter))
    quarter_filters = Filters(
        agency=filters.agency,
        channel=filters.channel,
        language=filters.language,
        real_only=filters.real_only,
    )
    agencies = list(_sums(quarter_filters, Dimension.AGENCY, ("key",), months))
    types = list(
        _sums(quarter_filters, Dimension.COMPLAINT_TYPE, ("agency_id", "key"), months)
    )
    medians = QuarterTimeToClose.objects.filter(
        quarter_start=quarter, includes_simulated=not filters.real_only
    )
    if filters.agency is not None:
        medians = medians.filter(agency_id=filters.agency)
    median_of = {
        (m.agency_id, str(m.complaint_type_id or "")): m.median_seconds for m in medians
    }
    agency_labels = labels_for(Dimension.AGENCY, [s["key"] for s in agencies])
    type_labels = labels_for(Dimension.COMPLAINT_TYPE, [s["key"] for s in types])

    rows = []
    for sums in sorted(agencies, key=lambda s: s["key"]):
        code = sums["key"]
        agency_row = _row(code, agency_labels.get(code, code), sums)
        agency_row.extra.update(agency=code, is_agency=True)
        children = []
        for type_sums in types:
            if type_sums["agency_id"] != code:
                continue
            key = type_sums["key"]
            row = _row(key, type_labels.get(key, "Unknown"), type_sums)
            row.extra.update(agency=code, is_agency=False)
            children.append(row)
        for row in [agency_row, *sorted(children, key=lambda r: r.label)]:
            key = "" if row.extra["is_agency"] else row.key
            seconds = median_of.get((code, key))
            row.extra["median_days"] = seconds / 86400 if seconds is not None else None
            row.extra["grade"] = grade(row)
            rows.append(row)
    return rows


def quarters_available(filters: Filters) -> list[date]:
    months = (
        DashboardRollup.objects.filter(filters.q(), dimension=Dimension.TOTAL)
        .values_list("month_start", flat=True)
        .distinct()
    )
    return sorted({quarter_of(m) for m in months}, reverse=True)
