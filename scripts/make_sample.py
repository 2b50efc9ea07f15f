"""Draw the bundled sample, data/nyc311_sample.csv.gz, from the team's shared copy.

Usage: python scripts/make_sample.py ../shared/data/nyc311_service_requests_combined.csv.gz

The sample keeps rows exactly as published (quirks included) and spreads them
over agencies: up to PER_AGENCY rows of each, preferring closed requests with a
resolution description, plus every row that carries a known data-quality quirk.
The draw is seeded, so the same input gives the same sample.
"""

import csv
import gzip
import random
import sys
from collections import defaultdict
from pathlib import Path

PER_AGENCY = 700
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "nyc311_sample.csv.gz"


def is_quirky(row: dict[str, str]) -> bool:
    closed = row["Closed Date"]
    return (
        closed.startswith(("01/01/1900", "1900-"))
        or row["Incident Zip"] in ("N/A", "99432-01234")
        or (row["Status"] == "Closed" and not closed)
        or "â€" in row["Resolution Description"]
    )


def main(source: Path) -> None:
    with gzip.open(source, "rt", encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames
        rows = list(reader)

    random.seed(311)
    by_agency = defaultdict(list)
    for row in rows:
        by_agency[row["Agency"]].append(row)

    chosen = {row["Unique Key"]: row for row in rows if is_quirky(row)}
    for agency_rows in by_agency.values():
        closed = [
            r
            for r in agency_rows
            if r["Status"] == "Closed" and r["Resolution Description"]
        ]
        others = [r for r in agency_rows if r not in closed]
        random.shuffle(closed)
        random.shuffle(others)
        for row in (closed + others)[:PER_AGENCY]:
            chosen[row["Unique Key"]] = row

    with gzip.open(OUTPUT, "wt", encoding="utf-8", newline="", compresslevel=9) as out:
        writer = csv.DictWriter(out, fieldnames=header)
        writer.writeheader()
        writer.writerows(
            sorted(chosen.values(), key=lambda row: int(row["Unique Key"]))
        )
    print(f"{len(chosen)} rows written to {OUTPUT}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
