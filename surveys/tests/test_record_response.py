import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from surveys.models import Answer, Invitation, Message, Response
from surveys.responses import Outcome, record_response

pytestmark = pytest.mark.django_db

ANSWERS = {"satisfaction": "strongly_disagree", "fixed": "no", "reopen": "yes"}


def record(invitation, answers=ANSWERS, **kwargs):
    return record_response(
        invitation=invitation,
        answers=answers,
        language=kwargs.pop("language", "en"),
        channel=kwargs.pop("channel", "email"),
        **kwargs,
    )


def test_first_answers_become_the_invitations_response(invitation):
    response, outcome = record(invitation)
    invitation.refresh_from_db()

    assert outcome is Outcome.CREATED
    assert response.satisfaction == 0
    assert response.fixed == "no"
    assert response.wants_reopen is True
    assert response.is_complete
    assert invitation.status == Invitation.Status.ANSWERED
    assert invitation.answered_at is not None
    assert Answer.objects.filter(response=response).count() == 3


def test_second_submission_changes_nothing(invitation):
    first, _ = record(invitation)

    again, outcome = record(invitation, {"satisfaction": "strongly_agree"})

    assert outcome is Outcome.ALREADY_RECEIVED
    assert again.pk == first.pk
    assert Response.objects.get().satisfaction == 0
    assert Answer.objects.count() == 3


def test_answering_cancels_the_scheduled_reminder(invitation):
    reminder = Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.REMINDER,
        send_after=invitation.sent_at + timedelta(days=3),
    )

    record(invitation)
    reminder.refresh_from_db()

    assert reminder.status == Message.Status.CANCELLED


def test_text_message_answer_is_completed_once_on_the_web(make_invitation):
    invitation = make_invitation(channel="sms")
    started, started_outcome = record(
        invitation, {"satisfaction": "agree"}, channel="sms", is_complete=False
    )

    completed, outcome = record(invitation, {"satisfaction": "agree", "fixed": "yes"})
    _, third_outcome = record(invitation, {"fixed": "no"})

    assert started_outcome is Outcome.CREATED
    assert not started.is_complete
    assert outcome is Outcome.COMPLETED
    assert completed.pk == started.pk
    assert Response.objects.get().is_complete
    assert Response.objects.get().fixed == "yes"
    assert third_outcome is Outcome.ALREADY_RECEIVED


def test_a_second_text_reply_does_not_overwrite_the_first(make_invitation):
    invitation = make_invitation(channel="sms")
    record(invitation, {"satisfaction": "agree"}, channel="sms", is_complete=False)

    _, outcome = record(
        invitation, {"satisfaction": "disagree"}, channel="sms", is_complete=False
    )

    assert outcome is Outcome.ALREADY_RECEIVED
    assert Response.objects.get().satisfaction == 75


def test_unknown_question_is_refused_and_nothing_is_stored(invitation):
    with pytest.raises(ValueError, match="no_such_question"):
        record(invitation, {"satisfaction": "agree", "no_such_question": "x"})

    assert not Response.objects.exists()
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_submissions_store_one_response(make_invitation):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    invitation = make_invitation()
    start = threading.Barrier(4)
    outcomes = []

    def submit(satisfaction: str) -> None:
        try:
            start.wait()
            _, outcome = record(invitation, {"satisfaction": satisfaction})
            outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=submit, args=(value,))
        for value in ("agree", "disagree", "neutral", "strongly_agree")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(o.value for o in outcomes) == [
        "already_received",
        "already_received",
        "already_received",
        "created",
    ]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert Answer.objects.filter(response__invitation=invitation).count() == 1
