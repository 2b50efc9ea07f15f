import json
import secrets
import shlex
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from agencies.api.serializers import ServiceRequestSerializer
from agencies.integrations import create_integration, issue_new_token
from agencies.models import Agency, Integration, ServiceRequest, StaffMembership
from agencies.services import import_service_requests, set_membership
from resolutions.demo import REWRITES, publish_example_rewrites
from surveys.demo import give_fake_contacts, simulate_answers

SAMPLE = settings.BASE_DIR / "data" / "nyc311_sample.csv.gz"
DEMO_INTEGRATION = "Demo 311 system"
Role = StaffMembership.Role


def _demo_accounts() -> list[tuple[str, str, str | None]]:
    """(username, role, agency) of every demo account."""
    # Two city administrators: a survey version is published by someone who did
    # not write it.
    accounts: list[tuple[str, str, str | None]] = [
        ("cityadmin", Role.CITY_ADMIN, None),
        ("cityadmin2", Role.CITY_ADMIN, None),
    ]
    for agency in sorted({rewrite.agency for rewrite in REWRITES}):
        accounts.append((f"{agency.lower()}_liaison", Role.LIAISON, agency))
        accounts.append((f"{agency.lower()}_reviewer", Role.REVIEWER, agency))
        accounts.append((f"{agency.lower()}_supervisor", Role.SUPERVISOR, agency))
    # A colleague, so a case can be assigned to someone else of the same agency.
    accounts.append(("nypd_supervisor2", Role.SUPERVISOR, "NYPD"))
    return accounts


class Command(BaseCommand):
    help = (
        "Prepare a development site: demo staff accounts (new random passwords, "
        "printed), example plain-language descriptions, the bundled NYC 311 "
        "sample if no requests are loaded yet, fake contacts for some of its open "
        "requests, simulated survey answers for some of its closed ones, and a staff "
        "API token (new on every run, printed)."
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
        given = give_fake_contacts()
        if given:
            self.stdout.write(
                f"Gave {given} open requests FAKE contacts (example.org addresses, "
                "+1 212-555-01xx numbers)."
            )

        with transaction.atomic():
            simulated = simulate_answers()
        if simulated:
            self.stdout.write(
                f"Added SIMULATED survey answers to {simulated} closed requests; "
                "the unhappy ones are in the review queue, marked Simulated."
            )
        # The demo's simulated answers, published as a release labelled demo
        # (once per month; nothing when there are none).
        try:
            call_command("publish_open_data", "--demo", stdout=self.stdout)
        except CommandError as error:
            # The demo's publication is a showcase: the site still starts.
            self.stderr.write(f"No demo open-data release: {error}")

        self.stdout.write(
            self.style.WARNING(
                "DEMO ACCOUNTS - for trying the site locally only; "
                "passwords change on every run"
            )
        )
        for username, role, agency in _demo_accounts():
            label = Role(role).label + (f", {agency}" if agency else ", all agencies")
            self.stdout.write(f"  {username:<16} {passwords[username]:<18} {label}")
        self.stdout.write(f"Sign in at {settings.SITE_URL}/admin/")
        self.stdout.write(
            f"Supervisors work the review queue at {settings.SITE_URL}/staff/review/"
        )
        self._api_example()

    def _api_example(self) -> None:
        integration = Integration.objects.filter(name=DEMO_INTEGRATION).first()
        if integration is None:
            _, token = create_integration(name=DEMO_INTEGRATION, agency=None)
        else:
            token = issue_new_token(integration=integration)
        self.stdout.write(
            self.style.WARNING(
                f"DEMO STAFF API TOKEN ({DEMO_INTEGRATION}) - changes on every run"
            )
        )
        self.stdout.write(f"  {token}")

        service_request = _request_to_close()
        if service_request is None:
            return
        url = settings.SITE_URL + reverse(
            "api:service_request", kwargs={"unique_key": service_request.pk}
        )
        body = json.dumps(_closing_body(service_request), indent=2)
        self.stdout.write(
            f"Close request {service_request.pk}, whose resident has a fake contact, "
            "through the staff API:"
        )
        self.stdout.write(
            f"curl -X PUT {shlex.quote(url)} \\\n"
            f"  -H {shlex.quote(f'Authorization: Token {token}')} \\\n"
            "  -H 'Content-Type: application/json' \\\n"
            f"  -d {shlex.quote(body)}"
        )

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


def _request_to_close() -> ServiceRequest | None:
    """An open request with a fake contact, of an agency with an example rewrite."""
    return (
        ServiceRequest.objects.filter(
            contact__is_fake=True,
            agency__in={rewrite.agency for rewrite in REWRITES},
            created_at__isnull=False,
            quality_flags=0,
        )
        .exclude(status=ServiceRequest.Status.CLOSED)
        .order_by("unique_key")
        .select_related("complaint_type")
        .first()
    )


def _closing_body(service_request: ServiceRequest) -> dict:
    """The request as stored, closed now with the legacy text of an example rewrite.

    The text is the one NYC publishes; its description's published version is the
    plain-language rewrite, so the closure tells the resident that.
    """
    body = {
        name: value
        for name, value in ServiceRequestSerializer(service_request).data.items()
        if name not in ("unique_key", "quality_flags", "updated_at")
        and value not in (None, "")
    }
    body["status"] = ServiceRequest.Status.CLOSED
    body["closed_at"] = timezone.localtime().isoformat(timespec="seconds")
    body["resolution_text"] = next(
        rewrite.legacy_text
        for rewrite in REWRITES
        if rewrite.agency == service_request.agency_id
    )
    return body
