"""Charts drawn on the server as SVG: no script, no CDN, readable at a glance.

Each chart is an image with a title and a description naming the table that
holds the same numbers; screen readers get the table. Every text placed in the
SVG is escaped (complaint types and titles come from imported data).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe

INK = "#1b1b1b"
MUTED = "#4a4a4a"
GRID = "#c4c4c4"
# Colour-blind safe and at least 3:1 against white; lines also differ by dash.
SERIES_STYLES = (
    ("#0b3d6e", ""),
    ("#b3480b", "6 4"),
    ("#2e6b30", "2 3"),
)


@dataclass
class Bar:
    label: str
    value: float | None  # 0-100
    low: float | None = None
    high: float | None = None
    note: str = ""


def bar_chart(
    *, title: str, table_id: str, table_caption: str, bars: Sequence[Bar]
) -> SafeString:
    """Horizontal bars on a 0-100 scale, with 95% interval whiskers."""
    label_width, plot_width, row_height, top = 300, 420, 26, 28
    width = label_width + plot_width + 90
    height = top + row_height * max(len(bars), 1) + 10
    parts = [_frame(width, height, title, table_id, table_caption)]
    for tick in (0, 25, 50, 75, 100):
        x = label_width + plot_width * tick / 100
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="middle" fill="{}" '
                'font-size="12">{}</text>',
                x,
                top - 6,
                x,
                height - 10,
                GRID,
                x,
                top - 10,
                MUTED,
                tick,
            )
        )
    for index, bar in enumerate(bars):
        y = top + index * row_height
        # About seven pixels a character at 13 px: longer labels would run off
        # the chart's left edge (the table below has them whole).
        label = bar.label if len(bar.label) <= 38 else bar.label[:37] + "…"
        parts.append(
            format_html(
                '<text x="{}" y="{}" text-anchor="end" fill="{}" font-size="13">{}'
                "</text>",
                label_width - 8,
                y + 17,
                INK,
                label,
            )
        )
        if bar.value is None:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" fill="{}" font-size="12">no answers</text>',
                    label_width + 4,
                    y + 17,
                    MUTED,
                )
            )
            continue
        bar_width = plot_width * bar.value / 100
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                label_width,
                y + 5,
                round(bar_width, 1),
                row_height - 10,
                SERIES_STYLES[0][0],
            )
        )
        if bar.low is not None and bar.high is not None:
            x1 = label_width + plot_width * bar.low / 100
            x2 = label_width + plot_width * bar.high / 100
            parts.append(
                format_html(
                    '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" '
                    'stroke-width="2"/>',
                    round(x1, 1),
                    y + 13,
                    round(x2, 1),
                    y + 13,
                    INK,
                )
            )
        parts.append(
            format_html(
                '<text x="{}" y="{}" fill="{}" font-size="12">{}{}</text>',
                label_width + plot_width + 6,
                y + 17,
                INK,
                f"{bar.value:.0f}",
                bar.note,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


@dataclass
class Series:
    name: str
    values: Sequence[float | None]  # 0-100


def line_chart(
    *,
    title: str,
    table_id: str,
    table_caption: str,
    labels: Sequence[str],
    series: Sequence[Series],
) -> SafeString:
    """Lines on a 0-100 scale over periods; gaps where a period has no figure."""
    left, top, plot_width, plot_height = 44, 30, 700, 220
    width, height = left + plot_width + 20, top + plot_height + 70
    parts = [_frame(width, height, title, table_id, table_caption)]
    for tick in (0, 25, 50, 75, 100):
        y = top + plot_height * (1 - tick / 100)
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}"/>'
                '<text x="{}" y="{}" text-anchor="end" fill="{}" '
                'font-size="12">{}</text>',
                left,
                y,
                left + plot_width,
                y,
                GRID,
                left - 6,
                y + 4,
                MUTED,
                tick,
            )
        )
    count = max(len(labels), 1)
    step = plot_width / max(count - 1, 1)

    def x_of(i: int) -> float:
        return round(left + (i * step if count > 1 else plot_width / 2), 1)

    every = max(1, count // 8)
    for i, label in enumerate(labels):
        if i % every == 0:
            parts.append(
                format_html(
                    '<text x="{}" y="{}" text-anchor="middle" fill="{}" '
                    'font-size="11">{}</text>',
                    x_of(i),
                    top + plot_height + 16,
                    MUTED,
                    label,
                )
            )
    for (colour, dash), line in zip(SERIES_STYLES, series, strict=False):
        segments: list[list[str]] = [[]]
        for i, value in enumerate(line.values):
            if value is None:
                segments.append([])
                continue
            y = round(top + plot_height * (1 - value / 100), 1)
            segments[-1].append(f"{x_of(i)},{y}")
            parts.append(
                format_html(
                    '<circle cx="{}" cy="{}" r="3" fill="{}"/>', x_of(i), y, colour
                )
            )
        for points in segments:
            if len(points) > 1:
                parts.append(
                    format_html(
                        '<polyline points="{}" fill="none" stroke="{}" '
                        'stroke-width="2" stroke-dasharray="{}"/>',
                        " ".join(points),
                        colour,
                        dash or "none",
                    )
                )
    legend_y = top + plot_height + 40
    for index, ((colour, dash), line) in enumerate(
        zip(SERIES_STYLES, series, strict=False)
    ):
        x = left + index * 230
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="3" '
                'stroke-dasharray="{}"/><text x="{}" y="{}" fill="{}" '
                'font-size="13">{}</text>',
                x,
                legend_y,
                x + 30,
                legend_y,
                colour,
                dash or "none",
                x + 36,
                legend_y + 4,
                INK,
                line.name,
            )
        )
    parts.append(mark_safe("</svg>"))
    return mark_safe("".join(parts))  # noqa: S308 (every part escaped above)


def _frame(
    width: float, height: float, title: str, table_id: str, table_caption: str
) -> SafeString:
    # The description names the table by its caption, the words a screen reader
    # announces for it, not by the chart's own title.
    return format_html(
        '<svg class="chart" role="img" viewBox="0 0 {} {}" width="100%" '
        'preserveAspectRatio="xMinYMin meet" aria-labelledby="{}-title {}-desc" '
        'xmlns="http://www.w3.org/2000/svg"><title id="{}-title">{}</title>'
        '<desc id="{}-desc">{}</desc>',
        width,
        height,
        table_id,
        table_id,
        table_id,
        title,
        table_id,
        escape(f"The same figures are in the table “{table_caption}” below."),
    )
