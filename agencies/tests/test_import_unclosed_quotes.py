"""A quote left open in a CSV export costs the lines it runs over, and says which.

Every physical line of a file ends up either stored or inside the line range of a
reject; none goes missing between them.
"""

import re

import pytest
from django.conf import settings

from agencies.importing.sources import Record, Source
from agencies.models import ServiceRequest
from agencies.services import import_service_requests
from agencies.tests.test_import_rejects import rejects_of, write_text
from resolutions.models import LegacyText, ResolutionDescription

pytestmark = pytest.mark.django_db

HEADER = (
    "Unique Key,Created Date,Closed Date,Agency,Agency Name,Complaint Type,Status,"
    "Resolution Description,Incident Zip\n"
)
TEXT = "01/05/2024 10:00:00 AM,,DOT,Department of Transportation,Pothole,Open"
SAMPLE = settings.BASE_DIR / "data" / "nyc311_sample.csv.gz"


def stored_keys() -> list[int]:
    return list(
        ServiceRequest.objects.order_by("unique_key").values_list(
            "unique_key", flat=True
        )
    )


def test_an_unclosed_quote_that_swallows_records_rejects_the_lines_it_spans(
    tmp_path,
):
    lines = [
        f"2007,{TEXT},,11201\n",
        f'2008,{TEXT},"unbalanced quote,11201\n',
        f"2009,{TEXT},,11201\n",
        f'2010,{TEXT},",11201\n',
        f"2011,{TEXT},,11201\n",
    ]
    path = write_text(tmp_path / "export.csv", HEADER + "".join(lines))

    run = import_service_requests(path=path)

    assert rejects_of(run) == [
        {
            "line": "3",
            "reason": "an unclosed quote runs from line 3 to line 5; "
            "those lines were not imported",
            "unique_key": "2008",
            "record": "".join(lines[1:4]).rstrip("\n"),
        }
    ]
    assert stored_keys() == [2007, 2011]
    assert (run.rows_read, run.inserted, run.rejected) == (3, 2, 1)
    # The swallowed lines became no resolution text, so no description either.
    assert not ResolutionDescription.objects.exists()
    assert not LegacyText.objects.exists()


@pytest.mark.parametrize(
    "opened",
    [
        pytest.param(f'2008,{TEXT},,"11201\n', id="in the last column"),
        pytest.param(f'2008,{TEXT},"Inspected.,11201\n', id="in a middle column"),
    ],
)
def test_a_quote_open_to_the_end_of_the_file_rejects_every_line_after_it(
    tmp_path, opened
):
    path = write_text(
        tmp_path / "export.csv",
        HEADER + opened + f"2009,{TEXT},,11201\n" + f"2010,{TEXT},,11201\n",
    )

    run = import_service_requests(path=path)

    assert [(r["line"], r["reason"]) for r in rejects_of(run)] == [
        (
            "2",
            "an unclosed quote runs from line 2 to line 4; "
            "those lines were not imported",
        )
    ]
    assert stored_keys() == []
    assert (run.rows_read, run.rejected) == (1, 1)


def test_a_quote_that_runs_past_the_field_limit_names_the_lines_it_took(tmp_path):
    # 3,000 rows of 80 characters: the open quote reaches the csv module's limit
    # of 131,072 characters a field about 1,640 lines later.
    rows = [f"{key},{TEXT},,11201\n" for key in range(3001, 6001)]
    path = write_text(
        tmp_path / "export.csv",
        HEADER + f'2008,{TEXT},"unbalanced quote,11201\n' + "".join(rows),
    )

    run = import_service_requests(path=path)

    [reject] = rejects_of(run)
    match = re.fullmatch(
        r"unreadable CSV: field larger than field limit \(131072\); "
        r"lines 2 to (\d+) were not imported",
        reject["reason"],
    )
    assert match, reject["reason"]
    assert reject["line"] == "2"
    last_lost = int(match[1])
    assert 3 < last_lost < 3002
    # Row key 3001 is on line 3: every line after the range is stored.
    assert stored_keys() == list(range(last_lost + 2999, 6001))
    assert run.rows_read == 1 + run.inserted
    assert (run.inserted, run.rejected) == (3002 - last_lost, 1)


def test_a_record_over_several_lines_with_the_wrong_field_count_names_them(
    tmp_path,
):
    path = write_text(
        tmp_path / "export.csv",
        HEADER
        + f'2008,{TEXT},"Inspected.\nNo violation.",11201,extra\n'
        + f"2009,{TEXT},,11201\n",
    )

    run = import_service_requests(path=path)

    assert [(r["line"], r["reason"]) for r in rejects_of(run)] == [
        ("2", "expected 9 fields, found 10; lines 2 to 3 were not imported")
    ]
    assert stored_keys() == [2009]


@pytest.mark.parametrize(
    "text",
    [
        # A later line starting with a number and a comma, but not a record's fields.
        "Inspected on:\n12, 13 and 14 January.",
        "Inspected.\n2009,2010",
        # The Location column of some exports: a line break and a stray comma.
        "\n,  \n(40.7128, -73.9061)",
    ],
)
def test_text_over_several_lines_is_not_taken_for_swallowed_records(tmp_path, text):
    quoted = '"' + text.replace('"', '""') + '"'
    path = write_text(
        tmp_path / "export.csv",
        HEADER + f"2008,{TEXT},{quoted},11201\n" + f"2009,{TEXT},,11201\n",
    )

    run = import_service_requests(path=path)

    assert (run.inserted, run.rejected) == (2, 0)
    assert ServiceRequest.objects.get(unique_key=2008).resolution_text == text.strip()


def test_every_record_of_the_bundled_sample_is_read_whole():
    with Source(SAMPLE) as source:
        items = list(source)

    assert items
    assert all(isinstance(item, Record) for item in items)
    run = import_service_requests(path=SAMPLE)
    assert run.rejected == 0
    assert run.rows_read == len(items)
