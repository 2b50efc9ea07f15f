"""Benchmark the survey page under gunicorn against a bare Django view.

Run from the repository root with the project's virtualenv (`make bench-page`):

    .venv/bin/python bench/survey_page_bench.py [--duration 20] [--connections 64]

It creates a scratch PostgreSQL database (on the server in DATABASE_URL, or
postgres://postgres@127.0.0.1:5432/), migrates it, makes two invitations to the
seeded default survey, and serves the site with gunicorn (2 sync workers, DEBUG
off, database connections kept open, the survey link look-up prepared after 5
runs unless DATABASE_PREPARE_THRESHOLD says otherwise) on a free loopback port. Then wrk, at
`--connections` connections, loads in turn:

1. the bare view: a view returning "ok" behind the same middleware and settings;
   then, for reference only, a view answering with a body as long as the survey
   page, and one that also does the survey link's one database look-up first;
2. GET of the survey page of an unanswered invitation (the full form, rendered);
3. POST of a complete answer with a CSRF token to the other invitation: the first
   post records the response, every later one gets the "already received" page,
   which is what a double click, refresh or back button produces.

Rate limits stay on (with counts in the local-memory cache, or REDIS_CACHE_URL
when set) but are raised far above the load. It prints requests per second and the
99th percentile latency of each, and compares them with the targets: at least half
the bare view's requests per second, and p99 under 100 ms. The scratch database is
dropped at the end, also after an error or Ctrl-C. It needs `wrk` (apt-get install
wrk).
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from import_bench import (  # noqa: E402
    BenchError,
    create_database,
    drop_database,
    server_url,
)

TARGET_RATIO = 0.5
TARGET_P99_MS = 100.0
ANSWERS = {
    "satisfaction": "agree",
    "fixed": "yes",
    "explanation_clear": "strongly_agree",
    "reopen": "no",
    "comment": "The heat came back the same day.",
}
# Far above anything the run can reach, so the limits are counted, never hit.
UNLIMITED = "100000000/h"

POST_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Cookie"] = {cookie}
wrk.headers["Referer"] = {referer}
"""


@dataclass
class Result:
    name: str
    requests_per_second: float
    p99_ms: float
    errors: int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per load")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--worker-threads",
        type=int,
        default=1,
        help="threads per gunicorn worker (more than 1: the gthread worker class)",
    )
    args = parser.parse_args(argv)

    if shutil.which("wrk") is None:
        print("survey_page_bench: wrk not found (apt-get install wrk)", file=sys.stderr)
        return 2
    server = server_url(os.environ.get("DATABASE_URL", ""))
    database = f"bench_page_{os.getpid()}"
    try:
        database_url = create_database(server, database)
    except BenchError as error:
        print(f"survey_page_bench: {error}", file=sys.stderr)
        return 2
    try:
        return run(args, database_url)
    except BenchError as error:
        print(f"survey_page_bench: {error}", file=sys.stderr)
        return 1
    finally:
        drop_database(server, database)


def run(args, database_url: str) -> int:
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.page_settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database_url,
        "SITE_URL": f"http://127.0.0.1:{port}",
        "LOG_LEVEL": "WARNING",
        # PostgreSQL keeps the survey link look-up's plan (README); 0 turns it off.
        "DATABASE_PREPARE_THRESHOLD": prepare_threshold(),
        "SURVEY_RATE_POST_PER_TOKEN": UNLIMITED,
        "SURVEY_RATE_POST_PER_IP": UNLIMITED,
        "SURVEY_RATE_GET_PER_TOKEN": UNLIMITED,
        "SURVEY_RATE_GET_PER_IP": UNLIMITED,
    }
    python = sys.executable
    print("migrating a scratch database ...", flush=True)
    _check(
        subprocess.run(  # noqa: S603 (our own fixed commands)
            [python, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        ),
        "migrate",
    )
    made = _check(
        subprocess.run(  # noqa: S603 (our own fixed commands)
            [python, "-c", MAKE_INVITATIONS],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
        ),
        "making invitations",
    )
    get_token, post_token = made.stdout.split()

    gunicorn = subprocess.Popen(  # noqa: S603 (our own fixed commands)
        [
            str(Path(python).parent / "gunicorn"),
            "config.wsgi",
            "--workers",
            str(args.workers),
            "--threads",
            str(args.worker_threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ],
        cwd=REPO,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/bench/bare/")
        survey_get = f"{base}/s/{get_token}/"
        survey_post = f"{base}/s/{post_token}/"
        script = _post_script(survey_post)
        # Warm both workers' caches (templates, the loaded survey) before timing.
        _run_wrk(survey_get, args, seconds=3)
        _run_wrk(survey_post, args, seconds=3, script=script)
        results = [
            _run_wrk(f"{base}/bench/bare/", args, name="bare Django view"),
            _run_wrk(f"{base}/bench/page-sized/", args, name="page-sized body"),
            _run_wrk(
                f"{base}/bench/one-query/{get_token}/",
                args,
                name="one look-up only",
            ),
            _run_wrk(survey_get, args, name="survey page GET"),
            _run_wrk(survey_post, args, name="survey page POST", script=script),
        ]
    finally:
        gunicorn.terminate()
        try:
            gunicorn.wait(timeout=10)
        except subprocess.TimeoutExpired:
            gunicorn.kill()
        if "script" in locals():
            os.unlink(script)

    return _report(results, args)


MAKE_INVITATIONS = """
import django
django.setup()
from datetime import timedelta
from django.utils import timezone
from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import DescriptionVersion, ResolutionDescription
from resolutions.services import record_resolutions_told
from surveys.models import Contact, Invitation, Survey

hpd = Agency.objects.get(code="HPD")
description = ResolutionDescription.objects.create(agency=hpd, title="Heat restored")
DescriptionVersion.objects.create(
    description=description, number=1, status="published", published_at=timezone.now(),
    text="An inspector visited the building on {closed_date} and the owner restored "
    "the heat. If the heat goes out again, call 311.",
)
version = Survey.objects.get(is_default=True).published_version
heat = ComplaintType.objects.get_or_create(agency=hpd, name="HEAT/HOT WATER")[0]
now = timezone.now()
for key in (90000001, 90000002):
    request = ServiceRequest.objects.create(
        unique_key=key, created_at=now - timedelta(days=3), closed_at=now,
        status="Closed", agency=hpd, complaint_type=heat,
        resolution_description=description,
    )
    record_resolutions_told(requests=ServiceRequest.objects.filter(pk=request.pk))
    contact = Contact.objects.create(
        service_request=request, email=f"bench{key}@example.org", is_fake=True,
        email_consent=True,
    )
    invitation = Invitation.objects.create(
        service_request=request, contact=contact, channel="email", status="sent",
        survey_version=version, sent_at=now, expires_at=now + timedelta(days=30),
        is_simulated=True,
    )
    print(invitation.token)
"""


def _post_script(url: str) -> str:
    """A wrk script posting the answers with a CSRF cookie and token from the page."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(url, timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    cookie = next(c for c in jar if c.name == "csrftoken")
    body = urllib.parse.urlencode({**ANSWERS, "csrfmiddlewaretoken": token})
    handle, path = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(handle, "w") as script:
        script.write(
            POST_SCRIPT.format(
                body=_lua(body),
                cookie=_lua(f"csrftoken={cookie.value}"),
                referer=_lua(url),
            )
        )
    return path


def _lua(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _run_wrk(
    url: str, args, *, name: str = "", seconds: int = 0, script: str = ""
) -> Result:
    command = [
        "wrk",
        f"-t{args.threads}",
        f"-c{args.connections}",
        f"-d{seconds or args.duration}s",
        "--latency",
        "--timeout",
        "10s",
    ]
    if script:
        command += ["-s", script]
    done = _check(
        subprocess.run(  # noqa: S603 (wrk on our own loopback URL)
            [*command, url], capture_output=True, text=True
        ),
        "wrk",
    )
    output = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p99 = _milliseconds(re.search(r"\s99%\s+([\d.]+\w+)", output).group(1))
    errors = sum(
        int(n)
        for n in re.findall(r"Non-2xx or 3xx responses: (\d+)", output)
        + re.findall(r"Socket errors: .*?timeout (\d+)", output)
    )
    return Result(name, rate, p99, errors)


def _milliseconds(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _report(results: list[Result], args) -> int:
    bare = results[0]
    kind = (
        f"gthread workers x {args.worker_threads} threads"
        if args.worker_threads > 1
        else "sync workers"
    )
    print(
        f"\ngunicorn {args.workers} {kind}, wrk {args.connections} connections, "
        f"{args.duration} s each, DATABASE_PREPARE_THRESHOLD={prepare_threshold()}"
    )
    print(
        f"{'load':<20} {'req/s':>8} {'x bare':>7} {'p99 ms':>7} {'errors':>7}  target"
    )
    failed = False
    for result in results:
        ratio = result.requests_per_second / bare.requests_per_second
        if result is bare:
            verdict = "baseline"
        elif result.name == "page-sized body":
            verdict = "reference: the page's bytes, no query"
        elif result.name == "one look-up only":
            verdict = "reference: the page's one query and its size, nothing else"
        else:
            ok = (
                ratio >= TARGET_RATIO
                and result.p99_ms < TARGET_P99_MS
                and not result.errors
            )
            failed |= not ok
            verdict = (
                "met"
                if ok
                else f"missed (>= {TARGET_RATIO:.1f}x bare, p99 < {TARGET_P99_MS:.0f} ms)"
            )
        print(
            f"{result.name:<20} {result.requests_per_second:>8,.0f} {ratio:>7.2f} "
            f"{result.p99_ms:>7.1f} {result.errors:>7}  {verdict}"
        )
    return 1 if failed else 0


def prepare_threshold() -> str:
    return os.environ.get("DATABASE_PREPARE_THRESHOLD", "5")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 (http only)
            return
        except OSError:
            time.sleep(0.2)
    raise BenchError(f"gunicorn did not answer {url} within {seconds:.0f} s")


def _check(done: subprocess.CompletedProcess, step: str) -> subprocess.CompletedProcess:
    if done.returncode != 0:
        raise BenchError(f"{step} failed:\n{done.stderr[-2000:]}")
    return done


if __name__ == "__main__":
    sys.exit(main())
