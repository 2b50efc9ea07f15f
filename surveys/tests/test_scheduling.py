"""Closure rules: who is asked, on which channel, and when."""

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection, connections, transaction

from agencies.models import ServiceRequest
from agencies.quality import Flag
from surveys.addresses import address_digest
from surveys.models import Invitation, Message, Survey, SurveyVersion
from surveys.optouts import opt_out
from surveys.scheduling import next_sms_time, schedule_invitations
from surveys.tests.conftest import WEEKDAY_MORNING, make_contact, make_request

pytestmark = pytest.mark.django_db

Skip = Invitation.SkipReason
PHONE = "+12125550100"
EMAIL = "resident@example.org"


def schedule(*requests: ServiceRequest, now: datetime = WEEKDAY_MORNING):
    with transaction.atomic():
        return schedule_invitations(
            requests=ServiceRequest.objects.filter(pk__in=[r.pk for r in requests]),
            now=now,
        )


def invitation(service_request: ServiceRequest, channel: str) -> Invitation:
    return Invitation.objects.get(service_request=service_request, channel=channel)


def closed_at(hours_before: float = 1) -> datetime:
    return WEEKDAY_MORNING - timedelta(hours=hours_before)


def test_each_channel_with_an_address_gets_one_invitation_and_email_is_preferred():
    request = make_request(closed_at=closed_at())
    make_contact(request, email=EMAIL, phone=PHONE, language="es")

    schedule(request)

    email = invitation(request, "email")
    sms = invitation(request, "sms")
    assert email.status == Invitation.Status.SCHEDULED
    assert sms.status == Invitation.Status.SKIPPED
    assert sms.skip_reason == Skip.OTHER_CHANNEL
    assert sms.notes == "Sent by email instead."
    assert email.language == "es"
    assert email.address_digest == address_digest("email", EMAIL)
    assert email.closed_at == request.closed_at
    assert email.survey_version == Survey.objects.get(is_default=True).published_version
    assert set(email.messages.values_list("purpose", flat=True)) == {
        "invitation",
        "reminder",
    }
    assert not sms.messages.exists()


def test_sms_is_used_when_configured_as_preferred(settings):
    settings.SURVEY_PREFERRED_CHANNEL = "sms"
    request = make_request(closed_at=closed_at())
    make_contact(request, email=EMAIL, phone=PHONE)

    schedule(request)

    assert invitation(request, "sms").status == Invitation.Status.SCHEDULED
    assert invitation(request, "email").skip_reason == Skip.OTHER_CHANNEL


def test_a_repeated_closure_never_makes_a_second_invitation():
    request = make_request(closed_at=closed_at())
    make_contact(request, email=EMAIL)

    schedule(request)
    result = schedule(request, now=WEEKDAY_MORNING + timedelta(days=40))

    assert result.invitations == 0
    assert Invitation.objects.filter(service_request=request).count() == 1
    assert Message.objects.filter(invitation__service_request=request).count() == 2


def test_requests_without_contact_details_get_nothing():
    request = make_request(closed_at=closed_at())

    result = schedule(request)

    assert result.invitations == 0
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("fields", "reason", "note"),
    [
        ({"closed_at": None}, Skip.NO_CLOSED_DATE, "No closed date was published."),
        (
            {"closed_at": None, "raw_values": {"closed_at": "01/01/1900"}},
            Skip.IMPLAUSIBLE_CLOSED_DATE,
            "The published closed date could not be used by the import.",
        ),
        (
            {"closed_at": WEEKDAY_MORNING + timedelta(days=1)},
            Skip.IMPLAUSIBLE_CLOSED_DATE,
            "Closed date is in the future.",
        ),
        (
            {
                "closed_at": closed_at(),
                "created_at": WEEKDAY_MORNING - timedelta(minutes=5),
            },
            Skip.IMPLAUSIBLE_CLOSED_DATE,
            "Closed date is before the request was made.",
        ),
        (
            {"closed_at": WEEKDAY_MORNING - timedelta(days=15)},
            Skip.IMPLAUSIBLE_CLOSED_DATE,
            "Closed more than 14 days ago; too late to ask.",
        ),
        (
            {"closed_at": closed_at(), "quality_flags": Flag.CLOSED_BEFORE_CREATED},
            Skip.IMPLAUSIBLE_CLOSED_DATE,
            "The import flagged the closed date as before the created date.",
        ),
    ],
    ids=["unknown", "dropped", "future", "before_created", "too_old", "flagged"],
)
def test_an_unknown_or_implausible_closed_date_gets_no_survey(fields, reason, note):
    request = make_request(**fields)
    make_contact(request, email=EMAIL)

    schedule(request)

    skipped = invitation(request, "email")
    assert skipped.status == Invitation.Status.SKIPPED
    assert skipped.skip_reason == reason
    assert skipped.notes == note
    assert not skipped.messages.exists()


def test_no_published_survey_means_no_survey():
    SurveyVersion.objects.filter(status=SurveyVersion.Status.PUBLISHED).update(
        status=SurveyVersion.Status.RETIRED
    )
    request = make_request(closed_at=closed_at())
    make_contact(request, email=EMAIL)

    schedule(request)

    assert invitation(request, "email").skip_reason == Skip.NO_SURVEY


def test_channels_without_consent_or_with_an_unusable_number_are_skipped():
    request = make_request(closed_at=closed_at())
    make_contact(
        request,
        email=EMAIL,
        phone=PHONE,
        phone_problem="not_mobile",
    )
    request.contact.email_consent = False
    request.contact.save()

    schedule(request)

    assert invitation(request, "email").skip_reason == Skip.NO_CONSENT
    sms = invitation(request, "sms")
    assert sms.skip_reason == Skip.UNREACHABLE
    assert "cannot receive texts" in sms.notes


def test_an_opted_out_email_falls_back_to_sms_and_both_opted_out_gets_nothing():
    opt_out(channel="email", address=EMAIL.upper(), source="unsubscribe_link")
    first = make_request(closed_at=closed_at())
    make_contact(first, email=EMAIL, phone=PHONE)

    schedule(first)

    assert invitation(first, "email").skip_reason == Skip.OPTED_OUT
    assert invitation(first, "sms").status == Invitation.Status.SCHEDULED

    opt_out(channel="sms", address=PHONE, source="sms_keyword")
    second = make_request(closed_at=closed_at())
    make_contact(second, email=EMAIL, phone=PHONE)

    schedule(second)

    assert invitation(second, "sms").skip_reason == Skip.OPTED_OUT


def test_a_frequent_caller_is_asked_once_per_period(settings):
    settings.SURVEY_FREQUENCY_DAYS = 30
    first, same_batch, later, much_later = (
        make_request(closed_at=closed_at()) for _ in range(4)
    )
    for request in (first, same_batch, later, much_later):
        make_contact(request, email=EMAIL)

    schedule(first, same_batch)
    Invitation.objects.update(created_at=WEEKDAY_MORNING)
    for request, days in ((later, 29), (much_later, 31)):
        request.closed_at = WEEKDAY_MORNING + timedelta(days=days)
        request.save()
        schedule(request, now=request.closed_at + timedelta(hours=1))

    statuses = [
        invitation(r, "email").status for r in (first, same_batch, later, much_later)
    ]
    assert statuses == ["scheduled", "skipped", "skipped", "scheduled"]
    assert invitation(later, "email").skip_reason == Skip.RECENTLY_SURVEYED
    assert invitation(later, "email").notes == (
        "Already asked in the last 30 days (frequent caller)."
    )


def test_the_invitation_is_due_after_the_configured_delay(settings):
    settings.SURVEY_DELAY_MINUTES = 90
    request = make_request(closed_at=closed_at(hours_before=0.5))
    make_contact(request, email=EMAIL)

    result = schedule(request)

    message = Message.objects.get(purpose="invitation")
    assert message.send_after == request.closed_at + timedelta(minutes=90)
    assert result.due_now == []
    assert message.enqueued_at is None


def test_the_reminder_comes_the_configured_days_later_and_can_be_turned_off(settings):
    settings.SURVEY_REMINDER_DAYS = 5
    request = make_request(closed_at=closed_at())
    make_contact(request, email=EMAIL)
    settings.SURVEY_REMINDER_DAYS = 0
    no_reminder = make_request(closed_at=closed_at())
    make_contact(no_reminder, email="other@example.org")

    settings.SURVEY_REMINDER_DAYS = 5
    schedule(request)
    settings.SURVEY_REMINDER_DAYS = 0
    schedule(no_reminder)

    reminder = Message.objects.get(
        invitation__service_request=request, purpose="reminder"
    )
    assert reminder.send_after == WEEKDAY_MORNING + timedelta(days=5)
    assert not Message.objects.filter(
        invitation__service_request=no_reminder, purpose="reminder"
    ).exists()


# --- Quiet hours ---------------------------------------------------------------------

NEW_YORK_EVENING = datetime(2026, 3, 3, 2, 30, tzinfo=UTC)  # 21:30 EST on 2 March


def test_a_text_closed_in_the_evening_is_held_to_nine_the_next_morning():
    request = make_request(closed_at=NEW_YORK_EVENING - timedelta(minutes=5))
    make_contact(request, phone=PHONE)

    result = schedule(request, now=NEW_YORK_EVENING)

    sms = invitation(request, "sms")
    message = sms.messages.get(purpose="invitation")
    assert message.send_after == datetime(2026, 3, 3, 14, 0, tzinfo=UTC)
    assert sms.notes == (
        "Held to 09:00 on Tue Mar 3 for quiet hours (texts only 09:00-20:00 New "
        "York time)."
    )
    assert result.due_now == []


def test_email_is_not_held_for_quiet_hours():
    request = make_request(closed_at=NEW_YORK_EVENING - timedelta(minutes=5))
    make_contact(request, email=EMAIL)

    result = schedule(request, now=NEW_YORK_EVENING)

    assert invitation(request, "email").notes == ""
    assert len(result.due_now) == 1


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        # Saturday 7 March 2026, 21:30 EST; clocks spring forward at 02:00 on the 8th:
        # 09:00 EDT is 13:00 UTC.
        (
            datetime(2026, 3, 8, 2, 30, tzinfo=UTC),
            datetime(2026, 3, 8, 13, 0, tzinfo=UTC),
        ),
        # 01:30 EST on the 8th, just before the change: the same morning.
        (
            datetime(2026, 3, 8, 6, 30, tzinfo=UTC),
            datetime(2026, 3, 8, 13, 0, tzinfo=UTC),
        ),
        # 08:59 EDT on the 8th: held one minute, not an hour and a minute.
        (
            datetime(2026, 3, 8, 12, 59, tzinfo=UTC),
            datetime(2026, 3, 8, 13, 0, tzinfo=UTC),
        ),
        # 19:59 EDT on the 8th is still inside the window (23:59 UTC).
        (
            datetime(2026, 3, 8, 23, 59, tzinfo=UTC),
            datetime(2026, 3, 8, 23, 59, tzinfo=UTC),
        ),
        # Saturday 31 October 2026, 22:00 EDT; clocks fall back at 02:00 on 1
        # November: 09:00 EST is 14:00 UTC.
        (
            datetime(2026, 11, 1, 2, 0, tzinfo=UTC),
            datetime(2026, 11, 1, 14, 0, tzinfo=UTC),
        ),
        # 01:30 in the repeated hour, both times.
        (
            datetime(2026, 11, 1, 5, 30, tzinfo=UTC),
            datetime(2026, 11, 1, 14, 0, tzinfo=UTC),
        ),
        (
            datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
            datetime(2026, 11, 1, 14, 0, tzinfo=UTC),
        ),
        # 20:00 EST on 1 November (01:00 UTC on the 2nd) is outside: next morning.
        (
            datetime(2026, 11, 2, 1, 0, tzinfo=UTC),
            datetime(2026, 11, 2, 14, 0, tzinfo=UTC),
        ),
        # 19:30 EST on 1 November would be 20:30 EDT the day before: still allowed.
        (
            datetime(2026, 11, 2, 0, 30, tzinfo=UTC),
            datetime(2026, 11, 2, 0, 30, tzinfo=UTC),
        ),
    ],
)
def test_quiet_hours_follow_new_york_time_across_clock_changes(now, expected):
    assert next_sms_time(now) == expected


def test_a_text_reminder_stays_in_the_window_across_the_march_change(settings):
    settings.SURVEY_REMINDER_DAYS = 3
    # 19:30 EST on Thursday 5 March; three days later is after the change.
    now = datetime(2026, 3, 6, 0, 30, tzinfo=UTC)
    request = make_request(closed_at=now - timedelta(minutes=1))
    make_contact(request, phone=PHONE)

    schedule(request, now=now)

    messages = Message.objects.filter(invitation__service_request=request)
    assert messages.get(purpose="invitation").send_after == now
    # 19:30 EDT on Sunday 8 March: the same wall-clock time, inside the window,
    # where 72 hours later would be 20:30 EDT.
    assert messages.get(purpose="reminder").send_after == datetime(
        2026, 3, 8, 23, 30, tzinfo=UTC
    )


def test_a_configured_window_is_respected(settings):
    settings.SURVEY_SMS_FIRST_HOUR = 10
    settings.SURVEY_SMS_LAST_HOUR = 18

    assert next_sms_time(datetime(2026, 6, 1, 13, 30, tzinfo=UTC)) == datetime(
        2026, 6, 1, 14, 0, tzinfo=UTC
    )
    assert next_sms_time(datetime(2026, 6, 1, 22, 0, tzinfo=UTC)) == datetime(
        2026, 6, 2, 14, 0, tzinfo=UTC
    )


def test_a_closure_a_few_minutes_ahead_of_our_clock_is_still_surveyed():
    request = make_request(closed_at=WEEKDAY_MORNING + timedelta(minutes=5))
    make_contact(request, email=EMAIL)

    schedule(request)

    invited = invitation(request, "email")
    assert invited.status == Invitation.Status.SCHEDULED
    assert invited.messages.get(purpose="invitation").send_after == (request.closed_at)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_closures_for_one_resident_at_once_ask_them_once(settings):
    if connection.vendor != "postgresql":
        pytest.skip("the address lock is PostgreSQL's")
    settings.SURVEY_FREQUENCY_DAYS = 30
    requests = [make_request(closed_at=closed_at()) for _ in range(2)]
    for request in requests:
        make_contact(request, email=EMAIL)
    start = threading.Barrier(2)
    errors = []

    def close(request: ServiceRequest) -> None:
        try:
            with transaction.atomic():
                start.wait()
                schedule_invitations(
                    requests=ServiceRequest.objects.filter(pk=request.pk),
                    now=WEEKDAY_MORNING,
                )
                # Hold the transaction open so that the two overlap.
                time.sleep(0.3)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=close, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    # The first is asked (and, committed, handed to the sender at once); the
    # second waited for it and found the resident already asked.
    reasons = sorted(invitation(r, "email").skip_reason for r in requests)
    assert reasons == ["", Skip.RECENTLY_SURVEYED]
