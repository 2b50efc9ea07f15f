"""Celery tasks of survey delivery: thin interfaces over surveys.sending."""

from datetime import timedelta

from celery import shared_task

from surveys import sending
from surveys.delivery import TransientSendError

# The retry policy for transient provider errors: wait this long before each
# retry, then give up and mark the message failed.
RETRY_DELAYS = (60, 5 * 60, 20 * 60, 60 * 60)
# A send that takes longer is stopped; SURVEY_SEND_LEASE_SECONDS must exceed it,
# so that a claim older than the lease can only belong to a dead worker.
SEND_TIME_LIMIT = 60


def task_id_for(message_id: int) -> str:
    """The same id on every queueing of one message: easy to follow in logs."""
    return f"surveys.send_message.{message_id}"


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


@shared_task(ignore_result=True)
def dispatch_due_messages() -> int:
    """Run by beat every minute: queue due messages, settle dead workers' claims."""
    return sending.dispatch_due_messages().queued
