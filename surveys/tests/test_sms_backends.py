"""The SMS backends: Twilio's errors classified, files that survive a worker."""

from types import SimpleNamespace

import pytest
import requests
from twilio.base.exceptions import TwilioRestException

from surveys.delivery import CannotTell, PermanentSendError, TransientSendError
from surveys.sms import FileBackend, TwilioBackend

PHONE = "+12125550100"


@pytest.fixture
def twilio(settings, monkeypatch):
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = "token"
    settings.TWILIO_FROM = "MG" + "1" * 32
    settings.SITE_URL = "https://311.example.org"
    backend = TwilioBackend()
    calls = []

    def create(**kwargs):
        calls.append(kwargs)
        if backend.raises:
            raise backend.raises
        return SimpleNamespace(sid="SM" + "2" * 32)

    backend.raises = None
    backend.calls = calls
    monkeypatch.setattr(backend.client.messages, "create", create)
    return backend


def test_twilio_sends_from_the_messaging_service_with_a_status_callback(twilio):
    provider_id = twilio.send(to=PHONE, body="Hello", reference="survey-message-1")

    assert provider_id == "SM" + "2" * 32
    [call] = twilio.calls
    assert call["to"] == PHONE
    assert call["messaging_service_sid"] == "MG" + "1" * 32
    assert call["status_callback"] == "https://311.example.org/webhooks/twilio/status/"
    assert "shorten_urls" not in call


def test_twilio_opted_out_number_is_a_permanent_opt_out_without_the_number(twilio):
    twilio.raises = TwilioRestException(
        400, "uri", msg=f"Attempt to send to unsubscribed recipient {PHONE}", code=21610
    )

    with pytest.raises(PermanentSendError) as raised:
        twilio.send(to=PHONE, body="Hello", reference="r")

    assert raised.value.opted_out
    assert PHONE not in str(raised.value)


@pytest.mark.parametrize(
    ("error", "kind", "maybe_sent"),
    [
        (TwilioRestException(400, "uri", code=21211), PermanentSendError, None),
        (TwilioRestException(429, "uri", code=20429), TransientSendError, False),
        (TwilioRestException(500, "uri", code=20500), TransientSendError, True),
        (requests.ConnectionError(), TransientSendError, False),
        (requests.ReadTimeout(), TransientSendError, True),
    ],
    ids=["invalid_number", "rate_limited", "server_error", "unreachable", "timeout"],
)
def test_twilio_errors_are_classified(twilio, error, kind, maybe_sent):
    twilio.raises = error

    with pytest.raises(kind) as raised:
        twilio.send(to=PHONE, body="Hello", reference="r")

    if maybe_sent is not None:
        assert raised.value.maybe_sent is maybe_sent


def test_twilio_cannot_say_what_it_sent(twilio):
    with pytest.raises(CannotTell):
        twilio.find_sent(reference="r")


def test_the_file_backend_finds_what_it_sent_and_keeps_every_send(settings, tmp_path):
    settings.SMS_FILE_PATH = tmp_path

    first = FileBackend().send(to=PHONE, body="one", reference="survey-message-7")
    FileBackend().send(to=PHONE, body="two", reference="survey-message-7")

    assert FileBackend().find_sent(reference="survey-message-7") in {
        first,
        *[t.provider_id for t in FileBackend().sent()],
    }
    assert FileBackend().find_sent(reference="survey-message-8") is None
    assert len(FileBackend().sent()) == 2
