"""Text message backends, chosen by the SMS_BACKEND setting.

A backend has two methods:

- `send(*, to, body, reference) -> str` sends one text to an E.164 number and
  returns the provider's message id. `reference` is this site's stable name for
  the message (the same on every attempt). Errors are raised as
  `surveys.delivery.TransientSendError` or `PermanentSendError`.
- `find_sent(*, reference) -> str | None` says whether a text with this reference
  was already sent (its provider id) or not (None), or raises `CannotTell`. It lets
  the sender settle a send that a killed worker left unfinished.

`TwilioBackend` is for production; `ConsoleBackend` (the development default),
`MemoryBackend` (tests in one process) and `FileBackend` (tests with a real
worker, and the benchmark) never leave the machine.
"""

import json
import logging
import os
import sys
import threading
import uuid
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from surveys.delivery import CannotTell, PermanentSendError, TransientSendError

logger = logging.getLogger(__name__)


class SmsBackend(Protocol):
    def send(self, *, to: str, body: str, reference: str) -> str: ...

    def find_sent(self, *, reference: str) -> str | None: ...


@cache
def _backend_class(path: str) -> type:
    return import_string(path)


def get_backend() -> SmsBackend:
    return _backend_class(settings.SMS_BACKEND)()


@dataclass(frozen=True)
class SentText:
    to: str
    body: str
    reference: str
    provider_id: str
    sent_at: str


class ConsoleBackend:
    """Prints each text to standard output: the development default."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        provider_id = f"console-{uuid.uuid4().hex}"
        sys.stdout.write(f"--- SMS to {to} ({reference}) ---\n{body}\n---\n")
        sys.stdout.flush()
        return provider_id

    def find_sent(self, *, reference: str) -> str | None:
        raise CannotTell("The console keeps no record of what it printed.")


class MemoryBackend:
    """Keeps texts in `MemoryBackend.outbox`, a list shared by the whole process.

    It only knows what this process sent, so it settles unfinished sends in tests
    that run in one process; across processes use FileBackend.
    """

    outbox: list[SentText] = []
    _lock = threading.Lock()

    def send(self, *, to: str, body: str, reference: str) -> str:
        text = SentText(
            to=to,
            body=body,
            reference=reference,
            provider_id=f"memory-{uuid.uuid4().hex}",
            sent_at=timezone.now().isoformat(),
        )
        with self._lock:
            self.outbox.append(text)
        return text.provider_id

    def find_sent(self, *, reference: str) -> str | None:
        with self._lock:
            return next(
                (t.provider_id for t in self.outbox if t.reference == reference), None
            )


class FileBackend:
    """Writes each text as a JSON file in SMS_FILE_PATH, shared by every process.

    Every send is a new file, even for a reference sent before, so a duplicate
    shows up as two files rather than being hidden. A file appears whole or not at
    all (written aside, then renamed), so a worker killed mid-send leaves either
    a sent text or none.
    """

    def __init__(self) -> None:
        self.folder = Path(settings.SMS_FILE_PATH)

    def send(self, *, to: str, body: str, reference: str) -> str:
        self.folder.mkdir(parents=True, exist_ok=True)
        provider_id = f"file-{uuid.uuid4().hex}"
        text = SentText(
            to=to,
            body=body,
            reference=reference,
            provider_id=provider_id,
            sent_at=timezone.now().isoformat(),
        )
        final = self.folder / f"{reference}--{provider_id}.json"
        partial = final.with_suffix(".part")
        partial.write_text(json.dumps(asdict(text)), encoding="utf-8")
        os.replace(partial, final)
        return provider_id

    def find_sent(self, *, reference: str) -> str | None:
        found = sorted(self.folder.glob(f"{reference}--*.json"))
        if not found:
            return None
        return json.loads(found[0].read_text(encoding="utf-8"))["provider_id"]

    def sent(self) -> list[SentText]:
        """Every text in the folder, oldest first: for tests and the benchmark."""
        texts = [
            SentText(**json.loads(path.read_text(encoding="utf-8")))
            for path in self.folder.glob("*.json")
        ]
        return sorted(texts, key=lambda text: text.sent_at)


# Twilio error codes that mean the number can never get this text.
# https://www.twilio.com/docs/api/errors
TWILIO_OPTED_OUT = 21610
TWILIO_PERMANENT = {
    21211: "not a valid phone number",
    21408: "region not enabled for this account",
    21612: "number cannot be reached from the sending number",
    21614: "not a mobile number",
    TWILIO_OPTED_OUT: "the number replied STOP to this sender",
}
# Seconds to wait for Twilio's answer; a worker never holds a claim much longer.
TWILIO_TIMEOUT = 15


class TwilioBackend:
    """Sends through Twilio's Messaging API with the official `twilio` package.

    TWILIO_FROM is a Messaging Service SID (MG...) or a sending number. Delivery
    reports come to SITE_URL/webhooks/twilio/status/. Link shortening stays off:
    residents see the site's own address.
    """

    def __init__(self) -> None:
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID,
            settings.TWILIO_AUTH_TOKEN,
            http_client=TwilioHttpClient(timeout=TWILIO_TIMEOUT),
        )

    def send(self, *, to: str, body: str, reference: str) -> str:
        import requests
        from twilio.base.exceptions import TwilioRestException

        sender = settings.TWILIO_FROM
        origin = (
            {"messaging_service_sid": sender}
            if sender.startswith("MG")
            else {"from_": sender}
        )
        try:
            message = self.client.messages.create(
                to=to,
                body=body,
                status_callback=f"{settings.SITE_URL}/webhooks/twilio/status/",
                **origin,
            )
        except TwilioRestException as error:
            raise _classify_twilio(error) from None
        except requests.ConnectionError:
            # Includes a connect timeout: nothing reached Twilio.
            raise TransientSendError("Could not reach Twilio") from None
        except requests.Timeout:
            raise TransientSendError(
                "Twilio did not answer in time", maybe_sent=True
            ) from None
        return message.sid

    def find_sent(self, *, reference: str) -> str | None:
        # Twilio keeps no reference of ours to search by.
        raise CannotTell("Twilio cannot be asked by reference.")


def _classify_twilio(error) -> Exception:
    code, status = error.code, error.status
    if code in TWILIO_PERMANENT:
        return PermanentSendError(
            f"Twilio error {code}: {TWILIO_PERMANENT[code]}",
            opted_out=code == TWILIO_OPTED_OUT,
        )
    if status == 429 or status == 503:
        # Refused before any message was made: safe to send again.
        return TransientSendError(f"Twilio HTTP {status} (error {code})")
    if status >= 500:
        return TransientSendError(
            f"Twilio HTTP {status} (error {code})", maybe_sent=True
        )
    return PermanentSendError(f"Twilio HTTP {status} (error {code})")
