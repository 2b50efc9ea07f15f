"""Sending in one process: what residents receive, and that they receive it once."""

from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from surveys import sending, tasks
from surveys.delivery import PermanentSendError, TransientSendError
from surveys.models import Invitation, Message, OptOut
from surveys.optouts import is_opted_out, opt_back_in, opt_out
from surveys.responses import record_response
from surveys.sms import MemoryBackend
from surveys.tasks import send_message as send_task
from surveys.tests.conftest import AGENCY_SMS, AGENCY_TEXT, make_contact, make_request
from surveys.tests.sent import scheduled_message

pytestmark = pytest.mark.django_db

EMAIL = "resident@example.org"
PHONE = "+12125550100"
PHONE2 = "+12125550101"


@pytest.fixture(autouse=True)
def _texts_any_time(settings):
    # Quiet hours have their own tests; these must not depend on the clock.
    settings.SURVEY_SMS_FIRST_HOUR = 0
    settings.SURVEY_SMS_LAST_HOUR = 24


def closed_with(close, django_capture_on_commit_callbacks, **contact):
    request = make_request()
    make_contact(request, **contact)
    with django_capture_on_commit_callbacks(execute=True):
        close(request)
    return request


def test_a_closure_sends_the_invitation_email_when_it_commits(
    close, django_capture_on_commit_callbacks, settings
):
    request = closed_with(close, django_capture_on_commit_callbacks, email=EMAIL)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    invitation = Invitation.objects.get(service_request=request)
    assert email.to == [EMAIL]
    assert str(request.pk) in email.subject
    assert AGENCY_TEXT in email.body
    assert f"{settings.SITE_URL}/s/{invitation.token}/?answer=strongly_agree" in (
        email.body
    )
    assert email.extra_headers["List-Unsubscribe"] == (
        f"<{settings.SITE_URL}/u/{invitation.token}/>"
    )
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert f"/u/{invitation.token}/" in html
    assert 'dir="ltr"' in html

    assert invitation.status == Invitation.Status.SENT
    assert invitation.expires_at == invitation.sent_at + timedelta(days=30)
    message = invitation.messages.get(purpose="invitation")
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == email.extra_headers["Message-ID"]
    assert invitation.token not in message.body
    assert "/s/[token]/" in message.body
    assert message.subject == email.subject


def test_a_rolled_back_closure_sends_nothing(close, django_capture_on_commit_callbacks):
    request = make_request()
    make_contact(request, email=EMAIL)

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        close(request)
        raise RuntimeError("the import failed after the closure")

    assert mail.outbox == []
    assert not Invitation.objects.exists()


def test_an_arabic_email_reads_right_to_left(close, django_capture_on_commit_callbacks):
    closed_with(close, django_capture_on_commit_callbacks, email=EMAIL, language="ar")

    html, _ = mail.outbox[0].alternatives[0]
    assert '<html lang="ar" dir="rtl">' in html


def test_a_spanish_resident_reads_what_the_agency_did_in_spanish(
    close, django_capture_on_commit_callbacks
):
    closed_with(close, django_capture_on_commit_callbacks, email=EMAIL, language="es")

    assert "El Departamento de Sanidad recogió la basura pendiente." in (
        mail.outbox[0].body
    )


def test_a_spanish_resident_gets_the_whole_email_in_spanish(
    close, django_capture_on_commit_callbacks
):
    request = closed_with(
        close, django_capture_on_commit_callbacks, email=EMAIL, language="es"
    )

    [email] = mail.outbox
    html, _ = email.alternatives[0]
    number = request.pk
    assert email.subject == (
        f"Su solicitud 311 {number} se cerró: ¿qué tal lo hicimos?"
    )
    for part in (email.body, html):
        assert f"Su solicitud 311 {number} se cerró." in part
        assert "Lo que hizo la agencia:" in part
        assert "El enlace funciona hasta el " in part
        assert "Recibe este mensaje porque dio sus datos de contacto" in part
        assert "Elija su respuesta:" in part
        assert "Muy de acuerdo" in part
        assert "was closed" not in part
    assert "Para no recibir más encuestas, abra:" in email.body
    assert "Responda toda la encuesta (aprox. un minuto)" in html
    assert "No recibir más encuestas" in html
    assert '<html lang="es" dir="ltr">' in html


def test_an_arabic_resident_gets_the_whole_email_in_arabic(
    close, django_capture_on_commit_callbacks
):
    request = closed_with(
        close, django_capture_on_commit_callbacks, email=EMAIL, language="ar"
    )

    [email] = mail.outbox
    html, _ = email.alternatives[0]
    number = request.pk
    assert email.subject == f"تم إغلاق طلبك إلى 311 رقم {number}: ما رأيك في خدمتنا؟"
    for part in (email.body, html):
        assert f"تم إغلاق طلبك إلى 311 رقم {number}." in part
        assert "ما قامت به الجهة:" in part
        assert "اختر إجابتك:" in part
        assert "أوافق بشدة" in part
        assert "يعمل الرابط حتى " in part
        assert "وصلتك هذه الرسالة لأنك قدّمت بيانات الاتصال" in part
        assert "was closed" not in part
    # No Arabic version of the agency's text yet: the English one, marked as such.
    assert AGENCY_TEXT in email.body
    assert "لإيقاف تلقي الاستبيانات، افتح:" in email.body
    assert "إيقاف تلقي الاستبيانات" in html
    assert '<html lang="ar" dir="rtl">' in html


def test_a_reminder_email_is_in_the_resident_language(
    close, django_capture_on_commit_callbacks
):
    request = closed_with(
        close, django_capture_on_commit_callbacks, email=EMAIL, language="es"
    )

    Message.objects.filter(purpose="reminder").update(send_after=timezone.now())
    sending.dispatch_due_messages()

    reminder = mail.outbox[-1]
    number = request.pk
    assert reminder.subject == (
        f"Recordatorio: ¿qué tal atendimos su solicitud 311 {number}?"
    )
    assert (
        f"Hace unos días le preguntamos qué tal atendimos su solicitud 311 {number}."
        in reminder.body
    )


@pytest.mark.parametrize(
    ("language", "header", "stop"),
    [
        (
            "es",
            "NYC 311: su solicitud {number} fue cerrada.",
            "Responda STOP para darse de baja.",
        ),
        ("ar", "NYC 311: طلبك {number} مغلق.", "STOP للإلغاء"),
    ],
)
def test_a_text_is_in_the_resident_language(
    close,
    django_capture_on_commit_callbacks,
    sms_outbox,
    settings,
    language,
    header,
    stop,
):
    request = closed_with(
        close, django_capture_on_commit_callbacks, phone=PHONE, language=language
    )

    [text] = sms_outbox
    invitation = Invitation.objects.get(service_request=request)
    assert text.body.startswith(header.format(number=request.pk))
    assert text.body.endswith(stop)
    assert f"{settings.SITE_URL}/s/{invitation.token}/" in text.body
    assert "Reply" not in text.body


def test_a_closure_sends_a_text_with_the_site_link(
    close, django_capture_on_commit_callbacks, sms_outbox, settings
):
    request = closed_with(close, django_capture_on_commit_callbacks, phone=PHONE)

    [text] = sms_outbox
    invitation = Invitation.objects.get(service_request=request)
    assert text.to == PHONE
    assert f"{settings.SITE_URL}/s/{invitation.token}/" in text.body
    assert AGENCY_SMS in text.body
    assert "Reply 1-5" in text.body
    assert "STOP" in text.body
    message = invitation.messages.get(purpose="invitation")
    assert message.provider_message_id == text.provider_id
    assert message.body == text.body.replace(invitation.token, "[token]")


def test_a_message_sent_twice_is_sent_once(close, django_capture_on_commit_callbacks):
    request = closed_with(close, django_capture_on_commit_callbacks, email=EMAIL)
    message = Message.objects.get(
        invitation__service_request=request, purpose="invitation"
    )

    outcome = sending.send_message(message_id=message.pk)
    task_result = send_task.apply(args=(message.pk,)).get()

    assert outcome == sending.Outcome.NOT_CLAIMED
    assert task_result == "not_claimed"
    assert len(mail.outbox) == 1


class FlakyBackend(MemoryBackend):
    """Fails the first `failures` sends with the given error, then sends."""

    failures = 1
    error: Exception = TransientSendError("Twilio HTTP 503 (error 20503)")
    calls = 0

    def send(self, *, to: str, body: str, reference: str) -> str:
        type(self).calls += 1
        if type(self).calls <= type(self).failures:
            raise type(self).error
        return super().send(to=to, body=body, reference=reference)


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "surveys.tests.test_sending.FlakyBackend"
    FlakyBackend.calls = 0
    FlakyBackend.failures = 1
    FlakyBackend.error = TransientSendError("Twilio HTTP 503 (error 20503)")
    return FlakyBackend


def test_a_transient_error_is_retried_later_and_then_sent(flaky, sms_outbox):
    message = scheduled_message(phone=PHONE)

    with pytest.raises(TransientSendError):
        sending.send_message(message_id=message.pk, retry_in=timedelta(minutes=5))

    message.refresh_from_db()
    assert message.status == Message.Status.SCHEDULED
    assert message.error == "Twilio HTTP 503 (error 20503)"
    assert message.send_after > timezone.now() + timedelta(minutes=4)
    assert sending.send_message(message_id=message.pk) == sending.Outcome.NOT_CLAIMED

    Message.objects.filter(pk=message.pk).update(send_after=timezone.now())
    assert sending.send_message(message_id=message.pk) == sending.Outcome.SENT

    message.refresh_from_db()
    assert message.attempts == 2
    assert len(sms_outbox) == 1


def test_the_task_retries_a_transient_error_with_its_declared_backoff(
    flaky, sms_outbox
):
    message = scheduled_message(phone=PHONE)

    result = send_task.apply(args=(message.pk,))

    # Run without a broker, the message waits in the database for the dispatcher.
    assert result.get() == "retry"
    message.refresh_from_db()
    assert message.status == Message.Status.SCHEDULED
    assert (
        timedelta(seconds=55)
        < message.send_after - message.claimed_at
        < (timedelta(seconds=65))
    )
    assert sms_outbox == []


def test_a_batch_sends_each_message_once_even_when_delivered_twice(sms_outbox):
    messages = [scheduled_message(phone=f"+1212555{n:04d}") for n in range(3)]
    ids = [message.pk for message in messages]

    first = tasks.send_messages.apply(args=(ids,)).get()
    second = tasks.send_messages.apply(args=(ids,)).get()

    assert first == {"sent": 3}
    assert second == {"not_claimed": 3}
    assert sorted(text.reference for text in sms_outbox) == sorted(
        f"survey-message-{pk}" for pk in ids
    )


def test_a_transient_error_in_a_batch_goes_on_in_its_own_task_with_the_backoff(
    flaky, sms_outbox, monkeypatch
):
    failing, fine = scheduled_message(phone=PHONE), scheduled_message(phone=PHONE2)
    queued = []
    monkeypatch.setattr(
        tasks.send_message,
        "apply_async",
        lambda args, **options: queued.append((args, options)),
    )

    # As the worker runs it: with a broker to hold the retry.
    outcomes = tasks.send_messages.run([failing.pk, fine.pk])

    assert outcomes == {"retry": 1, "sent": 1}
    assert [text.reference for text in sms_outbox] == [f"survey-message-{fine.pk}"]
    [(args, options)] = queued
    assert args == (failing.pk,)
    assert options["countdown"] == tasks.RETRY_DELAYS[0]
    # The retried task's next wait is the policy's second delay.
    assert options["retries"] == 1
    failing.refresh_from_db()
    assert failing.status == Message.Status.SCHEDULED


def test_the_dispatcher_queues_due_messages_in_batches(sms_outbox, monkeypatch):
    messages = [
        scheduled_message(phone=f"+1212555{n:04d}") for n in range(tasks.SEND_BATCH + 1)
    ]
    batches = []
    original = tasks.send_messages.apply_async
    monkeypatch.setattr(
        tasks.send_messages,
        "apply_async",
        lambda args, **options: batches.append(args[0]) or original(args, **options),
    )

    sending.dispatch_due_messages()

    assert [len(batch) for batch in batches] == [tasks.SEND_BATCH, 1]
    assert len(sms_outbox) == len(messages)


def batch(messages: list[Message], **options) -> sending.BatchOutcome:
    return sending.send_messages(
        message_ids=[message.pk for message in messages],
        retry_in=timedelta(minutes=1),
        **options,
    )


class SettledMeanwhileBackend(MemoryBackend):
    """While the first text goes out, the lease settles its claim elsewhere."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        provider_id = super().send(to=to, body=body, reference=reference)
        if len(self.outbox) == 1:
            Message.objects.filter(pk=int(reference.rpartition("-")[2])).update(
                status=Message.Status.UNKNOWN, claimed_at=timezone.now()
            )
        return provider_id


def test_a_batch_records_a_send_only_where_its_claim_still_holds(settings, sms_outbox):
    settings.SMS_BACKEND = "surveys.tests.test_sending.SettledMeanwhileBackend"
    settled, fine = scheduled_message(phone=PHONE), scheduled_message(phone=PHONE2)

    batch([settled, fine])

    settled.refresh_from_db()
    fine.refresh_from_db()
    assert settled.status == Message.Status.UNKNOWN
    assert settled.provider_message_id == ""
    assert settled.invitation.status == Invitation.Status.SCHEDULED
    assert fine.status == Message.Status.SENT
    assert fine.provider_message_id == sms_outbox[1].provider_id
    assert fine.body == sms_outbox[1].body.replace(fine.invitation.token, "[token]")
    assert fine.invitation.status == Invitation.Status.SENT
    assert fine.invitation.expires_at is not None


class BrokenAfterOneBackend(MemoryBackend):
    def send(self, *, to: str, body: str, reference: str) -> str:
        if self.outbox:
            raise RuntimeError("the process is going down")
        return super().send(to=to, body=body, reference=reference)


def test_a_batch_stopped_midway_records_its_sends_and_leaves_the_rest_to_the_lease(
    settings, sms_outbox
):
    if connection.vendor != "postgresql":
        pytest.skip("a batch claims its messages together on PostgreSQL only")
    settings.SMS_BACKEND = "surveys.tests.test_sending.BrokenAfterOneBackend"
    messages = [scheduled_message(phone=f"+1212555{n:04d}") for n in range(3)]

    with pytest.raises(RuntimeError):
        batch(messages)

    statuses = [Message.objects.get(pk=m.pk).status for m in messages]
    assert statuses == ["sent", "sending", "sending"]

    settings.SMS_BACKEND = "surveys.sms.MemoryBackend"
    later = timezone.now() + timedelta(seconds=settings.SURVEY_SEND_LEASE_SECONDS + 1)
    assert sending.dispatch_due_messages(now=later).settled == 2
    assert sorted(text.reference for text in sms_outbox) == sorted(
        f"survey-message-{m.pk}" for m in messages
    )


def test_a_batch_out_of_time_gives_back_its_untried_claims(sms_outbox):
    messages = [scheduled_message(phone=f"+1212555{n:04d}") for n in range(2)]

    result = batch(messages, time_budget=0)

    assert result.left == [m.pk for m in messages]
    assert sms_outbox == []
    for message in messages:
        message.refresh_from_db()
        assert (message.status, message.attempts) == (Message.Status.SCHEDULED, 0)
    assert batch(messages).outcomes == {"sent": 2}


def test_retries_end_with_a_failed_message(flaky):
    flaky.failures = 99
    message = scheduled_message(phone=PHONE)

    outcome = sending.send_message(message_id=message.pk, retry_in=None)

    assert outcome == sending.Outcome.FAILED
    message.refresh_from_db()
    assert message.status == Message.Status.FAILED
    assert message.error.startswith("Gave up after 1 attempts")
    assert message.invitation.skip_reason == Invitation.SkipReason.DELIVERY_FAILED


def test_a_permanent_error_is_recorded_and_not_retried(flaky):
    flaky.error = PermanentSendError("Twilio error 21211: not a valid phone number")
    message = scheduled_message(phone=PHONE)

    outcome = sending.send_message(message_id=message.pk, retry_in=timedelta(1))

    assert outcome == sending.Outcome.FAILED
    assert flaky.calls == 1
    message.refresh_from_db()
    invitation = message.invitation
    assert message.status == Message.Status.FAILED
    assert message.error == "Twilio error 21211: not a valid phone number"
    assert invitation.status == Invitation.Status.SKIPPED
    assert invitation.skip_reason == Invitation.SkipReason.DELIVERY_FAILED
    assert PHONE not in invitation.notes
    reminder = invitation.messages.get(purpose="reminder")
    assert reminder.status == Message.Status.CANCELLED


def test_a_number_the_provider_reports_opted_out_is_opted_out(flaky):
    flaky.error = PermanentSendError("Twilio error 21610", opted_out=True)
    message = scheduled_message(phone=PHONE)

    sending.send_message(message_id=message.pk)

    assert is_opted_out(channel="sms", address=PHONE)
    assert OptOut.objects.get().source == OptOut.Source.PROVIDER
    message.invitation.refresh_from_db()
    assert message.invitation.skip_reason == Invitation.SkipReason.OPTED_OUT


class SentButTimedOutBackend(MemoryBackend):
    """The provider took the text but the answer never came back."""

    def send(self, *, to: str, body: str, reference: str) -> str:
        super().send(to=to, body=body, reference=reference)
        raise TransientSendError("Twilio did not answer in time", maybe_sent=True)


def test_a_timeout_after_the_provider_took_the_text_is_not_sent_again(
    settings, sms_outbox
):
    settings.SMS_BACKEND = "surveys.tests.test_sending.SentButTimedOutBackend"
    message = scheduled_message(phone=PHONE)

    outcome = sending.send_message(message_id=message.pk, retry_in=timedelta(0))
    sending.dispatch_due_messages()

    assert outcome == sending.Outcome.SENT
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == sms_outbox[0].provider_id


class TimedOutConsoleBackend:
    def send(self, *, to: str, body: str, reference: str) -> str:
        raise TransientSendError("Twilio did not answer in time", maybe_sent=True)

    def find_sent(self, *, reference: str) -> str | None:
        from surveys.delivery import CannotTell

        raise CannotTell("no record")


def test_a_timeout_the_backend_cannot_settle_is_marked_unknown_and_never_resent(
    settings,
):
    settings.SMS_BACKEND = "surveys.tests.test_sending.TimedOutConsoleBackend"
    message = scheduled_message(phone=PHONE)

    outcome = sending.send_message(message_id=message.pk, retry_in=timedelta(0))
    sending.dispatch_due_messages()

    assert outcome == sending.Outcome.UNKNOWN
    message.refresh_from_db()
    assert message.status == Message.Status.UNKNOWN
    assert "not sent again" in message.error
    # If it did arrive, the resident can still answer.
    assert Invitation.objects.answerable().filter(pk=message.invitation_id).exists()


def claimed_and_abandoned(message: Message, minutes_ago: int = 10) -> None:
    """As a worker killed after its claim leaves the row."""
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=minutes_ago),
        attempts=1,
    )


def test_a_claim_abandoned_before_sending_is_sent_once_after_the_lease(sms_outbox):
    message = scheduled_message(phone=PHONE)
    claimed_and_abandoned(message)

    result = sending.dispatch_due_messages()

    assert result.settled == 1
    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.attempts == 2


def test_a_claim_abandoned_after_sending_is_recorded_not_resent(sms_outbox):
    message = scheduled_message(phone=PHONE)
    MemoryBackend().send(to=PHONE, body="…", reference=f"survey-message-{message.pk}")
    claimed_and_abandoned(message)

    sending.dispatch_due_messages()

    assert len(sms_outbox) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == sms_outbox[0].provider_id


def test_a_claim_inside_its_lease_is_left_alone(sms_outbox):
    message = scheduled_message(phone=PHONE)
    claimed_and_abandoned(message, minutes_ago=1)

    result = sending.dispatch_due_messages()

    assert result.settled == 0
    assert sms_outbox == []


def test_an_email_claim_abandoned_after_sending_is_found_in_the_outbox():
    message = scheduled_message(email=EMAIL)
    sending.send_message(message_id=message.pk)
    Message.objects.filter(pk=message.pk).update(
        status=Message.Status.SENDING, provider_message_id=""
    )
    claimed_and_abandoned(message)

    sending.dispatch_due_messages()

    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert message.provider_message_id == mail.outbox[0].extra_headers["Message-ID"]


def test_the_dispatcher_queues_a_due_message_once(sms_outbox):
    message = scheduled_message(phone=PHONE)

    first = sending.take_due_messages()
    second = sending.take_due_messages()

    assert first == [message.pk]
    assert second == []


def test_opting_out_cancels_what_is_scheduled_and_opting_back_in_allows_new_surveys(
    close, django_capture_on_commit_callbacks, sms_outbox, settings
):
    settings.SURVEY_FREQUENCY_DAYS = 0
    message = scheduled_message(phone=PHONE)
    opt_out(channel="sms", address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.NOT_CLAIMED
    message.refresh_from_db()
    assert message.status == Message.Status.CANCELLED
    assert message.invitation.skip_reason == Invitation.SkipReason.OPTED_OUT

    opt_back_in(channel="sms", address=PHONE)
    later = closed_with(close, django_capture_on_commit_callbacks, phone=PHONE)

    assert len(sms_outbox) == 1
    assert Invitation.objects.get(service_request=later).status == "sent"


def test_an_opt_out_after_queueing_cancels_the_message_at_send_time(sms_outbox):
    message = scheduled_message(phone=PHONE)
    # The opt-out arrives through a path that does not touch messages, e.g. a
    # second contact row for the same number.
    OptOut.objects.create(
        channel="sms",
        address_digest=message.invitation.address_digest,
        source=OptOut.Source.STAFF,
    )

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.CANCELLED
    assert sms_outbox == []
    message.invitation.refresh_from_db()
    assert message.invitation.skip_reason == Invitation.SkipReason.OPTED_OUT


def test_a_changed_number_that_opted_out_cancels_the_message_at_send_time(
    sms_outbox,
):
    message = scheduled_message(phone=PHONE)
    new_number = "+12125550199"
    message.invitation.contact.phone_e164 = new_number
    message.invitation.contact.save(update_fields=["phone_e164"])
    opt_out(channel="sms", address=new_number, source=OptOut.Source.STAFF)

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.CANCELLED
    assert sms_outbox == []


def test_the_reminder_goes_after_the_configured_days_unless_answered(
    close, django_capture_on_commit_callbacks
):
    answered = closed_with(close, django_capture_on_commit_callbacks, email=EMAIL)
    unanswered = closed_with(
        close, django_capture_on_commit_callbacks, email="other@example.org"
    )
    record_response(
        invitation=Invitation.objects.get(service_request=answered),
        answers={"satisfaction": "agree"},
        language="en",
        channel="web",
    )
    assert len(mail.outbox) == 2

    Message.objects.filter(purpose="reminder").update(send_after=timezone.now())
    sending.dispatch_due_messages()

    assert len(mail.outbox) == 3
    reminder = mail.outbox[2]
    assert reminder.to == ["other@example.org"]
    assert reminder.subject.startswith("Reminder:")
    assert str(unanswered.pk) in reminder.subject
    statuses = dict(
        Message.objects.filter(purpose="reminder").values_list(
            "invitation__service_request_id", "status"
        )
    )
    assert statuses == {answered.pk: "cancelled", unanswered.pk: "sent"}


def test_a_reminder_of_a_failed_invitation_is_not_sent(flaky, sms_outbox):
    flaky.error = PermanentSendError("Twilio error 21614: not a mobile number")
    message = scheduled_message(phone=PHONE)
    sending.send_message(message_id=message.pk)
    reminder = message.invitation.messages.get(purpose="reminder")
    Message.objects.filter(pk=reminder.pk).update(
        status=Message.Status.SCHEDULED, send_after=timezone.now()
    )

    assert sending.send_message(message_id=reminder.pk) == sending.Outcome.CANCELLED
    assert sms_outbox == []


def test_the_management_command_sends_due_messages_without_a_broker(sms_outbox, capsys):
    message = scheduled_message(phone=PHONE)
    Message.objects.filter(pk=message.pk).update(enqueued_at=None)

    call_command("send_due_messages")

    assert len(sms_outbox) == 1
    assert "1 messages due" in capsys.readouterr().out


def test_simulated_residents_are_never_handed_to_a_provider(settings):
    settings.SMS_BACKEND = "surveys.sms.TwilioBackend"
    message = scheduled_message(phone=PHONE, is_fake=True)

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.SENT
    message.refresh_from_db()
    assert message.provider_message_id.startswith("simulated-")


def test_simulated_residents_messages_show_on_a_development_backend(settings, capsys):
    settings.SMS_BACKEND = "surveys.sms.ConsoleBackend"
    message = scheduled_message(phone=PHONE, is_fake=True)

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.SENT
    assert message.invitation.token in capsys.readouterr().out


def test_an_invitation_delayed_past_the_closure_age_limit_expires_unsent(sms_outbox):
    message = scheduled_message(phone=PHONE)
    Invitation.objects.filter(pk=message.invitation_id).update(
        closed_at=timezone.now() - timedelta(days=15)
    )

    outcome = sending.send_message(message_id=message.pk)

    assert outcome == sending.Outcome.CANCELLED
    assert sms_outbox == []
    invitation = Invitation.objects.get(pk=message.invitation_id)
    assert invitation.status == Invitation.Status.EXPIRED
    assert "closed too long ago" in invitation.notes
    assert invitation.messages.get(purpose="reminder").status == "cancelled"
