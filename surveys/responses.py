"""Recording a resident's answers: once per invitation, whatever the browser does."""

import enum
import logging
from collections.abc import Mapping
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone

from surveys.models import Answer, Invitation, Message, Question, Response
from surveys.publication.comments import queue_for_review
from surveys.review.services import open_review_case, review_completed_answers
from surveys.scales import score_of

logger = logging.getLogger(__name__)

AnswerValue = str | list[str]


class Outcome(enum.Enum):
    CREATED = "created"
    # An SMS reply had answered the first question; the web form added the rest.
    COMPLETED = "completed"
    ALREADY_RECEIVED = "already_received"


def record_response(
    *,
    invitation: Invitation,
    answers: Mapping[str, AnswerValue],
    language: str,
    channel: str,
    is_complete: bool = True,
    answered_at: datetime | None = None,
) -> tuple[Response, Outcome]:
    """Store the answers, keyed by question key, as the invitation's one response.

    Answers must already be valid for the invitation's survey version (the form or
    the SMS parser checks them). A second submission, a refresh or a parallel post
    returns the stored response with ALREADY_RECEIVED and changes nothing, except
    that a response started by SMS can be completed once on the web.

    A response whose answers need a supervisor opens its review case in the same
    transaction. `answered_at` is for simulated answers; real ones are now.
    """
    try:
        with transaction.atomic():
            # Serialises parallel posts for one invitation on PostgreSQL; the unique
            # constraint on Response.invitation is the guarantee everywhere.
            locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
            existing = Response.objects.filter(invitation=locked).first()
            if existing is not None:
                if existing.is_complete or not is_complete:
                    return existing, Outcome.ALREADY_RECEIVED
                _save_answers(existing, answers, is_complete=True)
                review_completed_answers(response=existing)
                logger.info("Response %s completed on the web", existing.pk)
                return existing, Outcome.COMPLETED

            response = Response(
                invitation=locked,
                survey_version_id=locked.survey_version_id,
                language=language,
                channel=channel,
                is_simulated=locked.is_simulated,
                submitted_at=answered_at or timezone.now(),
            )
            response.save()
            _save_answers(response, answers, is_complete=is_complete)
            open_review_case(response=response, opened_at=response.submitted_at)

            now = response.submitted_at
            Invitation.objects.filter(pk=locked.pk).update(
                status=Invitation.Status.ANSWERED, answered_at=now
            )
            # An answered survey needs no reminder.
            Message.objects.filter(
                invitation=locked, status=Message.Status.SCHEDULED
            ).update(status=Message.Status.CANCELLED, error="Answered before sending.")
            logger.info(
                "Response %s recorded for invitation %s by %s",
                response.pk,
                locked.pk,
                channel,
            )
            return response, Outcome.CREATED
    except IntegrityError:
        # Another request stored the response between our check and insert.
        return Response.objects.get(invitation=invitation), Outcome.ALREADY_RECEIVED


def _save_answers(
    response: Response, answers: Mapping[str, AnswerValue], *, is_complete: bool
) -> None:
    questions = {
        q.key: q for q in Question.objects.filter(version_id=response.survey_version_id)
    }
    unknown = set(answers) - set(questions)
    if unknown:
        raise ValueError(f"No such questions in this survey: {sorted(unknown)}")

    rows = []
    for key, value in answers.items():
        question = questions[key]
        if question.kind == Question.Kind.TEXT:
            values, text = [], str(value)
        else:
            # A value ticked twice (a form posted with it twice) counts once.
            values = [value] if isinstance(value, str) else list(dict.fromkeys(value))
            text = ""
        rows.append(
            Answer(response=response, question=question, values=values, text=text)
        )
        _copy_headline(response, key, values)
    # One statement; a web form completing an SMS-started response overwrites
    # the answer it already had (answer_unique_question).
    Answer.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["response", "question"],
        update_fields=["values", "text"],
    )
    # Comments wait for a city administrator, already redacted, before any
    # publication.
    queue_for_review(
        answers=Answer.objects.filter(
            response=response, question__kind=Question.Kind.TEXT
        ).exclude(text="")
    )

    response.is_complete = is_complete
    response.save()


def _copy_headline(response: Response, key: str, values: list[str]) -> None:
    first = values[0] if values else ""
    if key == "satisfaction":
        response.satisfaction = score_of(first)
    elif key == "fixed":
        response.fixed = first
    elif key == "reopen":
        response.wants_reopen = {"yes": True, "no": False}.get(first)
