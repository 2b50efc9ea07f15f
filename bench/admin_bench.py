"""Time the admin's busiest pages against whatever database DATABASE_URL names.

    DATABASE_URL=postgres://.../db_with_a_million_requests python bench/admin_bench.py

Each page is fetched through Django's test client by a city administrator
(created for the run and deleted after), five times; the median time and the
number of SQL queries are printed. Load the database first, e.g. with
`manage.py import_311` on the file `bench/import_bench.py --keep` writes.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from agencies.models import ServiceRequest  # noqa: E402

PAGES = [
    ("requests, newest first", "/admin/agencies/servicerequest/"),
    (
        "requests of one agency",
        "/admin/agencies/servicerequest/?agency__code__exact=HPD",
    ),
    ("requests, status Closed", "/admin/agencies/servicerequest/?status__exact=Closed"),
    (
        "requests with a flag",
        "/admin/agencies/servicerequest/?flag=closed_before_created",
    ),
    (
        "requests closed since Nov 1",
        "/admin/agencies/servicerequest/?closed_at__gte=2026-11-01+00%3A00%3A00-04%3A00",
    ),
    ("search by request number", "/admin/agencies/servicerequest/?q={key}"),
    ("search by address", "/admin/agencies/servicerequest/?q=west+45"),
    ("one request", "/admin/agencies/servicerequest/{key}/change/"),
    ("descriptions with counts", "/admin/resolutions/resolutiondescription/"),
    ("agencies with counts", "/admin/agencies/agency/"),
]
RUNS = 5


def main() -> None:
    total = ServiceRequest.objects.count()
    key = (
        ServiceRequest.objects.order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
    user = get_user_model().objects.create_superuser("admin-bench", password=None)
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    print(f"{total:,} service requests in {connection.settings_dict['NAME']}")
    print(f"{'page':<30} {'median ms':>10} {'queries':>8}")
    try:
        for name, url in PAGES:
            url = url.format(key=key)
            timings = []
            for _ in range(RUNS):
                with CaptureQueriesContext(connection) as queries:
                    started = time.perf_counter()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                if response.status_code != 200:
                    raise SystemExit(f"{url} answered {response.status_code}")
            print(f"{name:<30} {statistics.median(timings):>10.0f} {len(queries):>8}")
    finally:
        user.delete()


if __name__ == "__main__":
    main()
