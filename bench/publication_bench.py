"""Benchmark publishing a month of responses against a plain COPY of its rows.

Run from the repository root with the project's virtualenv (`make
bench-publication`):

    .venv/bin/python bench/publication_bench.py --responses 1000000

It creates a scratch PostgreSQL database (on the server in DATABASE_URL, or
postgres://postgres@127.0.0.1:5432/), migrates it, fills one month with
`--responses` answered surveys in SQL (bench/publication_data.py), then times,
one after another and each in its own process:

1. the baseline: `psql -c "COPY (SELECT ...) TO STDOUT"` into a file, where the
   SELECT is the publication's own row query (surveys/publication/rows.py) for
   the month: the same joins, answers and comments, nothing else;
2. `manage.py publish_open_data --month 2025-03`: the k-anonymity counts, the
   same rows through Python into the CSV and the JSON, the funnel and tables.

It prints both times, their ratio (target: at most 3) and the publication's
peak resident memory from os.wait4 (target: flat, under 300 MB at 1,000,000
responses). The scratch database and files are removed at the end, also after
an error or Ctrl-C.
"""

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

from import_bench import (  # noqa: E402
    BenchError,
    _raise_interrupt,
    checkpoint,
    create_database,
    drop_database,
    migrate,
    run_child,
    server_url,
)
from publication_data import MONTH, generate  # noqa: E402

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300.0

# Printed by a child process with Django set up on the scratch database.
_PRINT_SQL = """
import django
django.setup()
from datetime import date
from django.db import connection
from surveys.publication.rows import answer_columns, month_bounds, rows_sql
start, end = month_bounds(date({year}, {month}, 1))
sql = rows_sql(columns=answer_columns(start=start, end=end), include_simulated=False)
with connection.cursor() as cursor:
    print(cursor.mogrify(sql, [start, end]))
"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--responses", type=int, default=100_000)
    parser.add_argument("--timeout", type=float, default=1800)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    options = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        run(options)
    except BenchError as error:
        print(f"publication_bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("publication_bench: interrupted", file=sys.stderr)
        return 130
    return 0


def run(options: argparse.Namespace) -> None:
    server = server_url(options.database_url)
    database = f"bench_publication_{os.getpid()}"
    work_dir = Path(tempfile.mkdtemp(prefix="publication_bench_"))
    try:
        database_url = create_database(server, database)
        migrate(database_url, options.timeout, work_dir)

        started = time.perf_counter()
        with psycopg.connect(database_url) as connection:
            generate(connection, responses=options.responses)
        print(
            f"Generated {options.responses:,} responses of {MONTH} in "
            f"{time.perf_counter() - started:.1f} s"
        )
        checkpoint(database_url)

        year, month = (int(part) for part in MONTH.split("-"))
        query = subprocess.run(  # noqa: S603 (our own fixed command)
            [sys.executable, "-c", _PRINT_SQL.format(year=year, month=month)],
            cwd=REPO,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "DJANGO_SETTINGS_MODULE": "config.settings",
            },
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

        copy_seconds, _ = run_child(
            ["psql", database_url, "-X", "-q", "-c", f"COPY ({query}) TO STDOUT"],
            database_url=database_url,
            timeout=options.timeout,
            log=work_dir / "copy.txt",
        )
        copied = (work_dir / "copy.txt").stat().st_size
        checkpoint(database_url)

        os.environ["OPEN_DATA_DIR"] = str(work_dir / "open-data")
        publish_seconds, peak_mb = run_child(
            [sys.executable, "manage.py", "publish_open_data", "--month", MONTH],
            database_url=database_url,
            timeout=options.timeout,
            log=work_dir / "publish.log",
        )
        print((work_dir / "publish.log").read_text().strip().splitlines()[-4])
        sizes = sum(
            path.stat().st_size for path in (work_dir / "open-data").rglob("*.*")
        )
    finally:
        drop_database(server, database)
        shutil.rmtree(work_dir, ignore_errors=True)

    ratio = publish_seconds / copy_seconds
    verdict = "PASS" if ratio <= TARGET_RATIO and peak_mb < TARGET_PEAK_MB else "MISS"
    print()
    print(f"{options.responses:,} responses of {MONTH}")
    print(f"{'step':<22}{'seconds':>9}{'x COPY':>8}{'peak MB':>9}{'MB out':>8}")
    print(
        f"{'COPY (SELECT ...)':<22}{copy_seconds:>9.1f}{1:>8.2f}{'':>9}{copied / 1e6:>8.0f}"
    )
    print(
        f"{'publish_open_data':<22}{publish_seconds:>9.1f}{ratio:>8.2f}"
        f"{peak_mb:>9.0f}{sizes / 1e6:>8.0f}  {verdict}"
    )


if __name__ == "__main__":
    sys.exit(main())
