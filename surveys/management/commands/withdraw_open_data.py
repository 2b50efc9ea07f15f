from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.publication.services import (
    PublicationError,
    release_named,
    withdraw_release,
)


class Command(BaseCommand):
    help = (
        "Withdraw a published open-data release that exposes something it should "
        "not: its files are deleted and the site stops serving them; it stays "
        "listed, with the reason (which is published) and its files' sha256. "
        "Publish a correction of the month to replace it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("release", help="the release's name, e.g. 2026-03-r1")
        parser.add_argument(
            "--reason",
            required=True,
            help="why, in words fit to publish (no personal details)",
        )

    def handle(self, *args, **options) -> None:
        slug = options["release"]
        release = release_named(slug)
        if release is None:
            raise CommandError(f"No release {slug!r}; /open-data/ lists them.")
        try:
            release, left = withdraw_release(release, reason=options["reason"])
        except PublicationError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Withdrew {release.slug}; the site no longer serves its files."
        )
        for path in left:
            self.stderr.write(f"  could not delete {path}: delete it by hand")
        self.stdout.write(
            f"Publish its replacement with: manage.py publish_open_data --month "
            f"{release.month:%Y-%m}{' --demo' if release.is_demo else ''} "
            '--correction "..."'
        )
