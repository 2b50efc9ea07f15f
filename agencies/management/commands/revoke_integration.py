from django.core.management.base import BaseCommand, CommandError, CommandParser

from agencies.integrations import revoke_integration
from agencies.models import Integration


class Command(BaseCommand):
    help = "Refuse an integration's staff API token from now on."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args, **options) -> None:
        integration = Integration.objects.filter(name=options["name"]).first()
        if integration is None:
            raise CommandError(f"no integration named {options['name']!r}")
        if revoke_integration(integration=integration):
            self.stdout.write(f"Integration {integration.name!r} revoked.")
        else:
            self.stdout.write(f"Integration {integration.name!r} was already revoked.")
