"""Rebuild the dashboards' pre-aggregated figures from invitations and responses.

One transaction, set-wise: the facts of every sent invitation (its periods,
agency, complaint type, what the resident was told, whether it was delivered and
what was answered) go into a temporary table through one INSERT ... SELECT that
the ORM writes for the database in use (New York weeks and months on PostgreSQL
and SQLite alike); each dimension of DashboardRollup is then one GROUP BY over
that table, and QuarterTimeToClose one more. Readers keep seeing the previous
figures until the transaction commits.

The median time to close uses PostgreSQL's percentile_cont; other databases
compute it in Python from the same temporary table (`median_in_python`).
"""

import logging
import statistics
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DateField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import (
    Cast,
    Coalesce,
    TruncMonth,
    TruncQuarter,
    TruncWeek,
)
from django.utils import timezone

from resolutions.models import ResolutionDescription, ResolutionNotice
from surveys.dashboards.figures import MEASURES
from surveys.models import (
    DashboardRefresh,
    DashboardRollup,
    Invitation,
    Message,
    QuarterTimeToClose,
)

logger = logging.getLogger(__name__)

Dimension = DashboardRollup.Dimension

FACT_TABLE = "dashboard_fact"

# Time from a request's creation to its closure, in the buckets the "time to close
# against satisfaction" view shows: (key, upper bound). Longer is "30d+"; no
# usable dates is "".
TIME_TO_CLOSE_BUCKETS = (
    ("0-1d", timedelta(days=1)),
    ("1-3d", timedelta(days=3)),
    ("3-7d", timedelta(days=7)),
    ("7-30d", timedelta(days=30)),
)
TIME_TO_CLOSE_LONGEST = "30d+"

# The key of each dimension, as an SQL expression over the fact table's columns.
DIMENSION_KEYS = {
    Dimension.TOTAL: "''",
    Dimension.AGENCY: "agency_code",
    Dimension.COMPLAINT_TYPE: "CAST(complaint_type_id AS TEXT)",
    Dimension.BOROUGH: "borough",
    Dimension.CHANNEL: "channel",
    Dimension.LANGUAGE: "language",
    Dimension.OUTCOME: "outcome",
    Dimension.DESCRIPTION: "CAST(description_id AS TEXT)",
    Dimension.VERSION: "CAST(version_id AS TEXT)",
    Dimension.TIME_TO_CLOSE: "ttc_bucket",
}

# Scores 75 and 100 (agree, strongly agree) are satisfied; 0 and 25 (disagree,
# strongly disagree) dissatisfied, as surveys.scales.DISSATISFIED says.
SATISFIED_FROM = 75
DISSATISFIED_UP_TO = 25


def facts() -> QuerySet:
    """One row per sent invitation, with everything the dashboards group by."""
    zone = timezone.get_default_timezone()
    told = ResolutionNotice.objects.filter(
        service_request=OuterRef("service_request")
    ).order_by("-recorded_at", "-id")
    created = F("service_request__created_at")
    closed = F("service_request__closed_at")
    dates_usable = Q(
        service_request__created_at__isnull=False,
        service_request__closed_at__isnull=False,
        service_request__closed_at__gte=created,
    )
    ttc_bucket = Case(
        When(~dates_usable, then=Value("")),
        *(
            When(service_request__closed_at__lt=created + bound, then=Value(key))
            for key, bound in TIME_TO_CLOSE_BUCKETS
        ),
        default=Value(TIME_TO_CLOSE_LONGEST),
    )
    message_with = Message.objects.filter(invitation=OuterRef("pk"))
    return (
        Invitation.objects.filter(sent_at__isnull=False)
        .annotate(
            week_start=_date(
                TruncWeek("sent_at", output_field=DateField(), tzinfo=zone)
            ),
            month_start=_date(
                TruncMonth("sent_at", output_field=DateField(), tzinfo=zone)
            ),
            quarter_start=_date(
                TruncQuarter("sent_at", output_field=DateField(), tzinfo=zone)
            ),
            agency_code=Coalesce(F("service_request__agency_id"), Value("")),
            complaint_type_id=F("service_request__complaint_type_id"),
            borough=F("service_request__borough"),
            simulated=Case(
                When(Q(is_simulated=True) | Q(response__is_simulated=True), then=True),
                default=False,
                output_field=BooleanField(),
            ),
            version_id=Subquery(
                told.values("version_id")[:1], output_field=IntegerField()
            ),
            # A request closed before notices were recorded still has its
            # description, without a version.
            description_id=Coalesce(
                Subquery(told.values("version__description_id")[:1]),
                F("service_request__resolution_description_id"),
                output_field=IntegerField(),
            ),
            outcome=Coalesce(
                Subquery(told.values("version__description__outcome")[:1]),
                F("service_request__resolution_description__outcome"),
                Value(ResolutionDescription.Outcome.UNCLASSIFIED),
                output_field=CharField(),
            ),
            ttc_bucket=ttc_bucket,
            ttc=Case(
                When(
                    dates_usable,
                    then=ExpressionWrapper(closed - created, DurationField()),
                ),
                default=None,
                output_field=DurationField(),
            ),
            is_delivered=_flag(Exists(message_with.filter(delivered_at__isnull=False))),
            is_bounced=_flag(
                Exists(message_with.filter(status=Message.Status.BOUNCED))
            ),
            is_answered=_flag(Q(response__isnull=False)),
            score=F("response__satisfaction"),
            fixed=F("response__fixed"),
        )
        .values(
            "week_start",
            "month_start",
            "quarter_start",
            "agency_code",
            "complaint_type_id",
            "borough",
            "channel",
            "language",
            "simulated",
            "version_id",
            "description_id",
            "outcome",
            "ttc_bucket",
            "ttc",
            "is_delivered",
            "is_bounced",
            "is_answered",
            "score",
            "fixed",
        )
        .order_by()
    )


def _date(expression) -> Cast:
    # PostgreSQL's DATE_TRUNC gives a timestamp; SQLite's gives text.
    return Cast(expression, DateField())


def _flag(condition) -> Case:
    return Case(When(condition, then=1), default=0, output_field=IntegerField())


_MEASURES = f"""
    COUNT(*), SUM(is_delivered), SUM(is_bounced), SUM(is_answered), COUNT(score),
    COALESCE(SUM(score), 0), COALESCE(SUM(score * score), 0),
    SUM(CASE WHEN score >= {SATISFIED_FROM} THEN 1 ELSE 0 END),
    SUM(CASE WHEN score <= {DISSATISFIED_UP_TO} THEN 1 ELSE 0 END),
    SUM(CASE WHEN fixed = 'yes' THEN 1 ELSE 0 END),
    SUM(CASE WHEN fixed = 'no' THEN 1 ELSE 0 END),
    SUM(CASE WHEN fixed = 'not_sure' THEN 1 ELSE 0 END)
"""
_ROLLUP_COLUMNS = (
    "dimension",
    "key",
    "week_start",
    "month_start",
    "agency_id",
    "channel",
    "language",
    "is_simulated",
    # In the order _MEASURES computes them.
    *MEASURES,
)


def refresh_dashboard_figures(*, python_median: bool = False) -> DashboardRefresh:
    """Rebuild DashboardRollup and QuarterTimeToClose; return the refresh record.

    Two refreshes at once (beat and the command) take turns on the refresh row.
    `python_median` forces the portable median on PostgreSQL too (tests).
    """
    started = time.monotonic()
    DashboardRefresh.objects.get_or_create(pk=1)
    with transaction.atomic():
        record = DashboardRefresh.objects.select_for_update().get(pk=1)
        rows = _rebuild(python_median=python_median)
        record.refreshed_at = timezone.now()
        record.seconds = time.monotonic() - started
        record.rows = rows
        record.save()
    logger.info(
        "Dashboard figures rebuilt: %s rollup rows in %.2f s", rows, record.seconds
    )
    return record


def _rebuild(*, python_median: bool) -> int:
    quote = connection.ops.quote_name
    rollup = DashboardRollup._meta.db_table
    columns = ", ".join(quote(c) for c in _ROLLUP_COLUMNS)
    sql, params = facts().query.sql_with_params()
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FACT_TABLE}")
        cursor.execute(f"CREATE TEMPORARY TABLE {FACT_TABLE} AS {sql}", params)
        cursor.execute(f"DELETE FROM {rollup}")
        cursor.execute(f"DELETE FROM {QuarterTimeToClose._meta.db_table}")
        for dimension, key in DIMENSION_KEYS.items():
            group = "week_start, month_start, agency_code, channel, language, simulated"
            if dimension != Dimension.TOTAL:
                group = f"{key}, {group}"
            cursor.execute(
                f"""
                INSERT INTO {rollup} ({columns})
                SELECT %s, COALESCE({key}, ''), week_start, month_start, agency_code,
                       channel, language, simulated, {_MEASURES}
                FROM {FACT_TABLE}
                GROUP BY {group}
                """,
                [dimension.value],
            )
            rows += cursor.rowcount
        if connection.vendor == "postgresql" and not python_median:
            _medians_in_postgresql(cursor)
        else:
            _medians_in_python(cursor)
        cursor.execute(f"DROP TABLE {FACT_TABLE}")
    return rows


def _medians_in_postgresql(cursor) -> None:
    table = QuarterTimeToClose._meta.db_table
    for includes_simulated in (True, False):
        where = "ttc IS NOT NULL" + ("" if includes_simulated else " AND NOT simulated")
        for complaint_type in ("complaint_type_id", "NULL"):
            group_extra = ", complaint_type_id" if complaint_type != "NULL" else ""
            cursor.execute(
                f"""
                INSERT INTO {table} (quarter_start, agency_id, complaint_type_id,
                                     includes_simulated, requests, median_seconds)
                SELECT quarter_start, agency_code, {complaint_type}, %s, COUNT(*),
                       percentile_cont(0.5) WITHIN GROUP
                           (ORDER BY EXTRACT(EPOCH FROM ttc))
                FROM {FACT_TABLE}
                WHERE {where}
                  AND ({complaint_type} IS NOT NULL OR %s)
                GROUP BY quarter_start, agency_code{group_extra}
                """,
                [includes_simulated, complaint_type == "NULL"],
            )


def _seconds(value) -> float:
    # PostgreSQL returns an interval as a timedelta; SQLite stores microseconds.
    if isinstance(value, timedelta):
        return value.total_seconds()
    return int(value) / 1_000_000


def _medians_in_python(cursor) -> None:
    cursor.execute(
        f"SELECT quarter_start, agency_code, complaint_type_id, simulated, ttc "
        f"FROM {FACT_TABLE} WHERE ttc IS NOT NULL"
    )
    groups: dict[tuple, list[float]] = defaultdict(list)
    for quarter, agency, complaint_type, simulated, ttc in cursor.fetchall():
        seconds = _seconds(ttc)
        for includes_simulated in (True, False):
            if simulated and not includes_simulated:
                continue
            groups[(quarter, agency, None, includes_simulated)].append(seconds)
            if complaint_type is not None:
                groups[(quarter, agency, complaint_type, includes_simulated)].append(
                    seconds
                )
    QuarterTimeToClose.objects.bulk_create(_median_rows(groups.items()))


def _median_rows(groups: Iterable[tuple[tuple, list[float]]]):
    for (quarter, agency, complaint_type, includes_simulated), values in groups:
        yield QuarterTimeToClose(
            quarter_start=quarter,
            agency_id=agency,
            complaint_type_id=complaint_type,
            includes_simulated=includes_simulated,
            requests=len(values),
            median_seconds=statistics.median(values),
        )
