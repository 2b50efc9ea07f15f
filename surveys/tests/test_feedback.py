import logging
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone, translation

from resolutions.plain_language import sms_segments
from surveys.addresses import address_digest
from surveys.feedback import Recorded, handle_inbound_sms, record_delivery_event
from surveys.models import (
    Channel,
    DeliveryEvent,
    Invitation,
    Message,
    OptOut,
    Response,
)
from surveys.optouts import is_opted_out, opt_out
from surveys.tests.sent import (
    EMAIL,
    PHONE,
    invitation_message,
    reminder,
    sent_invitation,
)

pytestmark = pytest.mark.django_db


def report(invitation, event, *, minutes=0, event_id="", description=""):
    return record_delivery_event(
        provider_message_id=invitation_message(invitation).provider_message_id,
        event=event,
        occurred_at=timezone.now() + timedelta(minutes=minutes),
        description=description,
        provider_event_id=event_id,
    )


# Delivery reports


def test_delivered_report_marks_the_message_delivered():
    invitation = sent_invitation(channel=Channel.EMAIL)

    assert report(invitation, "delivered") == Recorded.RECORDED

    message = invitation_message(invitation)
    assert message.status == Message.Status.DELIVERED
    assert message.delivered_at is not None
    assert list(message.events.values_list("event", flat=True)) == ["delivered"]


def test_report_for_an_unknown_message_is_logged_and_ignored(caplog):
    with caplog.at_level(logging.WARNING, logger="surveys.feedback"):
        outcome = record_delivery_event(
            provider_message_id="not-ours",
            event="delivered",
            occurred_at=timezone.now(),
        )

    assert outcome == Recorded.UNKNOWN_MESSAGE
    assert not DeliveryEvent.objects.exists()
    assert "not-ours" in caplog.text


def test_report_with_an_empty_message_id_matches_nothing():
    message = invitation_message(sent_invitation())
    Message.objects.filter(pk=message.pk).update(provider_message_id="")

    outcome = record_delivery_event(
        provider_message_id="", event="delivered", occurred_at=timezone.now()
    )

    assert outcome == Recorded.UNKNOWN_MESSAGE


def test_a_retried_report_is_stored_once():
    invitation = sent_invitation(channel=Channel.EMAIL)

    first = report(invitation, "bounced", event_id="evt-1")
    retry = report(invitation, "bounced", event_id="evt-1", minutes=5)

    assert (first, retry) == (Recorded.RECORDED, Recorded.DUPLICATE)
    assert DeliveryEvent.objects.count() == 1


def test_a_retried_report_without_an_event_id_is_stored_once():
    invitation = sent_invitation(channel=Channel.EMAIL)
    at = timezone.now()
    message_id = invitation_message(invitation).provider_message_id

    for _ in range(2):
        record_delivery_event(
            provider_message_id=message_id, event="delivered", occurred_at=at
        )

    assert DeliveryEvent.objects.count() == 1


def test_a_late_sent_report_does_not_undo_delivered():
    invitation = sent_invitation()
    report(invitation, "delivered", minutes=1)

    report(invitation, "sent", minutes=-1)

    assert invitation_message(invitation).status == Message.Status.DELIVERED
    assert DeliveryEvent.objects.count() == 2


def test_a_delivery_reported_after_a_bounce_does_not_undo_it():
    invitation = sent_invitation(channel=Channel.EMAIL)
    report(invitation, "bounced")

    report(invitation, "delivered")

    message = invitation_message(invitation)
    assert message.status == Message.Status.BOUNCED
    assert message.delivered_at is None


def test_a_bounce_after_delivery_wins():
    invitation = sent_invitation(channel=Channel.EMAIL)
    report(invitation, "delivered")

    report(invitation, "bounced", minutes=10)

    assert invitation_message(invitation).status == Message.Status.BOUNCED


def test_a_bounced_invitation_is_shown_to_staff_and_gets_no_reminder():
    invitation = sent_invitation(channel=Channel.EMAIL)

    report(invitation, "bounced", description="Mailbox not found")

    invitation.refresh_from_db()
    assert invitation.skip_reason == Invitation.SkipReason.DELIVERY_FAILED
    assert "did not get it" in invitation.notes
    assert invitation_message(invitation).error == "Mailbox not found"
    assert reminder(invitation).status == Message.Status.CANCELLED


def test_an_undelivered_text_is_a_bounce():
    invitation = sent_invitation()

    report(invitation, "undelivered")

    assert invitation_message(invitation).status == Message.Status.BOUNCED
    invitation.refresh_from_db()
    assert invitation.skip_reason == Invitation.SkipReason.DELIVERY_FAILED


def test_a_bounced_reminder_leaves_the_invitation_alone():
    invitation = sent_invitation(channel=Channel.EMAIL)
    Message.objects.filter(pk=reminder(invitation).pk).update(
        status=Message.Status.SENT, provider_message_id="reminder-1"
    )

    record_delivery_event(
        provider_message_id="reminder-1", event="bounced", occurred_at=timezone.now()
    )

    invitation.refresh_from_db()
    assert invitation.skip_reason == ""
    assert reminder(invitation).status == Message.Status.BOUNCED


def test_descriptions_keep_no_addresses():
    invitation = sent_invitation(channel=Channel.EMAIL)

    report(
        invitation,
        "bounced",
        description=f"smtp;550 5.1.1 <{EMAIL}>: unknown user; sms to {PHONE}",
    )

    event = DeliveryEvent.objects.get()
    assert EMAIL not in event.description
    assert PHONE not in event.description
    assert "550 5.1.1" in event.description
    assert EMAIL not in invitation_message(invitation).error


@pytest.mark.parametrize("event", ["opened", "clicked"])
def test_opens_and_clicks_change_no_status_and_record_no_answer(event):
    invitation = sent_invitation(channel=Channel.EMAIL)
    report(invitation, "delivered")

    report(invitation, event, minutes=1)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert invitation_message(invitation).status == Message.Status.DELIVERED
    assert not Response.objects.exists()
    assert not OptOut.objects.exists()


@pytest.mark.parametrize(
    ("event", "source"),
    [
        ("complained", OptOut.Source.COMPLAINT),
        ("unsubscribed", OptOut.Source.LIST_UNSUBSCRIBE),
        ("opted_out", OptOut.Source.PROVIDER),
    ],
)
def test_complaints_and_unsubscribes_opt_the_address_out(event, source):
    invitation = sent_invitation(channel=Channel.EMAIL)

    report(invitation, event)

    assert is_opted_out(channel=Channel.EMAIL, address=EMAIL)
    assert OptOut.objects.get().source == source
    assert reminder(invitation).status == Message.Status.CANCELLED


def test_a_complaint_after_the_contact_is_purged_opts_out_by_digest():
    invitation = sent_invitation(channel=Channel.EMAIL)
    invitation.contact.delete()

    report(invitation, "complained")

    assert is_opted_out(channel=Channel.EMAIL, address=EMAIL)


def test_a_provider_opt_out_fails_the_text():
    invitation = sent_invitation()

    report(invitation, "opted_out")

    assert invitation_message(invitation).status == Message.Status.FAILED
    assert is_opted_out(channel=Channel.SMS, address=PHONE)


# Text replies


def test_stop_opts_the_number_out_and_confirms():
    reply = handle_inbound_sms(from_number=PHONE, body="STOP")

    assert is_opted_out(channel=Channel.SMS, address=PHONE)
    assert OptOut.objects.get().source == OptOut.Source.SMS_KEYWORD
    assert "START" in reply


@pytest.mark.parametrize(
    "body",
    [
        "stop",
        " Stop. ",
        "STOP!!",
        "stopall",
        "Stop all",
        "UNSUBSCRIBE",
        "cancel",
        "End",
        "quit\n",
        "'STOP'",
    ],
)
def test_every_opt_out_keyword_opts_out_whatever_its_case_and_punctuation(body):
    handle_inbound_sms(from_number=PHONE, body=body)

    assert is_opted_out(channel=Channel.SMS, address=PHONE)


@pytest.mark.parametrize("body", ["stop sending me these", "unstoppable", "5 stop"])
def test_a_sentence_with_a_keyword_in_it_is_not_a_keyword(body):
    handle_inbound_sms(from_number=PHONE, body=body)

    assert not is_opted_out(channel=Channel.SMS, address=PHONE)


@pytest.mark.parametrize("body", ["START", "start", " Unstop! "])
def test_start_opts_back_in_and_confirms(body):
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    reply = handle_inbound_sms(from_number=PHONE, body=body)

    assert not is_opted_out(channel=Channel.SMS, address=PHONE)
    assert "STOP" in reply


def test_yes_is_not_an_opt_in():
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    handle_inbound_sms(from_number=PHONE, body="YES")

    assert is_opted_out(channel=Channel.SMS, address=PHONE)


@pytest.mark.parametrize("body", ["HELP", "help?", "Info"])
def test_help_says_who_we_are_how_to_stop_and_to_call_311(body):
    reply = handle_inbound_sms(from_number=PHONE, body=body)

    assert "NYC 311" in reply
    assert "STOP" in reply
    assert "call 311" in reply
    assert not OptOut.objects.exists()


def test_help_is_answered_even_after_opting_out():
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    assert "STOP" in handle_inbound_sms(from_number=PHONE, body="HELP")


def test_a_digit_answers_the_first_question_and_offers_the_link():
    invitation = sent_invitation()

    reply = handle_inbound_sms(from_number=PHONE, body="4")

    response = Response.objects.get(invitation=invitation)
    assert response.is_complete is False
    assert response.channel == Channel.SMS
    assert response.satisfaction == 75
    answer = response.answers.get()
    assert (answer.question.key, answer.values) == ("satisfaction", ["agree"])
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
    assert f"/s/{invitation.token}/" in reply
    assert reminder(invitation).status == Message.Status.CANCELLED


@pytest.mark.parametrize(("body", "value"), [("1", 0), (" 5. ", 100), ("٣", 50)])
def test_digits_map_five_to_most_satisfied(body, value):
    invitation = sent_invitation()

    handle_inbound_sms(from_number=PHONE, body=body)

    assert Response.objects.get(invitation=invitation).satisfaction == value


def test_a_second_digit_changes_nothing_and_says_we_have_the_answer():
    invitation = sent_invitation()
    handle_inbound_sms(from_number=PHONE, body="5")

    reply = handle_inbound_sms(from_number=PHONE, body="1")

    response = Response.objects.get(invitation=invitation)
    assert response.satisfaction == 100
    assert "already have your answer" in reply
    # The rest of the survey is still open on the web.
    assert f"/s/{invitation.token}/" in reply


def test_a_digit_answers_only_the_most_recent_invitation():
    older = sent_invitation(sent_ago=timedelta(days=5))
    newer = sent_invitation(sent_ago=timedelta(hours=2))

    handle_inbound_sms(from_number=PHONE, body="3")

    assert Response.objects.get().invitation == newer
    older.refresh_from_db()
    assert older.status == Invitation.Status.SENT


def test_a_digit_with_no_invitation_gets_a_polite_answer():
    reply = handle_inbound_sms(from_number=PHONE, body="5")

    assert "no open 311 survey" in reply
    assert not Response.objects.exists()


def test_a_digit_after_the_invitation_expired_records_nothing():
    sent_invitation(sent_ago=timedelta(days=31), expires_in=timedelta(days=30))

    reply = handle_inbound_sms(from_number=PHONE, body="5")

    assert not Response.objects.exists()
    assert "no open 311 survey" in reply


def test_a_digit_from_another_number_records_nothing():
    sent_invitation()

    handle_inbound_sms(from_number="+12125550199", body="5")

    assert not Response.objects.exists()


def test_a_digit_does_not_answer_an_email_invitation():
    sent_invitation(channel=Channel.EMAIL)

    handle_inbound_sms(from_number=PHONE, body="5")

    assert not Response.objects.exists()


def test_a_digit_from_an_opted_out_number_is_recorded_without_a_reply():
    invitation = sent_invitation()
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    reply = handle_inbound_sms(from_number=PHONE, body="2")

    assert reply == ""
    assert Response.objects.get(invitation=invitation).satisfaction == 25


@pytest.mark.parametrize("body", ["great job", "6", "0", "45", "", "👍"])
def test_anything_else_gets_hints(body):
    sent_invitation()

    reply = handle_inbound_sms(from_number=PHONE, body=body)

    assert "could not read that" in reply
    assert "1 (worst) to 5 (best)" in reply
    assert "HELP" in reply and "STOP" in reply
    assert not Response.objects.exists()


def test_unreadable_text_without_an_open_survey_gets_no_rating_hint():
    reply = handle_inbound_sms(from_number=PHONE, body="hello")

    assert "could not read that" in reply
    assert "1 (worst)" not in reply


def test_a_sender_that_is_not_a_phone_number_gets_no_reply():
    assert handle_inbound_sms(from_number="whatsapp:+12125550123", body="5") == ""
    assert handle_inbound_sms(from_number="", body="STOP") == ""
    assert not OptOut.objects.exists()


def in_language_marker(monkeypatch):
    """Stands in for the catalogues: each text says which language it was made in."""
    monkeypatch.setattr(
        "surveys.feedback.gettext",
        lambda text: f"[{translation.get_language()}] {text}",
    )


def test_replies_use_the_invitation_language(monkeypatch):
    in_language_marker(monkeypatch)
    sent_invitation(language="es")

    assert handle_inbound_sms(from_number=PHONE, body="5").startswith("[es] ")
    assert handle_inbound_sms(from_number=PHONE, body="STOP").startswith("[es] ")


def test_replies_are_in_english_without_an_invitation(monkeypatch):
    in_language_marker(monkeypatch)
    with translation.override("fr"):
        reply = handle_inbound_sms(from_number=PHONE, body="HELP")

    assert reply.startswith("[en] ")


def test_a_translation_too_long_for_two_texts_is_replaced_by_english(monkeypatch):
    monkeypatch.setattr(
        "surveys.feedback.gettext",
        lambda text: text if translation.get_language() == "en" else "Ж" * 200,
    )
    sent_invitation(language="ru")

    reply = handle_inbound_sms(from_number=PHONE, body="HELP")

    assert reply.startswith("NYC 311")


def test_every_reply_of_a_conversation_fits_in_two_text_messages(settings):
    settings.SITE_URL = "https://survey.closing-the-loop.nyc311.example.org"
    sent_invitation()
    bodies = ["hello there", "HELP", "5", "5", "what", "STOP", "START"]
    stranger = "+12125550199"

    replies = [handle_inbound_sms(from_number=PHONE, body=body) for body in bodies]
    replies.append(handle_inbound_sms(from_number=stranger, body="5"))
    replies.append(handle_inbound_sms(from_number=stranger, body="hi"))

    assert all(0 < sms_segments(reply).segments <= 2 for reply in replies)


def conversation(phone: str, stranger: str) -> list[str]:
    """Every kind of reply: help, a rating, a repeat, nonsense, stop and start."""
    bodies = ["HELP", "5", "5", "what", "STOP", "START"]
    replies = [handle_inbound_sms(from_number=phone, body=body) for body in bodies]
    replies.append(handle_inbound_sms(from_number=stranger, body="5"))
    replies.append(handle_inbound_sms(from_number=stranger, body="hi"))
    return replies


def without_links(reply: str) -> str:
    return re.sub(r"https?://\S+", "", reply)


@pytest.mark.parametrize(
    "language", [code for code, _ in django_settings.LANGUAGES if code != "en"]
)
def test_every_reply_is_in_the_invitation_language_within_two_texts(
    language, settings, caplog
):
    # A city site address of 25 characters: survey links of 72.
    settings.SITE_URL = "https://survey.nyc311.gov"
    sent_invitation(phone="+12125550111")
    english = conversation("+12125550111", "+12125550112")
    sent_invitation(language=language)
    # The stranger's replies follow the latest invitation texted to the number.
    sent_invitation(phone="+12125550199", language=language, sent_ago=timedelta(0))
    invitation = Invitation.objects.get(contact__phone_e164="+12125550199")
    invitation.status = Invitation.Status.EXPIRED
    invitation.save()

    with caplog.at_level(logging.WARNING, logger="surveys.feedback"):
        replies = conversation(PHONE, "+12125550199")

    assert all(0 < sms_segments(reply).segments <= 2 for reply in replies)
    assert "sent in English" not in caplog.text
    assert not {without_links(r) for r in replies} & {without_links(r) for r in english}


@pytest.mark.parametrize(
    ("language", "stop_reply", "help_reply"),
    [
        (
            "es",
            "NYC 311: No recibirá más mensajes de encuesta. Responda START para "
            "recibirlos de nuevo.",
            "NYC 311: encuesta breve al cerrarse su solicitud. STOP para no recibir "
            "más. Para ayuda, llame al 311 o visite nyc.gov/311.",
        ),
        (
            "ar",
            "NYC 311: لن تصلك منا رسائل استبيان بعد الآن. أرسل START لتلقيها مجددًا.",
            "NYC 311: استبيان قصير عند إغلاق طلبك. أرسل STOP لإيقاف الرسائل. "
            "للمساعدة بشأن طلب، اتصل بـ 311 أو زر nyc.gov/311.",
        ),
    ],
)
def test_stop_and_help_are_answered_in_the_invitation_language(
    language, stop_reply, help_reply
):
    sent_invitation(language=language)

    assert handle_inbound_sms(from_number=PHONE, body="HELP") == help_reply
    assert handle_inbound_sms(from_number=PHONE, body="stop") == stop_reply
    assert is_opted_out(channel=Channel.SMS, address=PHONE)
    assert "STOP" in handle_inbound_sms(from_number=PHONE, body="Help")


def test_replies_and_logs_never_contain_the_number(caplog):
    sent_invitation()
    with caplog.at_level(logging.DEBUG):
        replies = [
            handle_inbound_sms(from_number=PHONE, body=body)
            for body in ["5", "5", "hi", "HELP", "STOP", "START", "1"]
        ]

    assert PHONE not in caplog.text
    assert PHONE[2:] not in caplog.text
    assert address_digest(Channel.SMS, PHONE) not in caplog.text
    assert not any(PHONE[2:] in reply for reply in replies)
