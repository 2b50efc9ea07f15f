from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.contacts import ContactError
from surveys.retention import forget_resident


class Command(BaseCommand):
    help = (
        "Delete every stored contact with this email address or phone number, as "
        "the resident asked, and remove the emails, phone numbers and addresses "
        "they typed in their answers. The deletion is recorded without the address."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--email", default="")
        parser.add_argument("--phone", default="", help="In any format, e.g. +1 ...")

    def handle(self, *args, email: str, phone: str, **options) -> None:
        if not email.strip() and not phone.strip():
            raise CommandError("Give --email, --phone or both.")
        try:
            record = forget_resident(
                email=email, phone=phone, requested_through="command"
            )
        except ContactError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"{record.contacts_deleted} contact(s) deleted (record {record.pk})."
        )
