from django.core.management.base import BaseCommand

from surveys.dashboards.rollup import refresh_dashboard_figures


class Command(BaseCommand):
    help = "Rebuild the dashboards' and report card's figures now."

    def handle(self, *args, **options) -> None:
        record = refresh_dashboard_figures()
        self.stdout.write(
            f"{record.rows} rollup rows in {record.seconds:.2f} s, "
            f"figures as of {record.refreshed_at:%Y-%m-%d %H:%M:%S %Z}"
        )
