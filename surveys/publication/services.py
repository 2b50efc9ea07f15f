"""Publishing a month of survey results as open data: one entry point."""

import logging
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from surveys.models import Release
from surveys.publication import dictionary
from surveys.publication.comments import queue_missing_reviews
from surveys.publication.generalisation import generalise
from surveys.publication.redaction import details_in_note
from surveys.publication.rows import (
    answer_columns,
    funnel_sql,
    groups_sql,
    month_bounds,
    rows_sql,
)
from surveys.publication.suppression import Table, suppress_linked
from surveys.publication.writers import JsonRows, new_file, write_csv

logger = logging.getLogger(__name__)

DEMO_LABEL = (
    "DEMO: simulated answers made up to show the publication; not real residents."
)
FUNNEL_MEASURES = ["sent", "delivered", "bounced", "answered"]
# NYC 311 took its first calls in March 2003; no month before it has answers,
# and release names assume a four-digit year.
FIRST_MONTH = date(2003, 3, 1)


class PublicationError(Exception):
    """The month cannot be published (yet)."""


def publish_month(
    *,
    month: date,
    is_demo: bool = False,
    correction_note: str = "",
    published_by=None,
    min_group_size: int | None = None,
) -> tuple[Release, bool]:
    """Publish `month` once; returns the release and whether it is new.

    Only a month that is over can be published, demo or not. A month already
    published is returned unchanged, unless `correction_note` is
    given: then a new release with the next number is published, pointing at the
    latest one. A demo release includes simulated answers and is numbered apart;
    a real one never includes them.
    """
    month = month.replace(day=1)
    if month < FIRST_MONTH:
        raise PublicationError(
            f"{month:%Y-%m} is before 311 began ({FIRST_MONTH:%B %Y}): there is "
            "nothing to publish."
        )
    if month > timezone.localdate():
        raise PublicationError(f"{month:%Y-%m} has not begun.")
    start, end = month_bounds(month)
    if end > timezone.now():
        # A release never changes, so a month still running would miss its end.
        raise PublicationError(f"{month:%Y-%m} is not over yet.")
    latest = (
        Release.objects.filter(month=month, is_demo=is_demo).order_by("-number").first()
    )
    if latest is not None and not correction_note:
        logger.info("release %s already published; nothing changed", latest.pk)
        return latest, False
    if latest is None and correction_note:
        raise PublicationError(f"{month:%Y-%m} has no release to correct.")
    _check_publishable_note(correction_note)
    if latest is not None and correction_note.strip() == latest.note.strip():
        # The same command run twice would publish the same correction twice.
        raise PublicationError(
            f"{latest.slug} was already published with this note; a further "
            "correction needs a note of its own."
        )

    k = min_group_size or settings.OPEN_DATA_MIN_GROUP_SIZE
    release = Release(
        month=month,
        number=(latest.number + 1) if latest else 1,
        is_demo=is_demo,
        corrects=latest,
        note=correction_note,
        min_group_size=k,
        published_by=published_by,
        published_at=timezone.now(),
    )
    queue_missing_reviews(submitted_from=start, submitted_to=end)
    folder = _write_files(release, start=start, end=end)
    try:
        with transaction.atomic():
            release.save()
    except IntegrityError:
        # Another run published this number first: its files stay, ours go.
        shutil.rmtree(folder)
        raise PublicationError(
            f"{release.slug} was published at the same time; try again."
        ) from None
    logger.info(
        "published release %s (%s): %s rows, %s generalised, %s withheld",
        release.pk,
        release.slug,
        release.rows_published,
        release.rows_generalised,
        release.rows_withheld,
    )
    return release, True


def release_named(slug: str) -> Release | None:
    """The release of a name such as 2026-03-r1 or 2026-03-demo-r1, if any."""
    return next(
        (
            release
            for release in Release.objects.select_related("corrects")
            if release.slug == slug
        ),
        None,
    )


def withdraw_release(
    release: Release, *, reason: str, withdrawn_by=None
) -> tuple[Release, list[str]]:
    """Take a published release down: its files are deleted, it stays listed.

    For a release found to expose something it should not (a comment that names
    someone, say); publish a correction to replace it. The reason is published.
    Returns the release and the files that could not be deleted (the site stops
    serving them all the same). Withdrawing a release again changes nothing.
    """
    reason = reason.strip()
    if not reason:
        raise PublicationError("Say why the release is withdrawn; it is published.")
    _check_publishable_note(reason)
    with transaction.atomic():
        release = Release.objects.select_for_update().get(pk=release.pk)
        if release.is_withdrawn:
            raise PublicationError(
                f"{release.slug} was already withdrawn on "
                f"{timezone.localtime(release.withdrawn_at):%Y-%m-%d}."
            )
        release.withdrawn_at = timezone.now()
        release.withdrawn_by = withdrawn_by
        release.withdrawal_reason = reason
        release.save(
            update_fields=["withdrawn_at", "withdrawn_by", "withdrawal_reason"]
        )
    logger.warning("release %s (%s) withdrawn", release.pk, release.slug)
    return release, _delete_files(release)


def _check_publishable_note(note: str) -> None:
    """A correction's note and a withdrawal's reason are published as written:
    refuse one that holds a personal detail."""
    found = details_in_note(note)
    if found:
        raise PublicationError(
            f"The note is published as written, and it holds {' and '.join(found)}: "
            "leave out email addresses, phone numbers, street addresses and other "
            "personal details."
        )


def _delete_files(release: Release) -> list[str]:
    root = Path(settings.OPEN_DATA_DIR)
    left = []
    folders = set()
    for item in release.files.values():
        path = root / item["path"]
        folders.add(path.parent)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            logger.exception("release %s: could not delete %s", release.pk, path)
            left.append(str(path))
    for folder in folders:
        if folder != root and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    return left


def _write_files(release: Release, *, start, end) -> Path:
    """Write the release's files; returns the folder that holds them."""
    root = Path(settings.OPEN_DATA_DIR)
    include_simulated = release.is_demo
    k = release.min_group_size
    columns = answer_columns(start=start, end=end)

    with connection.cursor() as cursor:
        cursor.execute(groups_sql(include_simulated=include_simulated), [start, end])
        counts = {tuple(row[:-1]): row[-1] for row in cursor.fetchall()}
        cursor.execute(funnel_sql(include_simulated=include_simulated), [start, end])
        funnel = cursor.fetchall()
    generalisation = generalise(counts, k=k)
    published = generalisation.published

    header = [
        *(name for name, _, _ in dictionary.ROW_COLUMNS),
        *(column.name for column in columns),
        dictionary.COMMENT_COLUMN[0],
    ]
    by_outcome: Counter[tuple[str, str]] = Counter()
    # Per agency: how many published rows carry a satisfaction score, and their sum.
    scored: Counter[str] = Counter()
    score_sums: Counter[str] = Counter()
    tally = {"rows": 0, "comments": 0}
    month_label = f"{release.month:%Y-%m}"

    def published_rows(cursor) -> Iterator[list[Any]]:
        for row in cursor:
            label = published.get(tuple(row[:8]))
            if label is None:
                continue
            satisfaction = row[9]
            comment = row[-1] or ""
            by_outcome[(label[0], label[5] or "unknown")] += 1
            if satisfaction is not None:
                scored[label[0]] += 1
                score_sums[label[0]] += satisfaction
            tally["rows"] += 1
            tally["comments"] += bool(comment)
            yield [
                release.slug,
                month_label,
                *label,
                row[8],
                satisfaction,
                row[10],
                *(value or "" for value in row[11:-1]),
                comment,
            ]

    rows_name = f"survey-results-{release.slug}.csv"
    json_name = f"survey-results-{release.slug}.json"
    tables_name = f"survey-tables-{release.slug}.csv"
    column_dictionary = [
        *dictionary.ROW_COLUMNS,
        *(dictionary.answer_column(c.key, c.kind, c.prompt) for c in columns),
        dictionary.COMMENT_COLUMN,
    ]
    # A folder of its own for each attempt, created exclusively: files left by a
    # database that was reset, or by a concurrent attempt at the same number,
    # are never in the way and never overwritten.
    month_folder = root / f"{release.month:%Y-%m}"
    month_folder.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{release.slug}.", dir=month_folder))
    folder.chmod(0o755)
    try:
        # One pass over the query writes the rows to the CSV and the JSON; the
        # JSON's counts and tables follow its rows.
        with (
            new_file(folder / rows_name) as rows_file,
            new_file(folder / json_name) as json_file,
        ):
            json_rows = JsonRows(
                json_file,
                head={
                    "release": _release_json(release),
                    "columns": [
                        {"name": name, "type": kind, "description": str(meaning)}
                        for name, kind, meaning in column_dictionary
                    ],
                },
            )

            def also_as_json(rows: Iterator[list[Any]]) -> Iterator[list[Any]]:
                for row in rows:
                    json_rows.add(row)
                    yield row

            with connection.chunked_cursor() as cursor:
                cursor.execute(
                    rows_sql(columns=columns, include_simulated=include_simulated),
                    [start, end],
                )
                write_csv(rows_file, header, also_as_json(published_rows(cursor)))

            tables = _tables(funnel, by_outcome, k=k)
            release.rows_published = tally["rows"]
            release.rows_generalised = generalisation.rows_generalised
            release.rows_withheld = generalisation.rows_withheld
            release.comments_published = tally["comments"]
            release.cells_suppressed = sum(len(table.suppressed) for table in tables)
            release.summary = {
                "tables": [_table_json(table) for table in tables],
                "mean_satisfaction": _mean_satisfaction(scored, score_sums, k=k),
            }
            json_rows.close(
                tail={
                    "counts": _counts_json(release),
                    "tables": release.summary["tables"],
                }
            )

        with new_file(folder / tables_name) as tables_file:
            write_csv(
                tables_file,
                [
                    "release",
                    "table",
                    "row_dimension",
                    "row",
                    "column_dimension",
                    "column",
                    "count",
                    "suppressed",
                ],
                (
                    [
                        release.slug,
                        table.name,
                        table.row_dimension,
                        row,
                        table.column_dimension,
                        column,
                        value,
                        value is None,
                    ]
                    for table in tables
                    for row, column, value in table.records()
                ),
            )
    except BaseException:
        shutil.rmtree(folder)
        raise

    release.files = {
        "rows_csv": {"name": rows_name, **rows_file.record(root)},
        "tables_csv": {"name": tables_name, **tables_file.record(root)},
        "json": {"name": json_name, **json_file.record(root)},
    }
    return folder


def _tables(funnel, by_outcome, *, k: int) -> list[Table]:
    """The count tables: the delivery funnel, which counts surveys that no row
    shows, and the published rows by agency and outcome.

    Counts of the rows by their answers are left out: anyone can count them in
    the rows file, so suppressing them here would hide nothing. What protects
    residents there is that every published row shares its group with at least
    k others.
    """
    agencies = sorted({row[0] for row in funnel})
    channels = sorted({row[1] for row in funnel})
    tables = [
        Table(
            f"funnel_{measure}",
            "agency",
            "channel",
            agencies,
            channels,
            {(row[0], row[1]): int(row[2 + index] or 0) for row in funnel},
        )
        for index, measure in enumerate(FUNNEL_MEASURES)
    ]
    response_agencies = sorted({agency for agency, _ in by_outcome})
    tables.append(
        Table(
            "responses_by_outcome",
            "agency",
            "outcome",
            response_agencies,
            sorted({outcome for _, outcome in by_outcome}),
            dict(by_outcome),
            linked_by="responses",
        )
    )
    suppress_linked(tables, k=k)
    return tables


def _mean_satisfaction(
    scored: Counter[str], score_sums: Counter[str], *, k: int
) -> list[dict[str, Any]]:
    """Mean satisfaction score (0-100) of each agency with at least k scores."""
    return [
        {
            "agency": agency,
            "scores": scored[agency],
            "mean": round(score_sums[agency] / scored[agency], 1),
        }
        for agency in sorted(scored)
        if scored[agency] >= k
    ]


def _table_json(table: Table) -> dict[str, Any]:
    return {
        "name": table.name,
        "row_dimension": table.row_dimension,
        "column_dimension": table.column_dimension,
        "rows": [*table.rows, "Total"],
        "columns": [*table.columns, "Total"],
        # None where a count is suppressed.
        "counts": table.published(),
    }


def _release_json(release: Release) -> dict[str, Any]:
    return {
        "id": release.slug,
        "month": f"{release.month:%Y-%m}",
        "number": release.number,
        "kind": release.kind,
        "is_demo": release.is_demo,
        "label": DEMO_LABEL if release.is_demo else "",
        "corrects": release.corrects.slug if release.corrects else None,
        "note": release.note,
        "published_on": f"{timezone.localtime(release.published_at):%Y-%m-%d}",
        "min_group_size": release.min_group_size,
    }


def _counts_json(release: Release) -> dict[str, Any]:
    return {
        "rows_published": release.rows_published,
        "rows_generalised": release.rows_generalised,
        "rows_withheld": release.rows_withheld,
        "comments_published": release.comments_published,
        "cells_suppressed": release.cells_suppressed,
    }
