import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from agencies.models import ServiceRequest
from agencies.services import import_service_requests

SAMPLE = settings.BASE_DIR / "data" / "nyc311_sample.csv.gz"

# Accounts for trying the site on a laptop. Their passwords are new random ones
# on every run and are printed, never stored anywhere else.
DEMO_USERS = [
    ("cityadmin", "City administrator: sees and changes everything"),
]


class Command(BaseCommand):
    help = (
        "Prepare a development site: import the bundled NYC 311 sample if no "
        "requests are loaded yet, and (re)create the demo staff accounts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sample", type=Path, default=SAMPLE)

    def handle(self, *args, **options) -> None:
        if ServiceRequest.objects.exists():
            self.stdout.write("Service requests already loaded; skipping the sample import.")
        else:
            self.stdout.write(f"Importing the bundled NYC 311 sample {options['sample']} ...")
            run = import_service_requests(path=options["sample"])
            self.stdout.write(
                f"  {run.inserted:,} requests imported, {run.rejected:,} rows rejected."
            )

        lines = []
        for username, role in DEMO_USERS:
            password = secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = True
            user.set_password(password)
            user.save()
            lines.append(f"  {username:<12} {password:<20} {role}")

        banner = "DEMO ACCOUNTS - for trying the site locally only; passwords change every run"
        self.stdout.write(self.style.WARNING(banner))
        for line in lines:
            self.stdout.write(line)
        self.stdout.write("Sign in at http://127.0.0.1:8000/admin/")
