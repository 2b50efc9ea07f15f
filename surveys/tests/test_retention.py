"""Residents' contact details are deleted after the retention period or on request."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from agencies.models import ServiceRequest
from surveys import sending
from surveys.models import (
    Answer,
    Channel,
    Contact,
    ContactDeletion,
    Invitation,
    Message,
    Question,
    Response,
    ReviewCase,
)
from surveys.retention import forget_resident, purge_expired_contacts
from surveys.review.services import add_note, close_case, open_review_case
from surveys.tests.conftest import make_contact, make_request
from surveys.tests.sent import (
    EMAIL,
    PHONE,
    reminder,
    scheduled_message,
    sent_invitation,
)

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def answered(invitation: Invitation, *, days_ago: int) -> Response:
    moment = timezone.now() - days_ago * DAY
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.ANSWERED, answered_at=moment
    )
    response = Response.objects.create(
        invitation=invitation,
        survey_version=invitation.survey_version,
        language="en",
        channel=invitation.channel,
        satisfaction=75,
        submitted_at=moment,
    )
    Answer.objects.create(
        response=response,
        question=invitation.survey_version.questions.first(),
        values=["agree"],
    )
    return response


TYPED = f"Still no heat. Call (212) 555-0123 or {EMAIL}, 12 Main Street apt 4."
REDACTED = (
    "Still no heat. Call [phone removed] or [email removed], [address removed] "
    "[apartment removed]."
)


def commented(response: Response, text: str = TYPED) -> Answer:
    comment = response.survey_version.questions.get(kind=Question.Kind.TEXT)
    return Answer.objects.create(response=response, question=comment, text=text)


def still_there(invitation: Invitation) -> bool:
    return Contact.objects.filter(service_request=invitation.service_request).exists()


def test_contacts_go_90_days_after_the_answer_and_answers_stay():
    old = sent_invitation()
    recent = sent_invitation(phone="+12125550124", email="other@example.org")
    answered(old, days_ago=91)
    answered(recent, days_ago=89)

    deleted = purge_expired_contacts()

    assert deleted == 1
    assert not still_there(old)
    assert still_there(recent)
    old.refresh_from_db()
    assert old.contact is None
    assert old.response.satisfaction == 75
    assert old.response.answers.count() == 1
    record = ContactDeletion.objects.get()
    assert (record.reason, record.contacts_deleted) == ("retention", 1)


def test_contacts_go_90_days_after_the_link_expired_not_before():
    expired = sent_invitation(sent_ago=121 * DAY, expires_in=30 * DAY)
    open_link = sent_invitation(
        phone="+12125550124",
        email="o@example.org",
        sent_ago=100 * DAY,
        expires_in=30 * DAY,
    )

    purge_expired_contacts()

    assert not still_there(expired)
    assert still_there(open_link)


def test_contacts_go_90_days_after_an_invitation_too_late_to_send(sms_outbox):
    late = scheduled_message(phone=PHONE)
    later = scheduled_message(phone="+12125550124")
    Invitation.objects.update(closed_at=timezone.now() - 15 * DAY)
    for message in (late, later):
        assert sending.send_message(message_id=message.pk) == sending.Outcome.CANCELLED
    Invitation.objects.filter(pk=late.invitation_id).update(
        created_at=timezone.now() - 91 * DAY
    )
    Invitation.objects.filter(pk=later.invitation_id).update(
        created_at=timezone.now() - 89 * DAY
    )

    deleted = purge_expired_contacts()

    assert sms_outbox == []
    assert deleted == 1
    assert not still_there(late.invitation)
    assert still_there(later.invitation)


def test_the_retention_period_is_a_setting(settings):
    settings.SURVEY_CONTACT_RETENTION_DAYS = 10
    invitation = sent_invitation()
    answered(invitation, days_ago=11)

    purge_expired_contacts()

    assert not still_there(invitation)


def test_a_contact_never_invited_goes_90_days_after_its_request_closed():
    long_closed = make_request(closed_at=timezone.now() - 91 * DAY, told=False)
    lately_closed = make_request(closed_at=timezone.now() - 89 * DAY, told=False)
    still_open = make_request(closed_at=None, told=False)
    ServiceRequest.objects.filter(pk=still_open.pk).update(
        status=ServiceRequest.Status.OPEN, created_at=timezone.now() - 400 * DAY
    )
    for request in (long_closed, lately_closed, still_open):
        make_contact(request, email=f"r{request.pk}@example.org")

    purge_expired_contacts()

    assert set(Contact.objects.values_list("service_request_id", flat=True)) == {
        lately_closed.pk,
        still_open.pk,
    }


def test_stored_texts_lose_the_address_with_the_contact():
    invitation = sent_invitation()
    answered(invitation, days_ago=91)
    Message.objects.filter(invitation=invitation).update(
        error=f"550 mailbox {EMAIL} unknown; number {PHONE}"
    )
    Invitation.objects.filter(pk=invitation.pk).update(notes=f"Sent to {EMAIL}.")

    purge_expired_contacts()

    for message in Message.objects.filter(invitation=invitation):
        assert EMAIL not in message.error
        assert PHONE not in message.error
    assert EMAIL not in Invitation.objects.get(pk=invitation.pk).notes


def test_the_purge_removes_personal_details_from_what_the_resident_typed():
    old = sent_invitation()
    recent = sent_invitation(phone="+12125550124", email="other@example.org")
    old_comment = commented(answered(old, days_ago=91))
    recent_comment = commented(answered(recent, days_ago=89))

    purge_expired_contacts()

    old_comment.refresh_from_db()
    recent_comment.refresh_from_db()
    assert old_comment.text == REDACTED
    assert recent_comment.text == TYPED  # its contact is still kept
    record = ContactDeletion.objects.get()
    assert (record.contacts_deleted, record.answers_redacted) == (1, 1)


def test_the_daily_job_is_in_the_beat_schedule():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "surveys.tasks.purge_expired_contacts"
    ]

    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert schedule.hour == {3} and schedule.minute == {30}


def test_the_task_purges(settings):
    from surveys.tasks import purge_expired_contacts as task

    invitation = sent_invitation()
    answered(invitation, days_ago=91)

    assert task.apply().get() == 1
    assert not still_there(invitation)


@pytest.mark.parametrize(
    "given", ["Resident@Example.ORG", "resident@example.org", " resident@example.org "]
)
def test_forget_by_email_whatever_its_case(given):
    first = sent_invitation(channel=Channel.EMAIL)
    second = sent_invitation(channel=Channel.EMAIL, phone="+12125550124")
    other = sent_invitation(email="someone.else@example.org", phone="+12125550125")

    record = forget_resident(email=given, requested_through="command")

    assert not still_there(first) and not still_there(second)
    assert still_there(other)
    assert record.contacts_deleted == 2
    assert record.channels == "email"


@pytest.mark.parametrize(
    "given", ["+12125550123", "(212) 555-0123", "212.555.0123", "1 212 555 0123"]
)
def test_forget_by_number_in_any_format(given):
    texted = sent_invitation()
    landline = make_request(told=False)
    # A number that cannot be texted is kept only as the 311 system gave it.
    Contact.objects.create(
        service_request=landline,
        phone_as_given="212-555-0123",
        phone_problem=Contact.PhoneProblem.NOT_MOBILE,
    )
    other = sent_invitation(email="x@example.org", phone="+12125550199")

    record = forget_resident(phone=given, requested_through="command")

    assert record.contacts_deleted == 2
    assert not still_there(texted)
    assert not Contact.objects.filter(service_request=landline).exists()
    assert still_there(other)


def test_the_record_holds_no_address_nor_anything_derived_from_it():
    sent_invitation()

    record = forget_resident(email=EMAIL, phone=PHONE, requested_through="command")

    stored = " ".join(
        str(value)
        for value in ContactDeletion.objects.filter(pk=record.pk)
        .values()
        .get()
        .values()
    )
    assert "example.org" not in stored
    assert "5550123" not in stored
    assert record.channels == "email+sms"
    assert len(stored) < 200  # when, why, how, how many: nothing like a digest


def test_forgetting_a_resident_removes_personal_details_from_what_they_typed():
    invitation = sent_invitation()
    other = sent_invitation(email="someone.else@example.org", phone="+12125550125")
    response = answered(invitation, days_ago=1)
    comment = commented(response)
    clean = commented(answered(other, days_ago=1), text=f"Write to {EMAIL}.")

    record = forget_resident(email=EMAIL, requested_through="command")

    comment.refresh_from_db()
    clean.refresh_from_db()
    assert comment.text == REDACTED
    assert response.answers.exclude(pk=comment.pk).get().values == ["agree"]
    assert clean.text == f"Write to {EMAIL}."  # another resident's answer
    assert record.answers_redacted == 1


def test_a_forgotten_residents_scheduled_message_is_cancelled_not_sent(sms_outbox):
    invitation = sent_invitation()
    Message.objects.filter(pk=reminder(invitation).pk).update(
        send_after=timezone.now() - DAY
    )

    forget_resident(phone=PHONE, requested_through="command")
    outcome = sending.send_message(message_id=reminder(invitation).pk)

    assert reminder(invitation).status == Message.Status.CANCELLED
    assert outcome != sending.Outcome.SENT
    assert sms_outbox == []


def test_the_command_forgets_and_says_how_many(capsys):
    invitation = sent_invitation()

    call_command("forget_resident", "--phone", "(212) 555-0123")

    assert not still_there(invitation)
    assert "1 contact(s) deleted" in capsys.readouterr().out
    assert ContactDeletion.objects.get().requested_through == "command"


@pytest.mark.parametrize(
    ("option", "given", "error"),
    [
        ("--phone", "abc", "Enter a valid phone number"),
        ("--phone", "123", "Enter a valid phone number"),
        ("--email", "not-an-email", "Enter a valid email address."),
        ("--email", "resident@", "Enter a valid email address."),
    ],
)
def test_the_command_refuses_a_malformed_address_and_records_nothing(
    option, given, error
):
    invitation = sent_invitation()
    make_contact(make_request(told=False), email="email.only@example.org")

    with pytest.raises(CommandError, match=error):
        call_command("forget_resident", option, given)

    assert still_there(invitation)
    assert Contact.objects.count() == 2
    assert not ContactDeletion.objects.exists()


def test_the_admin_form_refuses_a_malformed_address_and_records_nothing(
    client, city_admin
):
    invitation = sent_invitation()
    client.force_login(city_admin)

    page = client.post(
        reverse("admin:surveys_contact_forget"), {"email": "not-an-email", "phone": ""}
    )
    number = client.post(
        reverse("admin:surveys_contact_forget"), {"email": "", "phone": "abc"}
    )

    assert page.status_code == number.status_code == 200
    assert "Enter a valid email address." in page.text
    assert "Enter a valid phone number" in number.text
    assert still_there(invitation)
    assert not ContactDeletion.objects.exists()


def test_forgetting_a_contact_with_a_malformed_number_forgets_only_that_contact(
    client, city_admin
):
    malformed = Contact.objects.create(
        service_request=make_request(told=False),
        phone_as_given="call the super",
        phone_problem=Contact.PhoneProblem.INVALID,
    )
    email_only = make_contact(make_request(told=False), email="other@example.org")
    client.force_login(city_admin)

    client.post(
        reverse("admin:surveys_contact_changelist"),
        {"action": "forget_residents", "_selected_action": [malformed.pk]},
    )

    assert not Contact.objects.filter(pk=malformed.pk).exists()
    assert Contact.objects.filter(pk=email_only.pk).exists()
    record = ContactDeletion.objects.get()
    assert (record.contacts_deleted, record.channels) == (1, "")


def test_city_admin_forgets_selected_residents_in_the_admin(client, city_admin):
    invitation = sent_invitation()
    same_resident = sent_invitation(channel=Channel.EMAIL, phone="+12125550124")
    client.force_login(city_admin)
    contact = invitation.contact

    response = client.post(
        reverse("admin:surveys_contact_changelist"),
        {"action": "forget_residents", "_selected_action": [contact.pk]},
        follow=True,
    )

    assert response.status_code == 200
    assert not still_there(invitation)
    assert not still_there(same_resident)  # same email address
    record = ContactDeletion.objects.get()
    assert (record.requested_by, record.requested_through) == (city_admin, "admin")


def test_city_admin_forgets_by_address_in_the_admin_form(client, city_admin):
    invitation = sent_invitation()
    client.force_login(city_admin)

    page = client.get(reverse("admin:surveys_contact_forget"))
    response = client.post(
        reverse("admin:surveys_contact_forget"), {"email": EMAIL.upper(), "phone": ""}
    )

    assert page.status_code == 200
    assert response.status_code == 302
    assert not still_there(invitation)
    listing = client.get(reverse("admin:surveys_contactdeletion_changelist"))
    assert listing.status_code == 200
    assert EMAIL not in listing.text


def test_staff_below_city_admin_cannot_forget(client, liaison):
    invitation = sent_invitation()
    client.force_login(liaison)

    page = client.post(reverse("admin:surveys_contact_forget"), {"email": EMAIL})

    assert page.status_code == 403
    assert still_there(invitation)


def test_forgetting_a_resident_removes_their_details_from_staff_notes(
    django_user_model,
):
    supervisor = django_user_model.objects.create_user("sam")
    invitation = sent_invitation()
    response = answered(invitation, days_ago=1)
    Response.objects.filter(pk=response.pk).update(satisfaction=25)
    response.refresh_from_db()
    case = open_review_case(response=response)
    add_note(case=case, text="Called (212) 555-0123, no answer.", actor=supervisor)
    close_case(
        case=case,
        resolution=ReviewCase.Resolution.NO_ACTION_POSSIBLE,
        note=f"Wrote to {EMAIL} instead.",
        actor=supervisor,
    )

    forget_resident(email=EMAIL, requested_through="command")

    case.refresh_from_db()
    assert case.resolution_note == "Wrote to [email removed] instead."
    notes = list(case.events.exclude(text="").values_list("text", flat=True))
    assert "Called [phone removed], no answer." in notes
    assert not any("555-0123" in note or EMAIL in note for note in notes)
