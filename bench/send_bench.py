"""Closures to sent survey invitations through a real two-process Celery worker.

    .venv/bin/python bench/send_bench.py [--closures 10000] [--json figures.json]

(`make bench-send` runs the same.) Needs PostgreSQL where it may create a database
(the server in DATABASE_URL, or postgres://postgres@127.0.0.1:5432/) and Redis
(CELERY_BROKER_URL, or redis://127.0.0.1:6379/3). It:

1. creates a scratch database `bench_send_<pid>` and migrates it;
2. makes --closures closed requests, each told a published resolution version,
   half of their residents with an email address and half with a mobile number;
3. throughput: starts `celery -A config worker --concurrency=2` with the
   in-memory email (Django's locmem) and SMS backends, closes every request in one
   `handle_closures` transaction, and times until every invitation is recorded
   sent. Scheduling, commit and queueing are inside the time;
4. kill and restart: the same with the file backends (so sends can be counted
   after a kill) and new requests; when half are sent the worker and its pool are
   killed with SIGKILL, a new worker is started, and when it has drained the queue
   the beat dispatcher's work is done once as it would be after the lease (settle
   the dead worker's claims, queue again the tasks lost with it). Then every
   message reference is counted in the backends' files: a duplicate is a
   reference sent more than once;
5. drops the scratch database and the files, also after an error or Ctrl-C.

Texts are allowed at any hour for the run (SURVEY_SMS_FIRST_HOUR=0, LAST_HOUR=24)
so the figures do not depend on the time of day.
"""

import argparse
import collections
import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT = Path(__file__).resolve().parent.parent
TARGET_PER_SECOND = 200


def server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        url = "postgres://postgres@127.0.0.1:5432/postgres"
    return url


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(with_database(url, "postgres"), autocommit=True) as conn:
        conn.execute(sql)


class Worker:
    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (our own command line)
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--concurrency=2",
                f"--prefetch-multiplier={self.env['BENCH_PREFETCH']}",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-Q",
                self.env["BENCH_QUEUE"],
                "-n",
                f"{self.env['BENCH_QUEUE']}@%h",
            ],
            cwd=PROJECT,
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        # At WARNING the worker logs nothing when ready: ask it.
        from config.celery import app

        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"The worker stopped:\n{self.log.read_text()}")
            replies = app.control.ping(
                destination=[f"{self.env['BENCH_QUEUE']}@{os.uname().nodename}"],
                timeout=0.5,
            )
            if replies:
                return
        raise SystemExit(f"The worker did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def _cpu_seconds(pid: int) -> float:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    # utime and stime, fields 14 and 15 of proc(5), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_tree(pid: int) -> list[int]:
    pids, index = [pid], 0
    while index < len(pids):
        children = Path(f"/proc/{pids[index]}/task/{pids[index]}/children")
        with contextlib.suppress(OSError):
            pids.extend(int(child) for child in children.read_text().split())
        index += 1
    return pids


class CpuMeter:
    """CPU seconds used by this process, the worker's processes and the database
    server's backends for the bench database (Linux, server on this machine).

    On a shared machine wall-clock rates depend on everyone else's load; the CPU
    spent per invitation does not, and gives the rate two idle cores would reach.
    Redis's own CPU is not counted.
    """

    def __init__(self, worker: "Worker") -> None:
        self.worker = worker
        self.start = self._snapshot()

    def _snapshot(self) -> dict[str, float]:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            )
            backends = [row[0] for row in cursor.fetchall()]
        usage = os.times()
        process = self.worker.process
        return {
            "bench": usage.user + usage.system,
            "worker": sum(_cpu_seconds(pid) for pid in _process_tree(process.pid))
            if process
            else 0.0,
            **{f"db-{pid}": _cpu_seconds(pid) for pid in backends},
        }

    def used(self) -> dict[str, float]:
        end = self._snapshot()
        spent = {key: end[key] - self.start.get(key, 0.0) for key in end}
        return {
            "closing_process": round(spent["bench"], 1),
            "worker": round(spent["worker"], 1),
            "database": round(
                sum(v for k, v in spent.items() if k.startswith("db-")), 1
            ),
        }


def make_closed_requests(count: int, *, first_key: int) -> list[int]:
    from django.utils import timezone

    from agencies.models import Agency, ServiceRequest
    from resolutions.models import DescriptionVersion, ResolutionDescription
    from surveys.models import Contact

    agency = Agency.objects.get(code="DSNY")
    description, created = ResolutionDescription.objects.get_or_create(
        agency=agency, title="Missed collection picked up"
    )
    if created:
        DescriptionVersion.objects.create(
            description=description,
            number=1,
            status=DescriptionVersion.Status.PUBLISHED,
            text="The Department of Sanitation collected the missed pickup.",
            sms_text="Sanitation collected the missed pickup.",
            published_at=timezone.now(),
        )
    now = timezone.now()
    keys = list(range(first_key, first_key + count))
    ServiceRequest.objects.bulk_create(
        [
            ServiceRequest(
                unique_key=key,
                status=ServiceRequest.Status.OPEN,
                created_at=now - timedelta(days=2),
                closed_at=now - timedelta(hours=1),
                agency=agency,
                resolution_description=description,
            )
            for key in keys
        ],
        batch_size=2000,
    )
    Contact.objects.bulk_create(
        [
            Contact(
                service_request_id=key,
                email=f"resident{key}@example.org" if key % 2 else "",
                email_consent=bool(key % 2),
                phone_e164="" if key % 2 else f"+1212{key % 10_000_000:07d}",
                sms_consent=not key % 2,
            )
            for key in keys
        ],
        batch_size=2000,
    )
    return keys


def close(keys: list[int]) -> float:
    from django.db import transaction

    from agencies.closures import handle_closures
    from agencies.models import ServiceRequest

    started = time.perf_counter()
    with transaction.atomic():
        requests = ServiceRequest.objects.filter(pk__in=keys)
        requests.update(status=ServiceRequest.Status.CLOSED)
        handle_closures(requests=ServiceRequest.objects.filter(pk__in=keys))
    return time.perf_counter() - started


def sent_among(keys: list[int]) -> int:
    from surveys.models import Message

    # The keys are consecutive: a range, not a list of 10,000 parameters, which
    # polled five times a second cost the machine as much as the worker.
    return Message.objects.filter(
        invitation__service_request_id__gte=keys[0],
        invitation__service_request_id__lte=keys[-1],
        purpose=Message.Purpose.INVITATION,
        status=Message.Status.SENT,
    ).count()


def wait_for(keys: list[int], count: int, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while sent_among(keys) < count:
        if time.monotonic() > deadline:
            raise SystemExit(f"Only {sent_among(keys)} of {count} sent in {timeout}s")
        time.sleep(0.5)


def count_sends(mail_dir: Path, sms_dir: Path) -> collections.Counter:
    sends: collections.Counter = collections.Counter()
    for path in sms_dir.glob("*.json"):
        sends[path.name.split("--")[0]] += 1
    for path in mail_dir.glob("*.log"):
        for reference in re.findall(
            r"^Message-ID: <(survey-message-\d+)@", path.read_text(), re.M
        ):
            sends[reference] += 1
    return sends


def throughput_run(env: dict[str, str], work: Path, count: int, reuse: str) -> dict:
    keys = make_closed_requests(count, first_key=10_000_000 + int(reuse) * 1_000_000)
    worker = Worker(
        env
        | {
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            "SMS_BACKEND": "surveys.sms.MemoryBackend",
            "CELERY_DB_REUSE_MAX": reuse,
        },
        work / f"worker-memory-{reuse}.log",
    )
    worker.start()
    try:
        load = os.getloadavg()[0]
        meter = CpuMeter(worker)
        started = time.perf_counter()
        closing = close(keys)
        wait_for(keys, count, timeout=1800)
        total = time.perf_counter() - started
        cpu = meter.used()
        load = max(load, os.getloadavg()[0])
    finally:
        worker.stop()
    cpu_ms = 1000 * sum(cpu.values()) / count
    return {
        "closures": count,
        "db_reuse_max": int(reuse),
        "closure_transaction_s": round(closing, 2),
        "total_s": round(total, 2),
        "invitations_per_s": round(count / total, 1),
        "sending_per_s": round(count / (total - closing), 1),
        "load_average_1min": round(load, 1),
        "cpu_s": cpu,
        "cpu_ms_per_invitation": round(cpu_ms, 2),
        # If the run had both cores to itself.
        "per_s_on_two_idle_cores": round(2000 / cpu_ms, 1) if cpu_ms else None,
    }


def kill_run(env: dict[str, str], work: Path, count: int) -> dict:
    from django.utils import timezone

    from surveys import sending
    from surveys.models import Message

    keys = make_closed_requests(count, first_key=20_000_000)
    worker = Worker(env, work / "worker-files.log")
    worker.start()
    try:
        close(keys)
        wait_for(keys, count // 2, timeout=1800)
        worker.kill()
        at_kill = sent_among(keys)
        interrupted = Message.objects.filter(status=Message.Status.SENDING).count()
        worker.start()
        # Drained when nothing more is sent for two seconds.
        last, still = -1, 0
        while still < 10:
            now_sent = sent_among(keys)
            still = still + 1 if now_sent == last else 0
            last = now_sent
            time.sleep(0.2)
        later = timezone.now() + sending.REQUEUE_AFTER + timedelta(minutes=1)
        dispatched = sending.dispatch_due_messages(now=later)
        wait_for(keys, count, timeout=600)
    finally:
        worker.stop()
    sends = count_sends(Path(env["EMAIL_FILE_PATH"]), Path(env["SMS_FILE_PATH"]))
    return {
        "closures": count,
        "sent_when_killed": at_kill,
        "claims_left_by_the_kill": interrupted,
        "settled_after_lease": dispatched.settled,
        "queued_again": dispatched.queued,
        "messages_sent": len(sends),
        "duplicates": sum(n - 1 for n in sends.values() if n > 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--closures", type=int, default=10_000)
    parser.add_argument(
        "--compare-db-reuse",
        action="store_true",
        help="also time a run with CELERY_DB_REUSE_MAX=0 (a connection per task)",
    )
    parser.add_argument(
        "--prefetch",
        type=int,
        # As in production (CELERY_WORKER_PREFETCH_MULTIPLIER): tasks carry
        # SEND_BATCH messages each, so one reserved task keeps a process busy.
        default=1,
        help="tasks each worker process reserves ahead (--prefetch-multiplier)",
    )
    parser.add_argument("--skip-kill", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    server = server_url()
    name = f"bench_send_{os.getpid()}"
    database = with_database(server, name)
    work = Path(tempfile.mkdtemp(prefix="send-bench-"))
    queue = "bench-send"
    env = os.environ | {
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # As in production: DEBUG keeps every query in memory and slows templates.
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "localhost",
        "DATABASE_URL": database,
        "CELERY_BROKER_URL": os.environ.get(
            "CELERY_BROKER_URL", "redis://127.0.0.1:6379/3"
        ),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "BENCH_QUEUE": queue,
        "BENCH_PREFETCH": str(args.prefetch),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(work / "mail"),
        "SMS_BACKEND": "surveys.sms.FileBackend",
        "SMS_FILE_PATH": str(work / "sms"),
        "SURVEY_SMS_FIRST_HOUR": "0",
        "SURVEY_SMS_LAST_HOUR": "24",
        "SURVEY_FREQUENCY_DAYS": "0",
        "LOG_LEVEL": "WARNING",
    }
    admin(server, f'CREATE DATABASE "{name}"')
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=PROJECT,
            env=env,
            check=True,
        )
        os.environ.update(env)
        sys.path.insert(0, str(PROJECT))
        import django

        django.setup()
        from config.celery import app

        app.conf.task_default_queue = queue
        # Tasks a worker killed by an earlier run held come back to the queue.
        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge(queue)

        figures: dict = {"runs": []}
        figures["runs"].append(throughput_run(env, work, args.closures, "1000"))
        if args.compare_db_reuse:
            figures["runs"].append(throughput_run(env, work, args.closures, "0"))
        if not args.skip_kill:
            figures["kill"] = kill_run(env, work, args.closures)
        report(figures)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
    finally:
        from django.db import connections

        connections.close_all()
        try:
            from config.celery import app

            with app.connection_for_write() as conn:
                conn.default_channel.queue_purge(queue)
        except Exception as error:  # cleanup must go on
            print(f"Could not purge the bench queue: {error}", file=sys.stderr)
        admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(work, ignore_errors=True)


def report(figures: dict) -> None:
    print(
        f"{'run':<34} {'closure s':>9} {'total s':>8} {'invit./s':>9} "
        f"{'sending/s':>9}  vs {TARGET_PER_SECOND}/s"
    )
    for run in figures["runs"]:
        verdict = "ok" if run["invitations_per_s"] >= TARGET_PER_SECOND else "MISS"
        print(
            f"{run['closures']:,} closures, DB_REUSE_MAX={run['db_reuse_max']:<5}"
            f"{run['closure_transaction_s']:>8.2f} {run['total_s']:>8.2f} "
            f"{run['invitations_per_s']:>9.1f} {run['sending_per_s']:>9.1f}  {verdict}"
        )
        print(
            f"  load average {run['load_average_1min']}; CPU s {run['cpu_s']}: "
            f"{run['cpu_ms_per_invitation']} ms per invitation, "
            f"{run['per_s_on_two_idle_cores']}/s on two idle cores"
        )
    kill = figures.get("kill")
    if kill:
        print(
            f"kill and restart: killed at {kill['sent_when_killed']:,} sent, "
            f"{kill['claims_left_by_the_kill']} claims left unfinished, "
            f"{kill['settled_after_lease']} settled after the lease, "
            f"{kill['queued_again']} queued again; {kill['messages_sent']:,} "
            f"messages sent, {kill['duplicates']} duplicates"
        )


if __name__ == "__main__":
    main()
