"""Time the review queue's first page and export start on an already loaded database.

Usage: DATABASE_URL=... python bench/review_queue_bench.py
Makes (or reuses) a supervisor of HPD and a city administrator, then requests the
queue's first page five times each through Django's test client, DEBUG off, and
prints the median time and the number of queries.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from agencies.models import Agency, StaffMembership  # noqa: E402
from agencies.services import set_membership  # noqa: E402
from surveys.models import Response, ReviewCase  # noqa: E402

PAGES = {
    "queue, one agency's supervisor": "/staff/review/",
    "queue, supervisor, overdue filter": "/staff/review/?overdue=on",
    "queue, supervisor, search by number": "/staff/review/?request_number=10000010",
    "queue, city administrator": "/staff/review/",
}


def user(username: str, role: str, agency: str | None):
    account, _ = get_user_model().objects.get_or_create(username=username)
    set_membership(
        user=account,
        role=role,
        agency=Agency.objects.get(code=agency) if agency else None,
    )
    return account


def main() -> None:
    print(
        f"{Response.objects.count():,} responses, "
        f"{ReviewCase.objects.count():,} review cases"
    )
    supervisor = user("bench_supervisor", StaffMembership.Role.SUPERVISOR, "HPD")
    admin = user("bench_admin", StaffMembership.Role.CITY_ADMIN, None)
    for name, url in PAGES.items():
        client = Client()
        client.force_login(admin if "administrator" in name else supervisor)
        timings = []
        for _ in range(5):
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                response = client.get(url)
                timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        print(
            f"{name:<38} median {statistics.median(timings):7.1f} ms  "
            f"{len(queries)} queries"
        )


if __name__ == "__main__":
    main()
