"""Every dashboard's figures against the hand-worked data set in dashboard_data."""

from datetime import date

import pytest

from surveys.dashboards import figures
from surveys.dashboards.figures import Dimension, Filters, Row
from surveys.dashboards.rollup import refresh_dashboard_figures
from surveys.models import DashboardRollup, QuarterTimeToClose
from surveys.tests import dashboard_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def data():
    built = dashboard_data.build()
    refresh_dashboard_figures()
    return built


def by_key(rows):
    return {row.key: row for row in rows}


def test_breakdown_by_agency_counts_and_shares(data):
    rows = by_key(figures.breakdown(Filters(), Dimension.AGENCY))

    hpd, dot = rows["HPD"], rows["DOT"]
    assert (hpd.sent, hpd.delivered, hpd.bounced, hpd.answered) == (9, 8, 1, 7)
    assert hpd.response_rate == pytest.approx(7 / 9)
    assert hpd.satisfaction_n == 7
    assert hpd.mean_satisfaction == pytest.approx(475 / 7)
    assert hpd.share_satisfied == pytest.approx(5 / 7)
    assert hpd.share_dissatisfied == pytest.approx(2 / 7)
    assert (hpd.fixed_yes, hpd.fixed_no, hpd.fixed_not_sure) == (4, 2, 1)
    assert hpd.share_not_fixed == pytest.approx(2 / 7)
    assert (dot.sent, dot.delivered, dot.answered, dot.satisfaction_n) == (3, 3, 2, 2)
    assert dot.mean_satisfaction == 25
    assert dot.share_satisfied == 0
    assert dot.share_not_fixed == 1
    assert dot.simulated_answered == 1
    assert hpd.label.startswith("HPD – ")


def test_breakdowns_by_each_dimension(data):
    types = by_key(figures.breakdown(Filters(), Dimension.COMPLAINT_TYPE))
    assert types[str(data.heat.pk)].sent == 8
    assert types[str(data.formula.pk)].mean_satisfaction == 75
    assert types[str(data.street.pk)].label == "Street Condition (DOT)"

    boroughs = by_key(figures.breakdown(Filters(), Dimension.BOROUGH))
    assert (boroughs["BRONX"].sent, boroughs["QUEENS"].sent) == (9, 3)

    channels = by_key(figures.breakdown(Filters(), Dimension.CHANNEL))
    assert channels["sms"].sent == 4
    assert channels["sms"].mean_satisfaction == pytest.approx(200 / 3)
    assert channels["email"].sent == 8
    assert channels["email"].bounced == 0

    languages = by_key(figures.breakdown(Filters(), Dimension.LANGUAGE))
    assert languages["es"].label == "Spanish"
    assert languages["es"].answered == 3

    outcomes = by_key(figures.breakdown(Filters(), Dimension.OUTCOME))
    assert outcomes["fixed"].sent == 9
    assert outcomes["no_access"].share_not_fixed == 1

    versions = by_key(figures.breakdown(Filters(), Dimension.VERSION))
    v1, v2 = versions[str(data.heat_v1.pk)], versions[str(data.heat_v2.pk)]
    assert (v1.sent, v1.satisfaction_n, v1.satisfied) == (5, 4, 3)
    assert v1.mean_satisfaction == 68.75
    assert (v2.sent, v2.satisfaction_n, v2.satisfied) == (4, 3, 2)
    assert v2.label == "Heat restored, version 2"


def test_filters_narrow_the_figures(data):
    hpd_only = figures.total(figures.breakdown(Filters(agency="HPD"), Dimension.TOTAL))
    assert (hpd_only.sent, hpd_only.answered) == (9, 7)

    sms = figures.total(figures.breakdown(Filters(channel="sms"), Dimension.AGENCY))
    assert sms.sent == 4

    spanish = figures.total(figures.breakdown(Filters(language="es"), Dimension.TOTAL))
    assert spanish.sent == 4

    real = by_key(figures.breakdown(Filters(real_only=True), Dimension.AGENCY))
    assert (real["DOT"].sent, real["DOT"].answered) == (2, 1)
    assert real["DOT"].mean_satisfaction == 50
    assert real["DOT"].simulated_answered == 0

    february = figures.total(
        figures.breakdown(
            Filters(start=date(2025, 2, 1), end=date(2025, 2, 28)), Dimension.TOTAL
        )
    )
    assert february.sent == 5


def test_trend_by_month_counts_new_york_months(data):
    months = figures.trend(Filters(period="month"))

    assert [r.key for r in months] == ["2025-01-01", "2025-02-01"]
    january, february = months
    # The DOT invitation sent at 03:00 UTC on February 1st is January 31st in New York.
    assert (january.sent, january.answered) == (7, 5)
    assert january.mean_satisfaction == 50
    assert (february.sent, february.answered) == (5, 4)
    assert february.mean_satisfaction == 68.75
    assert january.label == "January 2025"


def test_trend_by_week_starts_on_monday(data):
    weeks = figures.trend(Filters(period="week"))

    assert [(r.key, r.sent) for r in weeks] == [
        ("2025-01-06", 6),
        ("2025-01-27", 1),
        ("2025-02-10", 5),
    ]


def test_time_to_close_against_satisfaction(data):
    rows = figures.time_to_close(Filters())

    assert [(r.key, r.sent, r.satisfaction_n) for r in rows] == [
        ("0-1d", 1, 1),
        ("1-3d", 7, 5),
        ("7-30d", 4, 3),
    ]
    assert rows[1].mean_satisfaction == 50
    assert rows[2].mean_satisfaction == pytest.approx(200 / 3)


def test_outcomes_ranked_most_dissatisfied_first(data):
    rows = figures.outcomes_ranked(Filters())

    assert [r.key for r in rows] == ["no_access", "fixed"]
    assert rows[0].share_dissatisfied == 0.5
    assert rows[1].share_dissatisfied == pytest.approx(2 / 7)


def test_version_comparison_says_too_few_to_tell(data):
    rows, comparisons = figures.version_comparison(Filters(), data.heat_description)

    assert [r.label for r in rows] == ["Version 1", "Version 2"]
    assert len(comparisons) == 1
    assert comparisons[0].verdict.startswith("Too few answers to tell")


def test_verdict_calls_a_difference_only_when_intervals_part():
    before = Row(key="1", label="v1", satisfaction_n=40, satisfied=10)
    clearly_better = Row(key="2", label="v2", satisfaction_n=40, satisfied=35)
    slightly_better = Row(key="3", label="v3", satisfaction_n=40, satisfied=14)

    assert figures.verdict(before, clearly_better).endswith(
        "clearly higher with the later version."
    )
    assert figures.verdict(before, slightly_better).startswith("No clear difference")


def test_wilson_interval_and_mean_interval():
    interval = figures.wilson(8, 10)
    assert interval.low == pytest.approx(0.4902, abs=1e-4)
    assert interval.high == pytest.approx(0.9433, abs=1e-4)

    # Scores 50, 75, 75, 100: mean 75, sample standard deviation 20.41.
    row = Row(key="", label="", satisfaction_n=4, satisfaction_sum=300)
    row.satisfaction_sum_squares = 2500 + 5625 + 5625 + 10000
    half = 1.96 * (1250 / 3) ** 0.5 / 2
    assert row.mean_interval.low == pytest.approx(75 - half)
    assert row.mean_interval.high == pytest.approx(75 + half)

    # Scores 0, 50, 100: the interval is kept on the 0-100 scale.
    row = Row(key="", label="", satisfaction_n=3, satisfaction_sum=150)
    row.satisfaction_sum_squares = 0 + 2500 + 10000
    assert row.mean_interval.low == 0
    assert row.mean_interval.high == 100


@pytest.mark.parametrize(
    ("satisfied", "fixed", "expected"),
    [(32, 40, "A"), (40, 26, "B"), (20, 40, "C"), (14, 40, "D"), (13, 40, "F")],
)
def test_grade_is_the_weaker_of_satisfied_and_fixed(satisfied, fixed, expected):
    row = Row(key="", label="", satisfaction_n=40, satisfied=satisfied, fixed_yes=fixed)
    row.fixed_no = 40 - fixed

    assert figures.grade(row) == expected


def test_no_grade_with_too_few_answers():
    row = Row(key="", label="", satisfaction_n=29, satisfied=29, fixed_yes=29)

    assert figures.grade(row) is None


def test_report_card_per_agency_and_complaint_type(data):
    rows = figures.report_card(Filters(), date(2025, 1, 1))

    assert [(r.extra["agency"], r.extra["is_agency"], r.label) for r in rows] == [
        ("DOT", True, "DOT – " + data.dot.name),
        ("DOT", False, "Street Condition (DOT)"),
        ("HPD", True, "HPD – " + data.hpd.name),
        ("HPD", False, f"{dashboard_data.FORMULA_TYPE} (HPD)"),
        ("HPD", False, "HEAT/HOT WATER (HPD)"),
    ]
    hpd = rows[2]
    assert hpd.share_fixed == pytest.approx(4 / 7)
    assert hpd.response_rate == pytest.approx(7 / 9)
    # Nine surveyed requests: 0.5, 2, 2, 2, 2, 10, 10, 10, 10 days.
    assert hpd.extra["median_days"] == pytest.approx(2)
    assert rows[4].extra["median_days"] == pytest.approx(6)
    assert rows[0].extra["median_days"] == pytest.approx(2)
    assert hpd.extra["grade"] is None


def test_report_card_scoped_to_one_agency(data):
    rows = figures.report_card(Filters(agency="DOT"), date(2025, 1, 1))

    assert {r.extra["agency"] for r in rows} == {"DOT"}


def test_median_in_python_matches_postgresql(data):
    def medians():
        return sorted(
            QuarterTimeToClose.objects.values_list(
                "quarter_start",
                "agency_id",
                "complaint_type_id",
                "includes_simulated",
                "requests",
                "median_seconds",
            ),
            key=str,
        )

    in_database = medians()
    refresh_dashboard_figures(python_median=True)

    assert medians() == in_database
    assert len(in_database) == 2 * (2 + 3)


def test_refresh_twice_gives_the_same_figures(data):
    def snapshot():
        return sorted(DashboardRollup.objects.values_list(), key=lambda r: str(r[1:]))

    first = [r[1:] for r in snapshot()]
    record = refresh_dashboard_figures()

    assert [r[1:] for r in snapshot()] == first
    assert record.rows == len(first)
    assert figures.freshness().refreshed_at == record.refreshed_at
