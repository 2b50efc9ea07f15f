import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from agencies.models import Agency, ServiceRequest, StaffMembership
from agencies.services import import_service_requests, set_membership
from resolutions.demo import REWRITES, publish_example_rewrites

SAMPLE = settings.BASE_DIR / "data" / "nyc311_sample.csv.gz"
Role = StaffMembership.Role


def _demo_accounts() -> list[tuple[str, str, str | None]]:
    """(username, role, agency) of every demo account."""
    accounts: list[tuple[str, str, str | None]] = [("cityadmin", Role.CITY_ADMIN, None)]
    for agency in sorted({rewrite.agency for rewrite in REWRITES}):
        accounts.append((f"{agency.lower()}_liaison", Role.LIAISON, agency))
        accounts.append((f"{agency.lower()}_reviewer", Role.REVIEWER, agency))
    accounts.append(("nypd_supervisor", Role.SUPERVISOR, "NYPD"))
    return accounts


class Command(BaseCommand):
    help = (
        "Prepare a development site: demo staff accounts (new random passwords, "
        "printed), example plain-language descriptions, and the bundled NYC 311 "
        "sample if no requests are loaded yet."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sample", type=Path, default=SAMPLE)

    def handle(self, *args, **options) -> None:
        passwords = self._accounts()
        users = {user.username: user for user in get_user_model().objects.all()}

        # Examples are published before the sample is imported, so the sample's
        # closed requests are told the plain-language versions.
        published = publish_example_rewrites(
            liaison_for=lambda agency: users[f"{agency.lower()}_liaison"],
            reviewer_for=lambda agency: users[f"{agency.lower()}_reviewer"],
        )
        if published:
            self.stdout.write(
                f"Published {published} example plain-language descriptions."
            )

        if ServiceRequest.objects.exists():
            self.stdout.write(
                "Service requests already loaded; skipping the sample import."
            )
        else:
            self.stdout.write(
                f"Importing the bundled NYC 311 sample {options['sample']} ..."
            )
            run = import_service_requests(path=options["sample"])
            self.stdout.write(
                f"  {run.inserted:,} requests imported, {run.rejected:,} rows rejected."
            )

        self.stdout.write(
            self.style.WARNING(
                "DEMO ACCOUNTS - for trying the site locally only; "
                "passwords change on every run"
            )
        )
        for username, role, agency in _demo_accounts():
            label = Role(role).label + (f", {agency}" if agency else ", all agencies")
            self.stdout.write(f"  {username:<16} {passwords[username]:<18} {label}")
        self.stdout.write("Sign in at http://127.0.0.1:8000/admin/")

    @transaction.atomic
    def _accounts(self) -> dict[str, str]:
        passwords = {}
        for username, role, agency in _demo_accounts():
            password = secrets.token_urlsafe(12)
            user, _ = get_user_model().objects.get_or_create(username=username)
            user.set_password(password)
            user.is_superuser = role == Role.CITY_ADMIN
            user.save()
            set_membership(
                user=user,
                role=role,
                agency=Agency.objects.get(code=agency) if agency else None,
            )
            passwords[username] = password
        return passwords
