"""Dashboards and the agency report card: thin views over surveys.dashboards.figures.

Supervisors see their own agency's figures whatever the URL says; city
administrators (and superusers) see every agency and may pick one. Each page's
tables download as CSV with the same filters and scope (`?format=csv`).
"""

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from functools import wraps
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from agencies.models import Agency
from agencies.roles import agency_code_of, sees_all_agencies
from config.csv_export import csv_response
from config.numbers import stored_number
from resolutions.models import ResolutionDescription
from surveys.dashboards import charts, figures
from surveys.dashboards.figures import Dimension, Filters, Row
from surveys.models import Channel

BREAKDOWNS = {
    "agency": Dimension.AGENCY,
    "complaint_type": Dimension.COMPLAINT_TYPE,
    "borough": Dimension.BOROUGH,
    "channel": Dimension.CHANNEL,
    "language": Dimension.LANGUAGE,
    "outcome": Dimension.OUTCOME,
    "version": Dimension.VERSION,
}


class FilterForm(forms.Form):
    agency = forms.ChoiceField(required=False, label="Agency")
    period = forms.ChoiceField(
        required=False, choices=[("month", "Month"), ("week", "Week")], label="Period"
    )
    start = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    end = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    channel = forms.ChoiceField(
        required=False, choices=[("", "All"), *Channel.choices], label="Channel"
    )
    language = forms.ChoiceField(required=False, label="Language")
    real_only = forms.BooleanField(required=False, label="Leave out simulated answers")

    def __init__(self, *args, agencies: Iterable[Agency] | None, **kwargs):
        super().__init__(*args, **kwargs)
        if agencies is None:
            del self.fields["agency"]
        else:
            self.fields["agency"].choices = [
                ("", "All agencies"),
                *((a.code, f"{a.code} – {a.name}") for a in agencies),
            ]
        self.fields["language"].choices = [
            ("", "All"),
            *((code, figures.language_name(code)) for code, _ in settings.LANGUAGES),
        ]


def dashboard_view(view: Callable) -> Callable:
    """Staff with view_dashboards only; anonymous visitors go to the login page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm("surveys.view_dashboards"):
            raise PermissionDenied(
                "Only supervisors and city administrators see the dashboards."
            )
        if not sees_all_agencies(request.user) and agency_code_of(request.user) is None:
            raise PermissionDenied(
                "Your account belongs to no agency, so it has no figures to see."
            )
        return view(request, *args, **kwargs)

    return wrapper


def filters_for(request: HttpRequest) -> tuple[Filters, FilterForm]:
    """The page's filters, scoped to the user: an agency= in the URL of a
    supervisor is ignored, their own agency always applies."""
    city_wide = sees_all_agencies(request.user)
    agencies = Agency.objects.all() if city_wide else None
    form = FilterForm(request.GET or None, agencies=agencies)
    data = form.cleaned_data if form.is_valid() else {}
    agency = (data.get("agency") or None) if city_wide else agency_code_of(request.user)
    return (
        Filters(
            agency=agency,
            period=data.get("period") or "month",
            start=data.get("start"),
            end=data.get("end"),
            channel=data.get("channel") or "",
            language=data.get("language") or "",
            real_only=bool(data.get("real_only")),
        ),
        form,
    )


def _page(
    request: HttpRequest, template: str, filters: Filters, form, **context
) -> HttpResponse:
    city_wide = sees_all_agencies(request.user)
    query = request.GET.copy()
    query.pop("format", None)
    query["format"] = "csv"
    rows = context.get("rows", [])
    shown = context.get("whole") or figures.total(rows)
    return render(
        request,
        template,
        {
            "staff_section": context.pop("staff_section", "dashboards"),
            "staff_agency": None if city_wide else agency_code_of(request.user),
            "form": form,
            "filters": filters,
            "freshness": figures.freshness(),
            "csv_query": query.urlencode(),
            "query": _without(request, "format"),
            "simulated_answered": shown.simulated_answered,
            "answered": shown.answered,
            "min_answers": figures.MIN_ANSWERS,
            **context,
        },
    )


def _without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _pct(value: float | None) -> float | str:
    return round(100 * value, 1) if value is not None else ""


def _num(value: float | None) -> float | str:
    return round(value, 1) if value is not None else ""


FIGURE_HEADER = [
    "invitations sent",
    "delivered",
    "delivered %",
    "bounced",
    "answered",
    "response rate %",
    "satisfaction answers",
    "mean satisfaction (0-100)",
    "mean 95% low",
    "mean 95% high",
    "satisfied %",
    "satisfied 95% low %",
    "satisfied 95% high %",
    "dissatisfied %",
    "fixed answers",
    "fixed %",
    "not fixed %",
    "simulated answers",
]


def figure_cells(row: Row) -> list[Any]:
    mean_interval, satisfied_interval = row.mean_interval, row.satisfied_interval
    return [
        row.sent,
        row.delivered,
        _pct(row.delivered_share),
        row.bounced,
        row.answered,
        _pct(row.response_rate),
        row.satisfaction_n,
        _num(row.mean_satisfaction),
        _num(mean_interval.low) if mean_interval else "",
        _num(mean_interval.high) if mean_interval else "",
        _pct(row.share_satisfied),
        _pct(satisfied_interval.low) if satisfied_interval else "",
        _pct(satisfied_interval.high) if satisfied_interval else "",
        _pct(row.share_dissatisfied),
        row.fixed_n,
        _pct(row.share_fixed),
        _pct(row.share_not_fixed),
        row.simulated_answered,
    ]


# The page's "too few to tell" mark, so a spreadsheet does not read a share of
# three answers as firmly as one of three hundred.
TOO_FEW_HEADER = "too_few_to_tell"


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _csv(
    name: str, first_columns: list[str], rows: Iterable[Row], first=None
) -> HttpResponse:
    first = first or (lambda row: [row.label])
    stamp = timezone.localdate().isoformat()
    return csv_response(
        filename=f"{name}-{stamp}.csv",
        header=[*first_columns, *FIGURE_HEADER, TOO_FEW_HEADER],
        rows=(
            [*first(row), *figure_cells(row), _flag(row.too_few_to_tell)]
            for row in rows
        ),
    )


def _wants_csv(request: HttpRequest) -> bool:
    return request.GET.get("format") == "csv"


TIME_TO_CLOSE_CAPTION = "Survey results by time to close"
OUTCOMES_CAPTION = "Survey results by outcome, most dissatisfied first"


def _satisfaction_bars(rows: Iterable[Row]) -> list[charts.Bar]:
    bars = []
    for row in rows:
        interval = row.mean_interval
        bars.append(
            charts.Bar(
                label=row.label,
                value=row.mean_satisfaction,
                low=interval.low if interval else None,
                high=interval.high if interval else None,
                note=f" (n={row.satisfaction_n})",
            )
        )
    return bars


@dashboard_view
def index(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    by = request.GET.get("by", "agency")
    if by not in BREAKDOWNS:
        by = "agency"
    dimension = BREAKDOWNS[by]
    rows = figures.breakdown(filters, dimension)
    label = Dimension(dimension).label
    caption = f"Survey results by {label.lower()}"
    if _wants_csv(request):
        return _csv(f"satisfaction-by-{by}", [label.lower()], rows)
    return _page(
        request,
        "dashboards/index.html",
        filters,
        form,
        rows=rows,
        whole=figures.total(rows),
        by=by,
        by_label=label,
        caption=caption,
        breakdowns=[(key, Dimension(d).label) for key, d in BREAKDOWNS.items()],
        query_without_by=_without(request, "by", "format"),
        chart=charts.bar_chart(
            title=f"Mean satisfaction by {label.lower()}",
            table_id="figures",
            table_caption=caption,
            bars=_satisfaction_bars(rows[:40]),
        ),
        page="index",
    )


@dashboard_view
def trend(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    rows = figures.trend(filters)
    if _wants_csv(request):
        return _csv(
            f"satisfaction-by-{filters.period}",
            [f"{filters.period} starting"],
            rows,
            first=lambda row: [row.key],
        )
    caption = f"Survey results by {filters.period}"
    periods = _every_period(rows, week=filters.period == "week")
    # A period with too few answers to tell is a gap in the satisfaction lines,
    # not a point that looks as sure as the others (the table still has it).
    sure = [row if row and not row.too_few else None for _, row in periods]
    chart = charts.line_chart(
        title=f"Satisfaction and response rate by {filters.period}",
        table_id="figures",
        table_caption=caption,
        labels=[
            f"{start:%b %d}" if filters.period == "week" else f"{start:%b %Y}"
            for start, _ in periods
        ],
        series=[
            charts.Series(
                "Mean satisfaction (0-100)",
                [r.mean_satisfaction if r else None for r in sure],
            ),
            charts.Series(
                "Satisfied %", [_scaled(r.share_satisfied) if r else None for r in sure]
            ),
            charts.Series(
                "Response rate %",
                [_scaled(row.response_rate) if row else None for _, row in periods],
            ),
        ],
    )
    return _page(
        request,
        "dashboards/trend.html",
        filters,
        form,
        rows=rows,
        chart=chart,
        caption=caption,
        page="trend",
    )


def _every_period(rows: list[Row], *, week: bool) -> list[tuple[date, Row | None]]:
    """Each week or month from the first row's to the last, with its row or None,
    so that the chart spaces time evenly and shows a period without surveys as
    a gap."""
    if not rows:
        return []
    by_start = {row.extra["start"]: row for row in rows}
    start, last = rows[0].extra["start"], rows[-1].extra["start"]
    periods = []
    while start <= last:
        periods.append((start, by_start.get(start)))
        start = (
            start + timedelta(days=7)
            if week
            else (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        )
    return periods


def _scaled(share: float | None) -> float | None:
    return 100 * share if share is not None else None


@dashboard_view
def time_to_close(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    rows = figures.time_to_close(filters)
    if _wants_csv(request):
        return _csv("satisfaction-by-time-to-close", ["time to close"], rows)
    return _page(
        request,
        "dashboards/time_to_close.html",
        filters,
        form,
        rows=rows,
        caption=TIME_TO_CLOSE_CAPTION,
        chart=charts.bar_chart(
            title="Mean satisfaction by time to close",
            table_id="figures",
            table_caption=TIME_TO_CLOSE_CAPTION,
            bars=_satisfaction_bars(rows),
        ),
        page="time_to_close",
    )


@dashboard_view
def outcomes(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    rows = figures.outcomes_ranked(filters)
    if _wants_csv(request):
        return _csv("outcomes-by-dissatisfaction", ["outcome"], rows)
    bars = []
    for row in rows:
        interval = figures.wilson(row.dissatisfied, row.satisfaction_n)
        bars.append(
            charts.Bar(
                label=row.label,
                value=_scaled(row.share_dissatisfied),
                low=_scaled(interval.low) if interval else None,
                high=_scaled(interval.high) if interval else None,
                note=f" (n={row.satisfaction_n})",
            )
        )
    return _page(
        request,
        "dashboards/outcomes.html",
        filters,
        form,
        rows=rows,
        caption=OUTCOMES_CAPTION,
        chart=charts.bar_chart(
            title="Share dissatisfied by outcome (%)",
            table_id="figures",
            table_caption=OUTCOMES_CAPTION,
            bars=bars,
        ),
        page="outcomes",
    )


@dashboard_view
def versions(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    choices = figures.descriptions(filters)
    description = None
    rows: list[Row] = []
    comparisons: list[figures.Comparison] = []
    chosen = request.GET.get("description", "")
    if chosen:
        if (description_id := stored_number(chosen)) is None:
            raise Http404
        queryset = ResolutionDescription.objects.all()
        if filters.agency is not None:
            queryset = queryset.filter(agency_id=filters.agency)
        description = queryset.filter(pk=description_id).first()
        if description is None:
            raise Http404
        rows, comparisons = figures.version_comparison(filters, description)
    caption = (
        f"Survey results by version of {description.title}"
        if description
        else "Survey results by resolution description"
    )
    if _wants_csv(request):
        if description is None:
            return _csv("descriptions", ["description"], choices)
        return _csv(
            f"description-{description.pk}-versions",
            ["description", "version"],
            rows,
            first=lambda row: [description.title, row.extra["number"]],
        )
    return _page(
        request,
        "dashboards/versions.html",
        filters,
        form,
        rows=rows,
        whole=figures.total(rows if description else choices),
        choices=choices,
        description=description,
        comparisons=comparisons,
        caption=caption,
        chart=charts.bar_chart(
            title="Mean satisfaction by version",
            table_id="figures",
            table_caption=caption,
            bars=_satisfaction_bars(rows),
        )
        if rows
        else None,
        page="versions",
    )


@dashboard_view
def report_card(request: HttpRequest) -> HttpResponse:
    filters, form = filters_for(request)
    unbounded = Filters(
        agency=filters.agency,
        channel=filters.channel,
        language=filters.language,
        real_only=filters.real_only,
    )
    for name in ("period", "start", "end"):
        # A report card covers one quarter: these filters would not apply.
        form.fields.pop(name, None)
    quarters = figures.quarters_available(unbounded)
    quarter = _quarter(request.GET.get("quarter", ""), quarters)
    rows = figures.report_card(filters, quarter)
    label = figures.quarter_label(quarter)
    if _wants_csv(request):
        return csv_response(
            filename=f"report-card-{label.replace(' ', '-')}.csv",
            header=[
                "quarter",
                "agency",
                "complaint type",
                "grade",
                "median days to close",
                *FIGURE_HEADER,
                TOO_FEW_HEADER,
            ],
            rows=(
                [
                    label,
                    row.extra["agency"],
                    "" if row.extra["is_agency"] else row.label,
                    row.extra["grade"] or "",
                    _num(row.extra["median_days"]),
                    *figure_cells(row),
                    # The page's "No grade: too few answers".
                    _flag(row.extra["grade"] is None),
                ]
                for row in rows
            ),
        )
    return _page(
        request,
        "dashboards/report_card.html",
        filters,
        form,
        rows=rows,
        whole=figures.total([r for r in rows if r.extra["is_agency"]]),
        quarter=quarter,
        quarter_label=label,
        quarters=[(q.isoformat(), figures.quarter_label(q)) for q in quarters],
        grades=figures.GRADE_THRESHOLDS,
        staff_section="report_card",
        query_without_quarter=_without(request, "quarter", "format"),
        page="report_card",
    )


def _quarter(value: str, quarters: list[date]) -> date:
    try:
        return figures.quarter_of(date.fromisoformat(value))
    except ValueError:
        pass
    if quarters:
        return quarters[0]
    return figures.quarter_of(timezone.localdate())
