import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from django.db.models import Max
from tqdm import tqdm

from agencies.models import ImportRun
from agencies.quality import Flag
from agencies.services import import_service_requests


class Command(BaseCommand):
    help = (
        "Import NYC Open Data '311 Service Requests' exports (CSV or JSON, plain or "
        "gzip, portal titles or API field names), upserting by unique key."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH")
        parser.add_argument(
            "--report",
            type=Path,
            metavar="FILE",
            help="Also write the summary as JSON.",
        )
        parser.add_argument(
            "--rejects-dir",
            type=Path,
            metavar="DIR",
            help=(
                "Where to write each file's rejects CSV, as NAME.rejects.csv "
                "(default: IMPORT_REJECTS_DIR). A name already taken gets -2, -3, ..."
            ),
        )
        parser.add_argument(
            "--method",
            choices=["auto", "postgres", "orm"],
            default="auto",
            help="auto: COPY on PostgreSQL, the ORM elsewhere.",
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Do not show a progress bar."
        )

    def handle(self, *args, **options) -> None:
        show_progress = not options["no_progress"] and sys.stderr.isatty()
        # Check every argument before importing anything, so a typo in the last
        # path does not leave the first files imported and no report written.
        missing = [str(path) for path in options["paths"] if not path.is_file()]
        if missing:
            raise CommandError(f"no such file: {', '.join(missing)}")
        report = options["report"]
        if report is not None and not report.parent.is_dir():
            raise CommandError(f"--report: folder {report.parent} does not exist")
        if options["method"] == "postgres" and connection.vendor != "postgresql":
            raise CommandError("--method postgres needs a PostgreSQL database")

        # Each file is its own transaction, so a damaged file cannot undo the ones
        # before it; the files after it are still imported, and the report lists
        # every file, failed ones with their error, before the command fails.
        entries = []
        failures = []
        for path in options["paths"]:
            rejects_path = None
            if options["rejects_dir"]:
                rejects_path = options["rejects_dir"] / f"{path.name}.rejects.csv"
            last_run_pk = ImportRun.objects.aggregate(last=Max("pk"))["last"] or 0
            try:
                run = self._import(path, rejects_path, options["method"], show_progress)
            except Exception as error:
                # import_service_requests has marked the run failed and logged it.
                run = (
                    ImportRun.objects.filter(source=str(path), pk__gt=last_run_pk)
                    .order_by("pk")
                    .first()
                )
                message = run.error if run is not None and run.error else str(error)
                failures.append(f"{path}: {message}")
                entries.append(_as_failed_report(path, run, message))
                self.stdout.write(self.style.ERROR(f"{path}: failed: {message}"))
                continue
            entries.append(_as_report(run))
            self._print_summary(run)

        if report is not None:
            report.write_text(json.dumps({"files": entries}, indent=2) + "\n")
            self.stdout.write(f"Report written to {report}")
        total = len(options["paths"])
        if failures:
            self.stdout.write(
                self.style.ERROR(
                    f"Imported {total - len(failures)} of {total} files; "
                    f"{len(failures)} failed:"
                )
            )
            for failure in failures:
                self.stdout.write(self.style.ERROR(f"  {failure}"))
            raise CommandError(
                f"{len(failures)} of {total} files failed: " + "; ".join(failures)
            )
        if total > 1:
            self.stdout.write(self.style.SUCCESS(f"Imported all {total} files."))

    def _import(
        self, path: Path, rejects_path, method: str, show_progress: bool
    ) -> ImportRun:
        if not show_progress:
            return import_service_requests(
                path=path, rejects_path=rejects_path, method=method
            )

        started = time.monotonic()
        bar = tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name[:30],
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {postfix}",
            file=sys.stderr,
        )

        def progress(rows: int, position: int, size: int) -> None:
            bar.update(position - bar.n)
            rate = rows / max(time.monotonic() - started, 1e-6)
            bar.set_postfix_str(f"{rows:,} rows, {rate:,.0f} rows/s", refresh=True)

        try:
            return import_service_requests(
                path=path, rejects_path=rejects_path, method=method, progress=progress
            )
        finally:
            bar.close()

    def _print_summary(self, run: ImportRun) -> None:
        elapsed = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(self.style.SUCCESS(f"{run.source} ({run.source_format})"))
        self.stdout.write(
            f"  rows read {run.rows_read:,} in {elapsed:.1f} s: inserted {run.inserted:,}, "
            f"updated {run.updated:,}, unchanged {run.unchanged:,}, "
            f"duplicates {run.duplicates:,}, rejected {run.rejected:,}"
        )
        if run.missing_columns:
            self.stdout.write(
                "  not in the file, so kept as stored on existing requests: "
                + ", ".join(run.missing_columns)
            )
        for flag in Flag:
            if run.flag_counts.get(flag.code):
                self.stdout.write(f"  {run.flag_counts[flag.code]:>9,}  {flag.label}")
        if run.rejects_file:
            self.stdout.write(f"  rejected and duplicate rows: {run.rejects_file}")


def _as_report(run: ImportRun) -> dict:
    return {
        "source": run.source,
        "status": run.status,
        "error": run.error or None,
        "format": run.source_format,
        "import_run": run.pk,
        "seconds": round((run.finished_at - run.started_at).total_seconds(), 3),
        "rows_read": run.rows_read,
        "inserted": run.inserted,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "duplicates": run.duplicates,
        "rejected": run.rejected,
        "flags": run.flag_counts,
        "missing_columns": run.missing_columns,
        "rejects_file": run.rejects_file or None,
    }


def _as_failed_report(path: Path, run: ImportRun | None, error: str) -> dict:
    """A failed file's entry: stored nothing, so every count is zero."""
    if run is not None and run.finished_at is not None:
        return _as_report(run) | {"status": ImportRun.Status.FAILED, "error": error}
    # It failed before its import run was recorded (the database refused it).
    return {
        "source": str(path),
        "status": ImportRun.Status.FAILED,
        "error": error,
        "format": "",
        "import_run": None,
        "seconds": None,
        "rows_read": 0,
        "inserted": 0,
        "updated": 0,
        "unchanged": 0,
        "duplicates": 0,
        "rejected": 0,
        "flags": {},
        "missing_columns": [],
        "rejects_file": None,
    }
