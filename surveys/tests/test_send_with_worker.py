"""Sending through a real Celery worker on Redis, against the test database.

The worker is `celery -A config worker` in a subprocess, with Django's file email
backend and the SMS file backend, so what it sent can be counted from here even
after it is killed. Skipped without a reachable CELERY_BROKER_URL, except in CI.
"""

import collections
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.utils import timezone

from agencies.closures import handle_closures
from agencies.models import ServiceRequest
from config.celery import app as celery_app
from surveys import sending
from surveys.models import Message
from surveys.tasks import send_message, task_id_for
from surveys.tests.conftest import make_contact, make_request

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PROJECT = Path(django_settings.BASE_DIR)


def _broker_url() -> str:
    url = os.environ.get("CELERY_BROKER_URL", "")
    reason = ""
    if not url.startswith("redis"):
        reason = "CELERY_BROKER_URL does not name a Redis broker"
    else:
        import redis

        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.RedisError as error:
            reason = f"Redis at CELERY_BROKER_URL is unreachable ({error})"
    if reason:
        # CI starts Redis, so there a missing broker is a broken setup.
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return url


@dataclass
class Worker:
    """A worker subprocess and the folders its backends write to."""

    env: dict[str, str]
    queue: str
    log: Path
    mail_dir: Path
    sms_dir: Path
    process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log.open("a")
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=prefork",
                "--concurrency=2",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.queue,
                "-n",
                f"{self.queue}@%h",
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: a kill reaches the pool's children too.
            start_new_session=True,
        )
        ready_lines = self.log.read_text().count(" ready.") + 1
        deadline = time.monotonic() + 60
        while self.log.read_text().count(" ready.") < ready_lines:
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"The worker did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def sends_per_reference(self) -> collections.Counter:
        """How many times each message reference reached a backend."""
        sent: collections.Counter = collections.Counter()
        for path in self.sms_dir.glob("*.json"):
            sent[path.name.split("--")[0]] += 1
        for path in self.mail_dir.glob("*.log"):
            for reference in re.findall(
                r"^Message-ID: <(survey-message-\d+)@", path.read_text(), re.M
            ):
                sent[reference] += 1
        return sent


@pytest.fixture
def worker(
    tmp_path, settings, transactional_db, django_db_serialized_rollback
) -> Iterator[Worker]:
    url = _broker_url()
    # One fixed name, purged before and after, so nothing piles up in Redis (tasks a
    # killed worker held come back to it after the visibility timeout).
    queue = "surveys-test-worker"
    db = connection.settings_dict
    mail_dir, sms_dir = tmp_path / "mail", tmp_path / "sms"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": url,
        "EMAIL_BACKEND": "surveys.tests.backends.SlowFileEmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
        "SMS_BACKEND": "surveys.tests.backends.SlowFileBackend",
        "SMS_FILE_PATH": str(sms_dir),
        "SURVEY_SMS_FIRST_HOUR": "0",
        "SURVEY_SMS_LAST_HOUR": "24",
    }
    if connection.vendor != "postgresql":
        pytest.skip("the worker needs the PostgreSQL test database to share")

    # This process queues tasks on the same broker and queue, and reads the same
    # backends when settling claims.
    settings.EMAIL_BACKEND = env["EMAIL_BACKEND"]
    settings.EMAIL_FILE_PATH = mail_dir
    settings.SMS_BACKEND = env["SMS_BACKEND"]
    settings.SMS_FILE_PATH = sms_dir
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    saved = {
        key: celery_app.conf[key]
        for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    celery_app.conf.update(
        broker_url=url, task_always_eager=False, task_default_queue=queue
    )
    _reset_broker_pools()

    worker = Worker(
        env=env,
        queue=queue,
        log=tmp_path / "worker.log",
        **{
            "mail_dir": mail_dir,
            "sms_dir": sms_dir,
        },
    )
    with celery_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(queue)
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()
        with celery_app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)
        celery_app.conf.update(saved)
        _reset_broker_pools()


def _reset_broker_pools() -> None:
    # The app keeps connection pools made for the broker it had before.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def closed_requests(count: int) -> list[ServiceRequest]:
    """Closed requests of residents who gave an email or a number, alternately."""
    requests = []
    for n in range(count):
        request = make_request()
        if n % 2:
            make_contact(request, phone=f"+1212555{n:04d}")
        else:
            make_contact(request, email=f"resident{n}@example.org")
        requests.append(request)
    return requests


def close(requests: list[ServiceRequest]) -> None:
    with transaction.atomic():
        handle_closures(
            requests=ServiceRequest.objects.filter(pk__in=[r.pk for r in requests])
        )


def wait_until(condition: Callable[[], bool], *, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the worker")
        time.sleep(0.2)


def invitations_sent() -> int:
    return Message.objects.filter(
        purpose=Message.Purpose.INVITATION, status=Message.Status.SENT
    ).count()


def test_a_closure_reaches_the_outbox_through_the_worker(worker):
    [request] = closed_requests(1)

    close([request])

    wait_until(lambda: invitations_sent() == 1)
    message = Message.objects.get(purpose=Message.Purpose.INVITATION)
    assert worker.sends_per_reference() == {f"survey-message-{message.pk}": 1}
    assert message.provider_message_id.startswith("<survey-message-")
    assert message.invitation.status == "sent"


def test_a_task_delivered_twice_sends_once(worker):
    [email_request, sms_request] = closed_requests(2)
    close([email_request, sms_request])
    ids = list(
        Message.objects.filter(purpose=Message.Purpose.INVITATION).values_list(
            "pk", flat=True
        )
    )

    for message_id in ids:
        for _ in range(2):
            send_message.apply_async((message_id,), task_id=task_id_for(message_id))

    wait_until(lambda: invitations_sent() == 2)
    # Each message: the batch queued at closure and the two copies all ran; two of
    # the three found it claimed (sending or already sent), whichever came first.
    wait_until(lambda: times_not_claimed(worker.log.read_text(), ids) == [2, 2])
    assert worker.sends_per_reference() == {f"survey-message-{pk}": 1 for pk in ids}


def times_not_claimed(log: str, ids: list[int]) -> list[int]:
    """How often each message was found claimed: by a single-message task
    ("Message 7 not claimed") or within a batch ("Messages [7, 8] not claimed")."""
    batches = [
        {int(pk) for pk in found.split(",")}
        for found in re.findall(r"Messages \[([\d, ]+)\] not claimed", log)
    ]
    return [
        log.count(f"Message {pk} not claimed") + sum(pk in batch for batch in batches)
        for pk in ids
    ]


def test_a_worker_killed_mid_batch_and_restarted_sends_each_message_once(worker):
    requests = closed_requests(200)

    close(requests)
    # Killed while a send is under way, so a claim is left unfinished.
    wait_until(
        lambda: (
            invitations_sent() >= 40
            and Message.objects.filter(status=Message.Status.SENDING).exists()
        )
    )
    worker.kill()

    interrupted = Message.objects.filter(status=Message.Status.SENDING).count()
    unsent = Message.objects.filter(
        purpose=Message.Purpose.INVITATION, status=Message.Status.SCHEDULED
    ).count()
    assert unsent > 0

    worker.start()
    # The restarted worker drains what is left in the queue; the tasks the killed
    # one held unacknowledged stay with the broker for its visibility timeout.
    settled_counts = []

    def idle() -> bool:
        settled_counts.append(invitations_sent())
        return len(settled_counts) > 10 and len(set(settled_counts[-10:])) == 1

    wait_until(idle, seconds=120)
    # What the beat dispatcher does once the lease has run out: settle the dead
    # workers' claims and queue again the tasks that were lost with them.
    later = timezone.now() + sending.REQUEUE_AFTER + timedelta(minutes=1)
    result = sending.dispatch_due_messages(now=later)
    assert result.settled == interrupted

    wait_until(lambda: invitations_sent() == 200, seconds=120)
    sent = worker.sends_per_reference()
    assert len(sent) == 200
    assert set(sent.values()) == {1}


def test_a_closure_rolled_back_sends_nothing(worker):
    [rolled_back, committed] = closed_requests(2)

    with pytest.raises(RuntimeError), transaction.atomic():
        handle_closures(requests=ServiceRequest.objects.filter(pk=rolled_back.pk))
        raise RuntimeError("the import failed after the closure")
    close([committed])

    # The committed closure is sent, so the worker was there to send the other.
    wait_until(lambda: invitations_sent() == 1)
    time.sleep(1)
    sent = Message.objects.get(status=Message.Status.SENT)
    assert sent.invitation.service_request_id == committed.pk
    assert worker.sends_per_reference() == {f"survey-message-{sent.pk}": 1}
    assert not Message.objects.filter(invitation__service_request=rolled_back).exists()
