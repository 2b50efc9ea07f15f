import argparse
from datetime import date, datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from surveys.models import Response
from surveys.publication.services import PublicationError, publish_month


def _month(value: str) -> date:
    try:
        return datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        # argparse turns this into a usage error with the message, not a traceback.
        raise argparse.ArgumentTypeError(f"must be YYYY-MM, not {value!r}") from None


class Command(BaseCommand):
    help = (
        "Publish a month of survey results as open data (CSV, JSON, tables). A "
        "month already published is left as it is; --correction publishes a new, "
        "labelled release of it. --demo includes simulated answers and labels the "
        "release as a demo; without --month it takes the latest finished month "
        "that has simulated answers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--month", type=_month, help="YYYY-MM")
        parser.add_argument("--demo", action="store_true")
        parser.add_argument(
            "--correction",
            metavar="NOTE",
            default="",
            help="publish a correction of the month, saying what it changes",
        )

    def handle(self, *args, **options) -> None:
        month = options["month"]
        if month is None and options["demo"]:
            month = _latest_simulated_month()
            if month is None:
                self.stdout.write(
                    "No simulated answers in a finished month: no demo release to "
                    "publish."
                )
                return
        if month is None:
            raise CommandError("--month YYYY-MM is required (or --demo).")
        try:
            release, created = publish_month(
                month=month,
                is_demo=options["demo"],
                correction_note=options["correction"],
            )
        except PublicationError as error:
            raise CommandError(str(error)) from None
        if not created and release.is_withdrawn:
            self.stdout.write(
                f"{release.slug} was withdrawn ({release.withdrawal_reason}); nothing "
                "changed. Publish its replacement with --correction NOTE."
            )
            return
        if not created:
            self.stdout.write(
                f"{release.slug} was already published; nothing changed "
                "(use --correction NOTE for a new release)."
            )
            return
        self.stdout.write(
            f"Published {release.slug} ({release.kind}): {release.rows_published:,} "
            f"rows, {release.rows_generalised:,} generalised, "
            f"{release.rows_withheld:,} withheld (groups under "
            f"{release.min_group_size}), {release.cells_suppressed} table cells "
            "suppressed."
        )
        for item in release.files.values():
            self.stdout.write(f"  {item['path']}  sha256 {item['sha256']}")


def _latest_simulated_month() -> date | None:
    """The latest month that is over and has simulated answers."""
    this_month_began = timezone.localtime().replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    # Filtered on the stored time itself: a truncated month compared with an
    # aware time would be read in the database's zone, not New York's.
    latest = (
        Response.objects.filter(is_simulated=True, submitted_at__lt=this_month_began)
        .order_by("-submitted_at")
        .values_list("submitted_at", flat=True)
        .first()
    )
    return timezone.localtime(latest).date().replace(day=1) if latest else None
