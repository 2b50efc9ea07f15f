"""Dashboards and report card with a million survey responses in PostgreSQL.

    .venv/bin/python bench/dashboard_bench.py [--responses 1000000] [--runs 7]

(`make bench-dashboards` runs the same.) It needs a PostgreSQL server where it
may create databases: the one in DATABASE_URL, or postgres://postgres@127.0.0.1:5432/.
It:

1. creates a scratch database `bench_dashboards_<pid>` and migrates it;
2. makes --responses answered invitations and a quarter as many unanswered ones,
   with their requests, notices, descriptions and messages (bench/survey_data.py,
   set-wise SQL), then VACUUM ANALYZE;
3. rebuilds the dashboards' figures as the beat task does, and times it;
4. loads every dashboard page, CSV download and the report card through Django's
   test client as a city administrator (and the breakdown as a supervisor), with
   DEBUG off: one warm-up, then --runs timed runs; prints the median and the
   slowest, and the number of queries of one request;
5. runs, for each, a hand-written SQL GROUP BY of the same figures over the raw
   tables (invitations, requests, responses, messages, notices), --runs times,
   and prints the ratio of the page's median to the SQL's median;
6. drops the scratch database, also after an error or Ctrl-C.

Targets: every page under 500 ms and within 3 times its SQL. A miss is printed
as MISS and the exit status is 1.
"""

import argparse
import os
import secrets
import statistics
import subprocess
import sys
import time
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

TARGET_MS = 500.0
TARGET_RATIO = 3.0

# The figures every baseline computes, over the raw tables joined as `i`
# (invitation), `sr` (request), `r` (response), `m` (message) and `told`.
BASELINE_MEASURES = """
    COUNT(*), SUM(CASE WHEN m.delivered_at IS NOT NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN m.status = 'bounced' THEN 1 ELSE 0 END), COUNT(r.id),
    COUNT(r.satisfaction), SUM(r.satisfaction), SUM(r.satisfaction * r.satisfaction),
    SUM(CASE WHEN r.satisfaction >= 75 THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.satisfaction <= 25 THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.fixed = 'yes' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.fixed = 'no' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.fixed = 'not_sure' THEN 1 ELSE 0 END),
    SUM(CASE WHEN r.is_simulated THEN 1 ELSE 0 END)
"""
BASELINE_FROM = """
    FROM surveys_invitation i
    JOIN agencies_servicerequest sr ON sr.unique_key = i.service_request_id
    LEFT JOIN surveys_response r ON r.invitation_id = i.id
    LEFT JOIN surveys_message m ON m.invitation_id = i.id AND m.purpose = 'invitation'
"""
TOLD = """
    LEFT JOIN (SELECT DISTINCT ON (service_request_id) service_request_id, version_id
               FROM resolutions_resolutionnotice
               ORDER BY service_request_id, recorded_at DESC, id DESC) told
           ON told.service_request_id = sr.unique_key
    LEFT JOIN resolutions_descriptionversion dv ON dv.id = told.version_id
    LEFT JOIN resolutions_resolutiondescription rd ON rd.id = dv.description_id
"""
NY = "i.sent_at AT TIME ZONE 'America/New_York'"


def baseline(group: str, *, told: bool = False, where: str = "TRUE") -> str:
    return (
        f"SELECT {group}, {BASELINE_MEASURES} {BASELINE_FROM} {TOLD if told else ''} "
        f"WHERE i.sent_at IS NOT NULL AND {where} GROUP BY {group}"
    )


# (name, URL, baseline SQL); {agency} is the supervisor's agency.
CASES = [
    ("by agency", "/staff/dashboards/?by=agency", baseline("sr.agency_id")),
    (
        "by complaint type",
        "/staff/dashboards/?by=complaint_type",
        baseline("sr.complaint_type_id"),
    ),
    ("by borough", "/staff/dashboards/?by=borough", baseline("sr.borough")),
    ("by channel", "/staff/dashboards/?by=channel", baseline("i.channel")),
    ("by language", "/staff/dashboards/?by=language", baseline("i.language")),
    (
        "by outcome",
        "/staff/dashboards/?by=outcome",
        baseline("rd.outcome", told=True),
    ),
    (
        "by description version",
        "/staff/dashboards/?by=version",
        baseline("told.version_id", told=True),
    ),
    (
        "by month",
        "/staff/dashboards/over-time/?period=month",
        baseline(f"date_trunc('month', {NY})"),
    ),
    (
        "by week",
        "/staff/dashboards/over-time/?period=week",
        baseline(f"date_trunc('week', {NY})"),
    ),
    (
        "time to close",
        "/staff/dashboards/time-to-close/",
        baseline(
            "CASE WHEN sr.closed_at - sr.created_at < interval '1 day' THEN 0 "
            "WHEN sr.closed_at - sr.created_at < interval '3 days' THEN 1 "
            "WHEN sr.closed_at - sr.created_at < interval '7 days' THEN 2 "
            "WHEN sr.closed_at - sr.created_at < interval '30 days' THEN 3 ELSE 4 END"
        ),
    ),
    (
        "closed without fixing",
        "/staff/dashboards/outcomes/",
        baseline("rd.outcome", told=True),
    ),
    (
        "descriptions",
        "/staff/dashboards/versions/",
        baseline("rd.id", told=True),
    ),
    (
        "one description's versions",
        "/staff/dashboards/versions/?description={description}",
        # The page shows the list of descriptions to choose from as well.
        baseline("rd.id", told=True)
        + ";\n"
        + baseline("told.version_id", told=True, where="rd.id = {description}"),
    ),
    (
        "report card",
        "/staff/dashboards/report-card/?quarter=2025-04-01",
        baseline(
            "sr.agency_id, sr.complaint_type_id",
            where=f"date_trunc('quarter', {NY}) = '2025-04-01'",
        )
        + ";\n"
        + (
            "SELECT sr.agency_id, sr.complaint_type_id, percentile_cont(0.5) "
            "WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM sr.closed_at - sr.created_at)) "
            f"{BASELINE_FROM} WHERE date_trunc('quarter', {NY}) = '2025-04-01' "
            "GROUP BY ROLLUP (sr.agency_id, sr.complaint_type_id)"
        ),
    ),
    (
        "by complaint type, CSV",
        "/staff/dashboards/?by=complaint_type&format=csv",
        baseline("sr.complaint_type_id"),
    ),
    (
        "report card, CSV",
        "/staff/dashboards/report-card/?quarter=2025-04-01&format=csv",
        None,  # same SQL as the report card
    ),
    (
        "supervisor, by complaint type",
        "/staff/dashboards/?by=complaint_type&agency=ZZZ",
        baseline("sr.complaint_type_id", where="sr.agency_id = '{agency}'"),
    ),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=7)
    options = parser.parse_args(argv)

    server = server_url(os.environ.get("DATABASE_URL", ""))
    name = f"bench_dashboards_{os.getpid()}"
    url = create_database(server, name)
    try:
        return run(url, options)
    except BenchError as error:
        print(f"dashboard_bench: {error}", file=sys.stderr)
        return 2
    finally:
        drop_database(server, name)


def run(url: str, options: argparse.Namespace) -> int:
    os.environ.update(
        DATABASE_URL=url,
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(40),
        DJANGO_ALLOWED_HOSTS="testserver",
        DJANGO_SETTINGS_MODULE="config.settings",
    )
    os.environ.pop("CELERY_BROKER_URL", None)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
        cwd=REPO,
        check=True,
    )
    import django

    django.setup()
    import survey_data
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import setup_test_environment

    from agencies.models import Agency, StaffMembership
    from agencies.services import set_membership
    from surveys.dashboards.rollup import refresh_dashboard_figures

    setup_test_environment()
    # DEBUG off (cached templates) without running collectstatic for the manifest.
    override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        }
    ).enable()
    started = time.monotonic()
    with connection.cursor() as cursor:
        made = survey_data.generate(cursor, responses=options.responses)
    generated = time.monotonic() - started
    connection.cursor().execute("VACUUM ANALYZE")
    print(f"{made:,} responses generated in {generated:.1f} s")

    record = refresh_dashboard_figures()
    print(f"figures rebuilt in {record.seconds:.1f} s ({record.rows:,} rollup rows)")
    connection.cursor().execute("VACUUM ANALYZE")

    users = get_user_model()
    admin = users.objects.create_user("bench_admin")
    set_membership(user=admin, role=StaffMembership.Role.CITY_ADMIN, agency=None)
    agency = Agency.objects.filter(complaint_types__isnull=False).first()
    supervisor = users.objects.create_user("bench_supervisor")
    set_membership(user=supervisor, role=StaffMembership.Role.SUPERVISOR, agency=agency)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM resolutions_resolutiondescription WHERE id >= %s "
            "ORDER BY id LIMIT 1",
            [survey_data.FIRST_KEY],
        )
        description = cursor.fetchone()[0]

    clients = {"admin": Client(), "supervisor": Client()}
    clients["admin"].force_login(admin)
    clients["supervisor"].force_login(supervisor)

    print(
        f"\n{'page':32} {'median ms':>9} {'max ms':>7} {'queries':>7} "
        f"{'SQL ms':>7} {'ratio':>6}  target"
    )
    misses = 0
    last_sql = None
    for label, page, sql in CASES:
        client = clients["supervisor" if label.startswith("supervisor") else "admin"]
        page = page.format(description=description).replace("ZZZ", "HPD")
        sql = (
            last_sql
            if sql is None
            else sql.format(description=description, agency=agency.code)
        )
        last_sql = sql

        def load(client=client, page=page):
            response = client.get(page)
            if response.status_code != 200:
                raise BenchError(f"{page} answered {response.status_code}")
            if response.streaming:
                b"".join(response.streaming_content)

        queries = []

        def counted(execute, sql, params, many, context, queries=queries):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            load()
        page_ms = _times(load, options.runs)

        def query(sql=sql):
            with connection.cursor() as cursor:
                for statement in sql.split(";\n"):
                    cursor.execute(statement)
                    cursor.fetchall()

        query()
        sql_ms = _times(query, max(3, options.runs // 2))
        median, slowest = statistics.median(page_ms), max(page_ms)
        sql_median = statistics.median(sql_ms)
        ratio = median / sql_median
        ok = median < TARGET_MS and slowest < TARGET_MS and ratio <= TARGET_RATIO
        misses += not ok
        print(
            f"{label:32} {median:9.1f} {slowest:7.1f} {len(queries):7d} "
            f"{sql_median:7.1f} {ratio:6.3f}  {'PASS' if ok else 'MISS'}"
        )
    print(
        f"\ntargets: each page under {TARGET_MS:.0f} ms (median and slowest of "
        f"{options.runs}) and within {TARGET_RATIO:.0f} x its SQL GROUP BY"
    )
    return 1 if misses else 0


def _times(action, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    return times


if __name__ == "__main__":
    sys.exit(main())
