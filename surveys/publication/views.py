"""Public open-data pages: no login, no personal data, no JavaScript.

The files are served as they were written (FileResponse streams them), so what
a visitor downloads is byte for byte what the release's sha256 describes.
"""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import get_conditional_response
from django.views.decorators.http import require_safe

from config.languages import activate_supported
from surveys.models import Release
from surveys.publication import dictionary
from surveys.publication.services import DEMO_LABEL, FUNNEL_MEASURES, release_named
from surveys.publication.suppression import TOTAL

# The pages, like the files, are published in English only: half-translated
# pages (month names in one language, the rest in another) would mislead.
PAGE_LANGUAGE = "en"

FILE_KINDS = {
    "results.csv": ("rows_csv", "text/csv; charset=utf-8"),
    "tables.csv": ("tables_csv", "text/csv; charset=utf-8"),
    "results.json": ("json", "application/json"),
}


def _release(slug: str) -> Release:
    release = release_named(slug)
    if release is None:
        raise Http404("No such release.")
    return release


@require_safe
def index(request: HttpRequest) -> HttpResponse:
    activate_supported(request, PAGE_LANGUAGE)
    releases = list(Release.objects.select_related("corrects"))
    standing = [release for release in releases if not release.is_withdrawn]
    featured = next((r for r in standing if not r.is_demo), None) or (
        standing[0] if standing else None
    )
    return render(
        request,
        "opendata/index.html",
        {
            "releases": releases,
            "featured": featured,
            "charts": _charts(featured) if featured else [],
            "demo_label": DEMO_LABEL,
        },
    )


@require_safe
def data_dictionary(request: HttpRequest) -> HttpResponse:
    activate_supported(request, PAGE_LANGUAGE)
    standing = Release.objects.filter(withdrawn_at=None)
    latest = standing.filter(is_demo=False).first() or standing.first()
    return render(
        request,
        "opendata/dictionary.html",
        {
            "row_columns": dictionary.ROW_COLUMNS,
            "answer_columns": dictionary.default_answer_columns(),
            "comment_column": dictionary.COMMENT_COLUMN,
            "tables": dictionary.TABLES,
            "k": latest.min_group_size if latest else settings.OPEN_DATA_MIN_GROUP_SIZE,
        },
    )


@require_safe
def download(request: HttpRequest, slug: str, kind: str) -> HttpResponse:
    release = _release(slug)
    if release.is_withdrawn:
        return HttpResponse(
            f"{release.slug} was withdrawn on "
            f"{timezone.localtime(release.withdrawn_at):%Y-%m-%d}: "
            f"{release.withdrawal_reason}\n",
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    key, content_type = FILE_KINDS[kind]
    item = release.files[key]
    etag = f'"{item["sha256"]}"'
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        return _cached(not_modified, etag)
    path = Path(settings.OPEN_DATA_DIR) / item["path"]
    if not path.is_file():
        raise Http404("File missing.")
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 (FileResponse closes it)
        content_type=content_type,
        as_attachment=kind.endswith(".csv"),
        filename=item["name"],
    )
    return _cached(response, etag)


def _cached(response: HttpResponse, etag: str) -> HttpResponse:
    # Published files never change, but a release may be withdrawn: caches keep
    # a file for five minutes, then ask again, and an unchanged one costs a 304,
    # which carries the same headers as the file.
    response["Cache-Control"] = "public, max-age=300"
    response["ETag"] = etag
    return response


@require_safe
def release_list(request: HttpRequest) -> JsonResponse:
    return JsonResponse(
        {
            "releases": [
                {
                    "id": release.slug,
                    "month": f"{release.month:%Y-%m}",
                    "number": release.number,
                    "kind": release.kind,
                    "is_demo": release.is_demo,
                    "label": DEMO_LABEL if release.is_demo else "",
                    "corrects": release.corrects.slug if release.corrects else None,
                    "note": release.note,
                    "withdrawn": (
                        {
                            "at": release.withdrawn_at.isoformat(),
                            "reason": release.withdrawal_reason,
                        }
                        if release.is_withdrawn
                        else None
                    ),
                    # A withdrawn release's files are gone; their sha256 stay,
                    # so that copies made before can be found and deleted.
                    "json": None
                    if release.is_withdrawn
                    else request.build_absolute_uri(
                        f"/open-data/{release.slug}/results.json"
                    ),
                    "files": {
                        key: {"name": item["name"], "sha256": item["sha256"]}
                        for key, item in release.files.items()
                    },
                }
                for release in Release.objects.select_related("corrects")
            ]
        },
        json_dumps_params={"ensure_ascii": False},
    )


def _grand_total(table: dict[str, Any]) -> int | None:
    return table["counts"][-1][-1]


def _bars(
    pairs: list[tuple[str, float | None]], *, full_scale: float | None = None
) -> list[dict[str, Any]]:
    """Bars as long as their value against `full_scale`, else the largest value."""
    largest = full_scale or max((value for _, value in pairs if value), default=0) or 1
    return [
        {
            "label": label,
            "value": value,
            # Per cent of the chart's width, at most the 70 right of the labels.
            "length": round(70 * value / largest, 1) if value else 0,
            "y": index * 28,
        }
        for index, (label, value) in enumerate(pairs)
    ]


def _charts(release: Release) -> list[dict[str, Any]]:
    tables = {table["name"]: table for table in release.summary.get("tables", [])}
    charts = []
    if all(f"funnel_{measure}" in tables for measure in FUNNEL_MEASURES):
        charts.append(
            {
                "id": "funnel",
                "title": "Surveys sent, delivered, bounced and answered",
                "bars": _bars(
                    [
                        (measure, _grand_total(tables[f"funnel_{measure}"]))
                        for measure in FUNNEL_MEASURES
                    ]
                ),
            }
        )
    outcome = tables.get("responses_by_outcome")
    if outcome:
        charts.append(
            {
                "id": "agencies",
                "title": "Published responses by agency",
                "bars": _bars(
                    [
                        (agency, line[-1])
                        for agency, line in zip(
                            outcome["rows"], outcome["counts"], strict=True
                        )
                        if agency != TOTAL
                    ]
                ),
            }
        )
    means = release.summary.get("mean_satisfaction")
    if means:
        charts.append(
            {
                "id": "satisfaction",
                "title": "Mean satisfaction score by agency "
                "(0 strongly disagree, 100 strongly agree)",
                "bars": _bars(
                    [(line["agency"], line["mean"]) for line in means], full_scale=100
                ),
            }
        )
    # A month whose rows were all withheld has no agencies to draw.
    charts = [chart for chart in charts if chart["bars"]]
    for chart in charts:
        chart["height"] = max(28, 28 * len(chart["bars"]))
    return charts
