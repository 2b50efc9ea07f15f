"""Benchmark `import_311` against a plain `psql \\copy` of the same file.

Run from the repository root with the project's virtualenv:

    .venv/bin/python bench/import_bench.py --rows 1000000

It writes N rows of NYC 311 CSV (the bundled sample's real rows, cycled, each given
a fresh unique key) to a temporary directory, creates a scratch PostgreSQL
database, migrates it, and times three things one after another:

1. the baseline: `psql \\copy` of the file into a table of text columns;
2. a first import into the empty database (every row inserted);
3. a re-import of the same file (every row unchanged).

Each import runs as its own `manage.py import_311` process, whose peak resident
memory is read from the kernel when it ends. The scratch database and the
temporary files are removed at the end, also after an error or Ctrl-C. See
bench/README.md for how to read the figures.
"""

import argparse
import csv
import gzip
import io
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import quote, unquote, urlsplit

import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = REPO / "data" / "nyc311_sample.csv.gz"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
KEEP_DIR = REPO / "var" / "bench"
# Fresh keys start above every key NYC has published so far (about 67 million).
FIRST_KEY = 100_000_000
MAX_ROWS = 5_000_000
_KEY_PLACEHOLDER = "UNIQUEKEYPLACEHOLDER"
# Room needed per row on disk: the CSV, the text table, the imported table and its
# indexes, the importer's staging tables and WAL, with a margin.
DISK_BYTES_PER_CSV_BYTE = 6

TARGET_RATIO = 3.0
TARGET_PEAK_MB = 300.0


class BenchError(Exception):
    """The benchmark could not run to the end."""


@dataclass
class Step:
    name: str
    seconds: float
    peak_rss_mb: float
    import_seconds: float | None = None
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Figures:
    rows: int
    file_mb: float
    source: str
    copy: Step
    imports: list[Step]


def main(argv: list[str] | None = None) -> int:
    options = parse_arguments(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        figures = run(options)
    except BenchError as error:
        print(f"import_bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("import_bench: interrupted", file=sys.stderr)
        return 130

    print_table(figures)
    if options.json:
        options.json.write_text(json.dumps(as_json(figures), indent=2) + "\n")
        print(f"Figures written to {options.json}")
    return 0


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time import_311 against a plain psql \\copy of the same file."
    )
    parser.add_argument(
        "--rows",
        type=int,
        default=100_000,
        help=f"rows to generate, 1 to {MAX_ROWS:,} (default 100,000)",
    )
    parser.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the figures as JSON"
    )
    parser.add_argument(
        "--source",
        type=Path,
        default=DEFAULT_SOURCE,
        help="CSV (plain or gzip) whose rows are cycled (default: the bundled sample)",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("DATABASE_URL", ""),
        help="server to create the scratch database on (default: DATABASE_URL if "
        f"it is PostgreSQL, else {DEFAULT_SERVER})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800,
        metavar="SECONDS",
        help="give up on any one step after this long (default 1800)",
    )
    parser.add_argument(
        "--copy-runs",
        type=int,
        default=2,
        metavar="N",
        help="run the baseline COPY N times and keep the fastest (default 2)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep the generated CSV in {KEEP_DIR.relative_to(REPO)}/ (for loading "
        "a database by hand, e.g. for bench/admin_bench.py)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="where to write the generated CSV (default: the system temp dir)",
    )
    options = parser.parse_args(argv)
    if not 1 <= options.rows <= MAX_ROWS:
        parser.error(f"--rows must be between 1 and {MAX_ROWS:,}")
    if not 1 <= options.copy_runs <= 5:
        parser.error("--copy-runs must be between 1 and 5")
    if not options.source.is_file():
        parser.error(f"{options.source}: no such file")
    return options


def run(options: argparse.Namespace) -> Figures:
    server = server_url(options.database_url)
    database = f"bench_import_{os.getpid()}"
    with tempfile.TemporaryDirectory(
        prefix="import_bench_", dir=options.work_dir
    ) as work:
        work_dir = Path(work)
        csv_path = work_dir / "requests.csv"
        print(f"Writing {options.rows:,} rows to {csv_path} ...", flush=True)
        header = generate_csv(options.source, csv_path, options.rows)
        file_bytes = csv_path.stat().st_size

        try:
            database_url = create_database(server, database)
            print(f"Migrating scratch database {database} ...", flush=True)
            migrate(database_url, options.timeout, work_dir)

            print("Timing psql \\copy into a text table ...", flush=True)
            copy = time_plain_copy(
                database_url,
                csv_path,
                len(header),
                runs=options.copy_runs,
                timeout=options.timeout,
                work_dir=work_dir,
            )
            checkpoint(database_url)

            imports = []
            for name in ("first import", "re-import"):
                print(f"Timing import_311, {name} ...", flush=True)
                imports.append(
                    time_import(name, database_url, csv_path, options.timeout, work_dir)
                )
                checkpoint(database_url)
        finally:
            drop_database(server, database)

        if options.keep:
            KEEP_DIR.mkdir(parents=True, exist_ok=True)
            kept = KEEP_DIR / f"nyc311_{options.rows}_rows.csv"
            shutil.move(csv_path, kept)
            print(f"Kept the generated file: {kept}")

    return Figures(
        rows=options.rows,
        file_mb=file_bytes / 1e6,
        source=str(options.source),
        copy=copy,
        imports=imports,
    )


# -- The file ------------------------------------------------------------------


def generate_csv(source: Path, destination: Path, rows: int) -> list[str]:
    """Write `rows` rows of `source`, cycled, each with a new unique key.

    Values are kept exactly as published, so the file has the real quirks
    (placeholder dates, bad zips, mojibake, multi-line descriptions); only the
    key changes, so that every row is a distinct request.
    """
    with _open_text(source) as file:
        reader = csv.reader(file)
        header = next(reader)
        key_index = _key_column(header)
        templates = []
        for row in reader:
            if len(row) != len(header):
                continue
            row[key_index] = _KEY_PLACEHOLDER
            before, _, after = _csv_line(row).partition(_KEY_PLACEHOLDER)
            templates.append((before, after))
    if not templates:
        raise BenchError(f"{source} has no rows")

    count = len(templates)
    row_bytes = sum(len(before) + len(after) for before, after in templates) / count
    check_disk_space(destination.parent, int(rows * (row_bytes + 10)))
    with destination.open("w", encoding="utf-8", newline="") as out:
        out.write(_csv_line(header))
        for number in range(rows):
            before, after = templates[number % count]
            out.write(f"{before}{FIRST_KEY + number}{after}")
    return header


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        compressed = probe.read(2) == b"\x1f\x8b"
    if compressed:
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return path.open(encoding="utf-8-sig", newline="")


def _key_column(header: list[str]) -> int:
    for index, name in enumerate(header):
        if name.strip().lower().replace(" ", "_") == "unique_key":
            return index
    raise BenchError("the source has no Unique Key column")


def _csv_line(row: list[str]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer).writerow(row)
    return buffer.getvalue()


def check_disk_space(work_dir: Path, file_bytes: int) -> None:
    """Refuse a run that would fill the disk; the margin counts a local database's files."""
    needed = file_bytes * DISK_BYTES_PER_CSV_BYTE
    free = shutil.disk_usage(work_dir).free
    if free < needed:
        raise BenchError(
            f"{work_dir} has {free / 1e9:.1f} GB free; the run needs about "
            f"{needed / 1e9:.1f} GB. Use fewer --rows or another --work-dir."
        )


# -- The scratch database ------------------------------------------------------


def server_url(database_url: str) -> str:
    """The server part of a PostgreSQL URL, or the local default for anything else."""
    parts = urlsplit(database_url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        return DEFAULT_SERVER
    return f"postgres://{parts.netloc}/"


def _database_url(server: str, database: str) -> str:
    return server.rstrip("/") + "/" + quote(database)


def _connect(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, connect_timeout=10)


def create_database(server: str, database: str) -> str:
    try:
        with _connect(_database_url(server, "postgres")) as connection:
            connection.execute(
                sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database))
            )
    except psycopg.Error as error:
        raise BenchError(f"cannot create database {database}: {error}") from error
    return _database_url(server, database)


def drop_database(server: str, database: str) -> None:
    try:
        with _connect(_database_url(server, "postgres")) as connection:
            connection.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                    sql.Identifier(database)
                )
            )
    except psycopg.Error as error:
        print(f"import_bench: could not drop {database}: {error}", file=sys.stderr)


def checkpoint(database_url: str) -> None:
    """Flush the last step's writes so that they are not billed to the next step."""
    try:
        with _connect(database_url) as connection:
            connection.execute("CHECKPOINT")
    except psycopg.Error:
        pass  # CHECKPOINT needs superuser; the figures are only noisier without it.


def migrate(database_url: str, timeout: float, work_dir: Path) -> None:
    run_child(
        [sys.executable, "manage.py", "migrate", "--no-input", "--verbosity", "0"],
        database_url=database_url,
        timeout=timeout,
        log=work_dir / "migrate.log",
    )


# -- The timed steps -----------------------------------------------------------


def time_plain_copy(
    database_url: str,
    csv_path: Path,
    width: int,
    *,
    runs: int,
    timeout: float,
    work_dir: Path,
) -> Step:
    """The fastest of `runs` plain COPYs: the baseline should not carry the noise."""
    columns = sql.SQL(", ").join(
        sql.SQL("{} text").format(sql.Identifier(f"c{number}"))
        for number in range(1, width + 1)
    )
    with _connect(database_url) as connection:
        connection.execute(sql.SQL("CREATE TABLE bench_text ({})").format(columns))

    quoted_path = str(csv_path).replace("'", "''")
    command = [
        "psql",
        "--no-psqlrc",
        "--quiet",
        "--set",
        "ON_ERROR_STOP=1",
        "--dbname",
        database_url,
        "--command",
        f"\\copy bench_text FROM '{quoted_path}' CSV HEADER",
    ]
    timings = []
    for _ in range(runs):
        with _connect(database_url) as connection:
            connection.execute("TRUNCATE bench_text")
        checkpoint(database_url)
        timings.append(
            run_child(
                command,
                database_url=database_url,
                timeout=timeout,
                log=work_dir / "copy.log",
            )
        )
    with _connect(database_url) as connection:
        copied = connection.execute("SELECT count(*) FROM bench_text").fetchone()
        # Keep the disk for the imports; the baseline has been timed.
        connection.execute("DROP TABLE bench_text")
    seconds, peak_mb = min(timings)
    return Step("psql \\copy", seconds, peak_mb, counts={"rows": copied[0]})


def time_import(
    name: str, database_url: str, csv_path: Path, timeout: float, work_dir: Path
) -> Step:
    slug = name.replace(" ", "-")
    report_path = work_dir / f"{slug}.json"
    seconds, peak_mb = run_child(
        [
            sys.executable,
            "manage.py",
            "import_311",
            str(csv_path),
            "--no-progress",
            "--report",
            str(report_path),
            "--rejects-dir",
            str(work_dir / "rejects"),
        ],
        database_url=database_url,
        timeout=timeout,
        log=work_dir / f"{slug}.log",
    )
    report = json.loads(report_path.read_text())["files"][0]
    counts = {
        key: report[key]
        for key in (
            "rows_read",
            "inserted",
            "updated",
            "unchanged",
            "duplicates",
            "rejected",
        )
    }
    return Step(name, seconds, peak_mb, report["seconds"], counts)


def run_child(
    command: list[str], *, database_url: str, timeout: float, log: Path
) -> tuple[float, float]:
    """Run a command to its end; return its wall seconds and peak RSS in MB.

    os.wait4 gives the resource usage of this one child (and whatever it waited
    for), unlike RUSAGE_CHILDREN, which keeps the largest of all children so far.
    """
    environment = {**os.environ, "DATABASE_URL": database_url}
    password = unquote(urlsplit(database_url).password or "")
    if password:
        environment["PGPASSWORD"] = password

    with log.open("wb") as output:
        started = time.perf_counter()
        # A session of its own, so that a timeout can stop the child and anything
        # it started; Ctrl-C is passed on by hand below.
        child = subprocess.Popen(  # noqa: S603 (our own fixed commands)
            command,
            cwd=REPO,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            status, usage = _wait(child, started + timeout)
        except BaseException:
            _stop(child)
            raise
        seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)

    if child.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:]
        raise BenchError(
            f"{' '.join(command[:3])} ... exited with {child.returncode}:\n{tail}"
        )
    # Linux reports ru_maxrss in kilobytes.
    return seconds, usage.ru_maxrss / 1024


def _wait(
    child: subprocess.Popen, deadline: float
) -> tuple[int, resource.struct_rusage]:
    while True:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            return status, usage
        if time.perf_counter() > deadline:
            raise BenchError(f"{child.args[0]} ... took longer than --timeout")
        time.sleep(0.05)


def _stop(child: subprocess.Popen) -> None:
    try:
        os.killpg(child.pid, signal.SIGTERM)
        for _ in range(100):
            if os.wait4(child.pid, os.WNOHANG)[0]:
                break
            time.sleep(0.05)
        else:
            os.killpg(child.pid, signal.SIGKILL)
            os.wait4(child.pid, 0)
    except (ProcessLookupError, ChildProcessError):
        pass
    child.returncode = -1


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


# -- The figures ---------------------------------------------------------------


def print_table(figures: Figures) -> None:
    copy = figures.copy
    print()
    print(
        f"{figures.rows:,} rows, {figures.file_mb:,.0f} MB of CSV "
        f"(rows of {Path(figures.source).name}, cycled)"
    )
    print(
        f"{'step':<14}{'seconds':>9}{'rows/s':>10}{'x COPY':>8}{'peak MB':>9}"
        f"  {'vs target'}"
    )
    print(
        f"{copy.name:<14}{copy.seconds:>9.1f}{figures.rows / copy.seconds:>10,.0f}"
        f"{1:>8.2f}{'':>9}  baseline"
    )
    for step in figures.imports:
        ratio = step.seconds / copy.seconds
        verdict = "PASS" if meets_targets(step, copy) else "MISS"
        print(
            f"{step.name:<14}{step.seconds:>9.1f}{figures.rows / step.seconds:>10,.0f}"
            f"{ratio:>8.2f}{step.peak_rss_mb:>9.0f}  {verdict}"
        )
    print(
        f"Targets: at most {TARGET_RATIO:g}x the COPY time, peak memory under "
        f"{TARGET_PEAK_MB:g} MB."
    )
    for step in figures.imports:
        counts = ", ".join(f"{key} {value:,}" for key, value in step.counts.items())
        print(f"{step.name}: {counts}; {step.import_seconds:.1f} s inside the import")
    first, again = figures.imports
    if first.counts["inserted"] != figures.rows or again.counts["unchanged"] != (
        figures.rows
    ):
        print(
            "Note: every row should be inserted once and then found unchanged; "
            "the counts above say otherwise."
        )


def meets_targets(step: Step, copy: Step) -> bool:
    return (
        step.seconds <= TARGET_RATIO * copy.seconds
        and step.peak_rss_mb < TARGET_PEAK_MB
    )


def as_json(figures: Figures) -> dict:
    data = asdict(figures)
    data["targets"] = {"max_ratio": TARGET_RATIO, "max_peak_rss_mb": TARGET_PEAK_MB}
    for step, step_data in zip(figures.imports, data["imports"], strict=True):
        step_data["rows_per_second"] = round(figures.rows / step.seconds)
        step_data["ratio_to_copy"] = round(step.seconds / figures.copy.seconds, 3)
        step_data["meets_targets"] = meets_targets(step, figures.copy)
    return data


if __name__ == "__main__":
    sys.exit(main())
