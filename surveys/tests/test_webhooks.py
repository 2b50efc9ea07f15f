"""The providers' webhooks, called as the providers call them.

Email reports use Postmark's payloads (the provider the README documents), with
one Mailgun check of its signing key; Twilio's are form posts signed with the
auth token over the public URL.
"""

import base64
import hashlib
import hmac
import json
import logging
from urllib.parse import urlencode
from xml.etree import ElementTree

import pytest
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.urls import NoReverseMatch, reverse
from twilio.request_validator import RequestValidator

from surveys.models import Channel, DeliveryEvent, Message, OptOut, Response
from surveys.optouts import is_opted_out
from surveys.tests.sent import EMAIL, PHONE, invitation_message, sent_invitation
from surveys.webhooks import receive_tracking_event

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "postmark:s3cret-webhook-password"
TWILIO_TOKEN = "twilio-auth-token-for-tests"
SITE_URL = "https://311survey.example.org"


@pytest.fixture(autouse=True)
def provider_settings(settings):
    settings.ANYMAIL = {
        **settings.ANYMAIL,
        "WEBHOOK_SECRET": WEBHOOK_SECRET,
        "MAILGUN_WEBHOOK_SIGNING_KEY": "mailgun-signing-key",
    }
    settings.TWILIO_AUTH_TOKEN = TWILIO_TOKEN
    settings.SITE_URL = SITE_URL


def basic_auth(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()


# Email: Postmark through anymail

POSTMARK_URL = "/webhooks/anymail/postmark/tracking/"


def postmark_delivery(message_id: str) -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "outbound",
        "MessageID": message_id,
        "Recipient": EMAIL,
        "Tag": "survey",
        "DeliveredAt": "2026-11-05T16:33:54.9070259Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }


def postmark_bounce(message_id: str) -> dict:
    return {
        "RecordType": "Bounce",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "Tag": "survey",
        "MessageID": message_id,
        "ServerID": 23,
        "MessageStream": "outbound",
        "Description": "The server was unable to deliver your message.",
        "Details": f"smtp;550 5.1.1 <{EMAIL}>: Recipient address rejected",
        "Email": EMAIL,
        "From": "no-reply@311.example.org",
        "BouncedAt": "2026-11-05T16:34:10.1234567Z",
        "Inactive": True,
        "CanActivate": True,
        "Subject": "How did we do?",
    }


def postmark_complaint(message_id: str) -> dict:
    return {
        **postmark_bounce(message_id),
        "RecordType": "SpamComplaint",
        "ID": 42,
        "Type": "SpamComplaint",
        "TypeCode": 512,
        "Name": "Spam complaint",
        "Description": "",
    }


def postmark_open(message_id: str) -> dict:
    return {
        "RecordType": "Open",
        "MessageStream": "outbound",
        "FirstOpen": True,
        "Platform": "WebMail",
        "UserAgent": "Mozilla/5.0 (link scanner)",
        "ReadSeconds": 0,
        "MessageID": message_id,
        "Metadata": {},
        "ReceivedAt": "2026-11-05T16:35:00Z",
        "Tag": "survey",
        "Recipient": EMAIL,
    }


def postmark_unsubscribe(message_id: str) -> dict:
    return {
        "RecordType": "SubscriptionChange",
        "MessageID": message_id,
        "ServerID": 23,
        "MessageStream": "outbound",
        "ChangedAt": "2026-11-05T16:36:00Z",
        "Recipient": EMAIL,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Tag": "survey",
        "Metadata": {},
    }


def post_postmark(client, payload: dict, **headers):
    return client.post(
        POSTMARK_URL,
        data=json.dumps(payload),
        content_type="application/json",
        **headers,
    )


@pytest.fixture
def email_invitation():
    return sent_invitation(channel=Channel.EMAIL, provider_message_id="pm-0001")


def test_postmark_delivery_with_the_secret_marks_the_message_delivered(
    client, email_invitation
):
    response = post_postmark(
        client,
        postmark_delivery("pm-0001"),
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert response.status_code == 200
    assert invitation_message(email_invitation).status == Message.Status.DELIVERED


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": basic_auth("postmark:wrong-password")},
        {"HTTP_AUTHORIZATION": "Bearer " + WEBHOOK_SECRET},
    ],
    ids=["missing", "wrong", "not-basic"],
)
def test_postmark_report_without_the_secret_is_refused_and_changes_nothing(
    client, email_invitation, headers
):
    response = post_postmark(client, postmark_complaint("pm-0001"), **headers)

    assert response.status_code == 400
    assert invitation_message(email_invitation).status == Message.Status.SENT
    assert not DeliveryEvent.objects.exists()
    assert not OptOut.objects.exists()


def test_email_reports_are_refused_while_no_secret_is_configured(
    client, settings, email_invitation, caplog
):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": None}

    with caplog.at_level(logging.ERROR, logger="surveys.webhooks"):
        response = post_postmark(client, postmark_delivery("pm-0001"))

    assert response.status_code == 403
    assert not DeliveryEvent.objects.exists()
    assert "ANYMAIL_WEBHOOK_SECRET" in caplog.text


def test_postmark_bounce_marks_the_message_bounced_without_keeping_the_address(
    client, email_invitation
):
    auth = basic_auth(WEBHOOK_SECRET)

    post_postmark(client, postmark_bounce("pm-0001"), HTTP_AUTHORIZATION=auth)

    message = invitation_message(email_invitation)
    assert message.status == Message.Status.BOUNCED
    event = DeliveryEvent.objects.get()
    assert (event.event, event.provider_event_id) == ("bounced", "4323372036854775807")
    assert EMAIL not in event.description + message.error


def test_postmark_retry_of_a_bounce_is_counted_once(client, email_invitation):
    auth = basic_auth(WEBHOOK_SECRET)

    for _ in range(2):
        response = post_postmark(
            client, postmark_bounce("pm-0001"), HTTP_AUTHORIZATION=auth
        )
        assert response.status_code == 200

    assert DeliveryEvent.objects.count() == 1


def test_postmark_spam_complaint_opts_the_address_out(client, email_invitation):
    post_postmark(
        client,
        postmark_complaint("pm-0001"),
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert is_opted_out(channel=Channel.EMAIL, address=EMAIL)
    assert OptOut.objects.get().source == OptOut.Source.COMPLAINT


def test_postmark_unsubscribe_opts_the_address_out(client, email_invitation):
    post_postmark(
        client,
        postmark_unsubscribe("pm-0001"),
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert OptOut.objects.get().source == OptOut.Source.LIST_UNSUBSCRIBE


def test_postmark_open_is_stored_but_answers_nothing(client, email_invitation):
    auth = basic_auth(WEBHOOK_SECRET)
    post_postmark(client, postmark_delivery("pm-0001"), HTTP_AUTHORIZATION=auth)

    post_postmark(client, postmark_open("pm-0001"), HTTP_AUTHORIZATION=auth)

    email_invitation.refresh_from_db()
    assert email_invitation.status == "sent"
    assert invitation_message(email_invitation).status == Message.Status.DELIVERED
    assert not Response.objects.exists()
    assert list(DeliveryEvent.objects.values_list("event", flat=True)) == [
        "delivered",
        "opened",
    ]


def test_a_send_refused_for_an_earlier_complaint_opts_the_address_out(
    email_invitation,
):
    event = AnymailTrackingEvent(
        event_type=EventType.REJECTED,
        reject_reason=RejectReason.SPAM,
        message_id="pm-0001",
        timestamp=None,
    )

    receive_tracking_event(sender=object, event=event, esp_name="Postmark")

    assert invitation_message(email_invitation).status == Message.Status.FAILED
    assert OptOut.objects.get().source == OptOut.Source.PROVIDER


def test_postmark_report_for_another_message_is_accepted_and_ignored(
    client, email_invitation
):
    response = post_postmark(
        client,
        postmark_delivery("someone-elses-message"),
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert response.status_code == 200
    assert not DeliveryEvent.objects.exists()


def test_only_tracking_webhooks_are_served():
    assert reverse("anymail:postmark_tracking_webhook") == POSTMARK_URL
    assert reverse("anymail:mailgun_tracking_webhook").startswith("/webhooks/")
    # Inbound email is not read by the site, so its webhooks do not exist.
    with pytest.raises(NoReverseMatch):
        reverse("anymail:postmark_inbound_webhook")


# Email: Mailgun's signing key, checked as well as the secret


def mailgun_delivery(message_id: str, signing_key: str) -> dict:
    timestamp, token = (
        "1764950000",
        "b6bd2e3bd45f4d6e8f0a5c1c9c0f5d7a1b2c3d4e5f60718293",
    )
    signature = hmac.new(
        signing_key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256
    ).hexdigest()
    return {
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {
            "event": "delivered",
            "timestamp": 1764950000.25,
            "id": "CPgfbmQMTCKtHW6uIWtuVe",
            "recipient": EMAIL,
            "message": {"headers": {"message-id": message_id}},
        },
    }


@pytest.mark.parametrize(
    ("signing_key", "status_code", "message_status"),
    [
        ("mailgun-signing-key", 200, Message.Status.DELIVERED),
        ("somebody-elses-key", 400, Message.Status.SENT),
    ],
)
def test_mailgun_reports_must_carry_its_signature(
    client, signing_key, status_code, message_status
):
    invitation = sent_invitation(
        channel=Channel.EMAIL, provider_message_id="<20261105.1@mg.example.org>"
    )

    response = client.post(
        reverse("anymail:mailgun_tracking_webhook"),
        data=json.dumps(mailgun_delivery("20261105.1@mg.example.org", signing_key)),
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert response.status_code == status_code
    assert invitation_message(invitation).status == message_status


# Twilio


def twilio_post(client, path: str, params: dict, *, signed_url: str = "", token=None):
    """Post as Twilio does: a form, signed over the public URL and every field."""
    signature = RequestValidator(token or TWILIO_TOKEN).compute_signature(
        signed_url or f"{SITE_URL}{path}", params
    )
    return client.post(
        path,
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )


STATUS_URL = "/webhooks/twilio/status/"
INBOUND_URL = "/webhooks/twilio/inbound/"


def status_params(sid: str, status: str, **extra) -> dict:
    return {
        "AccountSid": "AC00000000000000000000000000000000",
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": PHONE,
        "From": "+12125550100",
        "ApiVersion": "2010-04-01",
        **extra,
    }


def inbound_params(body: str, *, sender: str = PHONE) -> dict:
    return {
        "AccountSid": "AC00000000000000000000000000000000",
        "MessageSid": "SM11111111111111111111111111111111",
        "From": sender,
        "To": "+12125550100",
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
        "FromCity": "NEW YORK",
        "FromState": "NY",
        "ApiVersion": "2010-04-01",
    }


@pytest.fixture
def sms_invitation():
    return sent_invitation(provider_message_id="SM0123456789abcdef0123456789abcdef")


SID = "SM0123456789abcdef0123456789abcdef"


def twiml_message(response) -> str | None:
    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.tag == "Response"
    message = root.find("Message")
    return None if message is None else message.text


def test_twilio_delivered_status_marks_the_text_delivered(client, sms_invitation):
    response = twilio_post(client, STATUS_URL, status_params(SID, "delivered"))

    assert response.status_code == 200
    assert invitation_message(sms_invitation).status == Message.Status.DELIVERED


def test_twilio_status_retries_are_counted_once(client, sms_invitation):
    for _ in range(2):
        twilio_post(client, STATUS_URL, status_params(SID, "delivered"))

    assert DeliveryEvent.objects.count() == 1


def test_twilio_late_sent_status_does_not_undo_delivered(client, sms_invitation):
    twilio_post(client, STATUS_URL, status_params(SID, "delivered"))

    twilio_post(client, STATUS_URL, status_params(SID, "sent"))

    assert invitation_message(sms_invitation).status == Message.Status.DELIVERED
    assert DeliveryEvent.objects.count() == 2


def test_twilio_undelivered_text_is_a_bounce_with_its_error_code(
    client, sms_invitation
):
    twilio_post(
        client, STATUS_URL, status_params(SID, "undelivered", ErrorCode="30003")
    )

    message = invitation_message(sms_invitation)
    assert message.status == Message.Status.BOUNCED
    assert message.error == "Twilio error 30003"


def test_twilio_recipient_opted_out_error_opts_the_number_out(client, sms_invitation):
    twilio_post(client, STATUS_URL, status_params(SID, "failed", ErrorCode="21610"))

    assert invitation_message(sms_invitation).status == Message.Status.FAILED
    assert OptOut.objects.get().source == OptOut.Source.PROVIDER


@pytest.mark.parametrize("path", [STATUS_URL, INBOUND_URL])
def test_twilio_call_without_a_signature_is_forbidden(client, sms_invitation, path):
    params = (
        status_params(SID, "failed", ErrorCode="21610")
        if path == STATUS_URL
        else inbound_params("STOP")
    )

    response = client.post(
        path, data=urlencode(params), content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 403
    assert invitation_message(sms_invitation).status == Message.Status.SENT
    assert not OptOut.objects.exists()


def test_twilio_call_signed_with_another_token_is_forbidden(client, sms_invitation):
    response = twilio_post(
        client, INBOUND_URL, inbound_params("STOP"), token="someone-elses-token"
    )

    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_twilio_signature_for_another_url_is_forbidden(client, sms_invitation):
    # Signed for the status URL, replayed at the inbound one.
    response = twilio_post(
        client, INBOUND_URL, inbound_params("STOP"), signed_url=SITE_URL + STATUS_URL
    )

    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_twilio_signature_for_the_internal_host_is_forbidden(client, sms_invitation):
    # Behind a proxy the app sees its own host; Twilio signs the public one.
    response = twilio_post(
        client,
        INBOUND_URL,
        inbound_params("STOP"),
        signed_url="http://testserver" + INBOUND_URL,
    )

    assert response.status_code == 403


def test_twilio_call_with_changed_fields_is_forbidden(client, sms_invitation):
    signed = inbound_params("HELP")
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(
        SITE_URL + INBOUND_URL, signed
    )

    response = client.post(
        INBOUND_URL,
        data=urlencode({**signed, "Body": "STOP"}),
        content_type="application/x-www-form-urlencoded",
        HTTP_X_TWILIO_SIGNATURE=signature,
    )

    assert response.status_code == 403
    assert not OptOut.objects.exists()


def test_twilio_calls_are_refused_without_an_auth_token(
    client, settings, sms_invitation, caplog
):
    settings.TWILIO_AUTH_TOKEN = ""

    with caplog.at_level(logging.ERROR, logger="surveys.webhooks"):
        response = twilio_post(client, INBOUND_URL, inbound_params("STOP"))

    assert response.status_code == 403
    assert not OptOut.objects.exists()
    assert "TWILIO_AUTH_TOKEN" in caplog.text


def test_twilio_webhooks_take_only_posts(client):
    assert client.get(INBOUND_URL).status_code == 405


def test_signed_stop_opts_out_and_answers_in_twiml(client, sms_invitation):
    response = twilio_post(client, INBOUND_URL, inbound_params("Stop"))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert "START" in twiml_message(response)
    assert is_opted_out(channel=Channel.SMS, address=PHONE)


def test_signed_digit_reply_answers_and_sends_the_link(client, sms_invitation):
    response = twilio_post(client, INBOUND_URL, inbound_params("4"))

    reply = twiml_message(response)
    assert f"{SITE_URL}/s/{sms_invitation.token}/" in reply
    assert Response.objects.get().satisfaction == 75


def test_no_reply_is_an_empty_twiml_response(client, sms_invitation):
    response = twilio_post(
        client, INBOUND_URL, inbound_params("hi", sender="whatsapp:" + PHONE)
    )

    assert response.status_code == 200
    assert twiml_message(response) is None


def test_reply_text_is_escaped_in_the_twiml(client, monkeypatch):
    monkeypatch.setattr(
        "surveys.webhooks.handle_inbound_sms",
        lambda **kwargs: "Reply <b>1</b> & go to <a>",
    )

    response = twilio_post(client, INBOUND_URL, inbound_params("hi"))

    assert b"<b>" not in response.content
    assert twiml_message(response) == "Reply <b>1</b> & go to <a>"


def test_webhooks_keep_numbers_and_addresses_out_of_logs_and_answers(
    client, sms_invitation, email_invitation, caplog
):
    with caplog.at_level(logging.DEBUG):
        responses = [
            twilio_post(client, INBOUND_URL, inbound_params(body))
            for body in ["5", "hello", "STOP"]
        ]
        responses.append(twilio_post(client, INBOUND_URL, {"From": PHONE}, token="x"))
        responses.append(
            post_postmark(
                client,
                postmark_bounce("pm-0001"),
                HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
            )
        )
        responses.append(post_postmark(client, postmark_bounce("pm-0001")))

    for secret in (PHONE, PHONE[2:], EMAIL):
        assert secret not in caplog.text
        assert not any(secret.encode() in r.content for r in responses)


@pytest.mark.parametrize(
    "body",
    ["not json at all", "[1, 2]", '"a string"', "42", "null"],
    ids=["not-json", "array", "string", "number", "null"],
)
def test_a_signed_email_report_that_is_not_the_providers_json_is_refused(
    client, email_invitation, body
):
    response = client.post(
        POSTMARK_URL,
        data=body,
        content_type="application/json",
        HTTP_AUTHORIZATION=basic_auth(WEBHOOK_SECRET),
    )

    assert response.status_code == 400
    assert not DeliveryEvent.objects.exists()
    assert invitation_message(email_invitation).status == Message.Status.SENT
