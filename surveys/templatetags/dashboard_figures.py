"""How dashboard figures read on the page: percentages and intervals, never "None"."""

from django import template

register = template.Library()

DASH = "–"


@register.filter
def pct(share: float | None) -> str:
    return f"{100 * share:.1f}%" if share is not None else DASH


@register.filter
def score(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else DASH


@register.filter
def pct_interval(interval) -> str:
    if interval is None:
        return ""
    return f"{100 * interval.low:.0f}–{100 * interval.high:.0f}%"


@register.filter
def score_interval(interval) -> str:
    if interval is None:
        return ""
    return f"{interval.low:.1f}–{interval.high:.1f}"


@register.filter
def days(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else DASH
