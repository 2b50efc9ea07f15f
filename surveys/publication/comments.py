"""Residents' free-text answers, queued for review with their details removed."""

import logging
from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from surveys.models import Answer, CommentReview, Question
from surveys.publication.redaction import redact_comment

logger = logging.getLogger(__name__)


def queue_for_review(*, answers: Iterable[Answer]) -> int:
    """A pending review, with the redacted text, for each non-empty comment.

    A comment that changed (an SMS response completed on the web) goes back to
    pending with its new redacted text. Returns how many were queued.
    """
    queued = 0
    for answer in answers:
        if not answer.text.strip():
            continue
        redacted = redact_comment(answer.text)
        review, created = CommentReview.objects.get_or_create(
            answer=answer, defaults={"redacted_text": redacted}
        )
        if not created and review.redacted_text != redacted:
            review.redacted_text = redacted
            review.status = CommentReview.Status.PENDING
            review.reviewed_by = None
            review.reviewed_at = None
            review.save()
        queued += 1
    return queued


def queue_missing_reviews(*, submitted_from: datetime, submitted_to: datetime) -> int:
    """Queue the comments of responses submitted in the period that have none."""
    answers = Answer.objects.filter(
        question__kind=Question.Kind.TEXT,
        response__submitted_at__gte=submitted_from,
        response__submitted_at__lt=submitted_to,
        comment_review__isnull=True,
    ).exclude(text="")
    with transaction.atomic():
        queued = queue_for_review(answers=answers.iterator(chunk_size=1000))
    if queued:
        logger.info("queued %s comments for review", queued)
    return queued


def review_comments(*, reviews, approve: bool, reviewer) -> int:
    """Approve or withhold comments; returns how many changed."""
    status = CommentReview.Status.APPROVED if approve else CommentReview.Status.WITHHELD
    changed = reviews.exclude(status=status).update(
        status=status, reviewed_by=reviewer, reviewed_at=timezone.now()
    )
    logger.info(
        "%s %s comments by user %s",
        "approved" if approve else "withheld",
        changed,
        reviewer.pk,
    )
    return changed
