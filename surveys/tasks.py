"""Celery tasks of survey delivery and open data: thin interfaces over
surveys.sending and surveys.publication."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from surveys import retention, sending
from surveys.delivery import TransientSendError
from surveys.publication.services import publish_month
from surveys.review import services as review_services

logger = logging.getLogger(__name__)

# The retry policy for transient provider errors: wait this long before each
# retry, then give up and mark the message failed.
RETRY_DELAYS = (60, 5 * 60, 20 * 60, 60 * 60)
# A send that takes longer is stopped; SURVEY_SEND_LEASE_SECONDS must exceed it,
# so that a claim older than the lease can only belong to a dead worker.
SEND_TIME_LIMIT = 60
# Messages due together go to the worker in tasks of this many: queueing a task
# and running it cost a few milliseconds each, as much as a send, so one task per
# message would spend half the worker's time on Celery.
SEND_BATCH = 20
# A batch that has taken this long hands what is left to a new task, well inside
# the time limit (slow provider responses, not the normal case).
BATCH_TIME_BUDGET = SEND_TIME_LIMIT / 2


def task_id_for(message_id: int) -> str:
    """The same id on every queueing of one message: easy to follow in logs."""
    return f"surveys.send_message.{message_id}"


def batch_task_id_for(message_ids: list[int]) -> str:
    return f"surveys.send_messages.{message_ids[0]}+{len(message_ids) - 1}"


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    max_retries=len(RETRY_DELAYS),
    soft_time_limit=SEND_TIME_LIMIT - 10,
    time_limit=SEND_TIME_LIMIT,
)
def send_message(self, message_id: int) -> str:
    retries = self.request.retries or 0
    delay = RETRY_DELAYS[retries] if retries < len(RETRY_DELAYS) else None
    try:
        outcome = sending.send_message(
            message_id=message_id,
            retry_in=timedelta(seconds=delay) if delay is not None else None,
        )
    except TransientSendError as error:
        if self.request.is_eager:
            # No broker to hold the retry: the rescheduled message waits in the
            # database for the dispatcher (send_due_messages without a broker).
            return sending.Outcome.RETRY.value
        raise self.retry(exc=error, countdown=delay) from None
    return outcome.value


@shared_task(
    bind=True,
    acks_late=True,
    ignore_result=True,
    # The same limits as one send: a claim is never held longer than this.
    soft_time_limit=SEND_TIME_LIMIT - 10,
    time_limit=SEND_TIME_LIMIT,
)
def send_messages(self, message_ids: list[int]) -> dict[str, int]:
    """Send several messages, each exactly as `send_message` would.

    Each message is claimed for itself (surveys.sending.send_messages), so a batch
    delivered twice, or one that overlaps a single message's task, still sends
    every message once. A message that meets a transient error goes on with its
    own `send_message` task, with the same retry policy.
    """
    result = sending.send_messages(
        message_ids=message_ids,
        retry_in=timedelta(seconds=RETRY_DELAYS[0]),
        time_budget=BATCH_TIME_BUDGET,
    )
    if not self.request.is_eager:
        # Without a broker the dispatcher finds these in the database.
        for message_id in result.retry:
            send_message.apply_async(
                (message_id,),
                task_id=task_id_for(message_id),
                countdown=RETRY_DELAYS[0],
                # Its next retry waits RETRY_DELAYS[1], and so on.
                retries=1,
            )
        if result.left:
            logger.warning(
                "Batch slow: %d messages go on in a new task", len(result.left)
            )
            send_messages.apply_async(
                (result.left,), task_id=batch_task_id_for(result.left)
            )
    return dict(result.outcomes)


@shared_task(ignore_result=True)
def dispatch_due_messages() -> int:
    """Run by beat every minute: queue due messages, settle dead workers' claims."""
    return sending.dispatch_due_messages().queued


@shared_task(ignore_result=True)
def purge_expired_contacts() -> int:
    """Daily: delete contact details kept past SURVEY_CONTACT_RETENTION_DAYS."""
    return retention.purge_expired_contacts()


@shared_task(ignore_result=True)
def refresh_review_priorities() -> int:
    """Beat task: raise open review cases whose problem was reported again."""
    return review_services.refresh_review_priorities()


@shared_task(ignore_result=True, acks_late=True)
def refresh_dashboard_figures() -> int:
    """Rebuild the dashboards' figures (beat, every DASHBOARD_REFRESH_SECONDS)."""
    from surveys.dashboards.rollup import refresh_dashboard_figures as refresh

    return refresh().rows


@shared_task(ignore_result=True)
def publish_previous_month() -> str:
    """Beat, on the first of the month: publish last month's open data once."""
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    release, created = publish_month(month=last_month)
    return f"{release.slug} {'published' if created else 'already published'}"
