"""Deliberately slow file backends, so a test can kill a worker in mid-batch."""

import time

from django.core.mail.backends.filebased import EmailBackend as FileEmailBackend

from surveys.sms import FileBackend

SEND_SECONDS = 0.1


class SlowFileBackend(FileBackend):
    def send(self, *, to: str, body: str, reference: str) -> str:
        time.sleep(SEND_SECONDS)
        return super().send(to=to, body=body, reference=reference)


class SlowFileEmailBackend(FileEmailBackend):
    def send_messages(self, email_messages):
        time.sleep(SEND_SECONDS)
        return super().send_messages(email_messages)
