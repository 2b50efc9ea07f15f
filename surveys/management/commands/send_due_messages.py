import time

from django.core.management.base import BaseCommand, CommandParser

from surveys.sending import dispatch_due_messages


class Command(BaseCommand):
    help = (
        "Queue every survey message that is due (held for quiet hours or a delay) "
        "and settle sends that a stopped worker left unfinished. Without a broker "
        "the messages are sent by this command. With --loop, repeat every SECONDS."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", type=int, metavar="SECONDS", default=0)

    def handle(self, *args, loop: int, **options) -> None:
        while True:
            result = dispatch_due_messages()
            if result.queued or result.settled or not loop:
                self.stdout.write(
                    f"{result.queued} messages due, {result.settled} unfinished "
                    "sends settled."
                )
            if not loop:
                return
            time.sleep(loop)
