from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.integrations import create_integration, issue_new_token
from agencies.models import Agency, Integration


class Command(BaseCommand):
    help = (
        "Create an integration allowed to write service requests through the staff "
        "API, and print its token. The token is shown only here, once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name", help="Unique name, e.g. the 311 system's name.")
        parser.add_argument(
            "--agency",
            metavar="CODE",
            help="Allow writing for this agency only (default: all agencies).",
        )
        parser.add_argument(
            "--created-by", metavar="USERNAME", help="Staff user recorded as creator."
        )
        parser.add_argument(
            "--rotate",
            action="store_true",
            help="Give an existing integration a new token; the old one stops working.",
        )

    def handle(self, *args, **options) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("the name must not be empty")

        if options["rotate"]:
            integration = Integration.objects.filter(name=name).first()
            if integration is None:
                raise CommandError(f"no integration named {name!r}")
            token = issue_new_token(integration=integration)
            self._print(integration, token)
            return

        if Integration.objects.filter(name=name).exists():
            raise CommandError(
                f"an integration named {name!r} exists; use --rotate for a new token"
            )
        agency = None
        if options["agency"]:
            agency = Agency.objects.filter(code=options["agency"].upper()).first()
            if agency is None:
                raise CommandError(f"no agency with code {options['agency']!r}")
        created_by = None
        if options["created_by"]:
            created_by = (
                get_user_model().objects.filter(username=options["created_by"]).first()
            )
            if created_by is None:
                raise CommandError(f"no user named {options['created_by']!r}")

        integration, token = create_integration(
            name=name, agency=agency, created_by=created_by
        )
        self._print(integration, token)

    def _print(self, integration: Integration, token: str) -> None:
        scope = integration.agency_id or "all agencies"
        self.stdout.write(f"Integration {integration.name!r} ({scope}). Its token:")
        self.stdout.write(token)
        self.stdout.write(
            self.style.WARNING(
                "Store it now: it is not kept and cannot be shown again. "
                "Send it as the header 'Authorization: Token <token>'."
            )
        )
