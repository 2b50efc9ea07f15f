import json
import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from agencies.importing.sources import SourceError
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
            help="Where to write each file's rejects CSV (default: IMPORT_REJECTS_DIR).",
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

        runs = []
        for path in options["paths"]:
            rejects_path = None
            if options["rejects_dir"]:
                rejects_path = options["rejects_dir"] / f"{path.name}.rejects.csv"
            try:
                run = self._import(path, rejects_path, options["method"], show_progress)
            except SourceError as error:
                raise CommandError(f"{path}: {error}") from error
            runs.append(run)
            self._print_summary(run)

        if options["report"]:
            report = {"files": [_as_report(run) for run in runs]}
            options["report"].write_text(json.dumps(report, indent=2) + "\n")
            self.stdout.write(f"Report written to {options['report']}")

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
