import csv
import io
from datetime import UTC, datetime

import pytest

from config.csv_export import csv_lines, csv_response, neutralise


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://example.com","click")',
        "+1 212 555 0100",
        "-2+3",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\r=1+1",
        "\uff1d1+1",
        "\uff0b1+1",
        "\uff0d1+1",
        "\uff20SUM(A1:A2)",
    ],
)
def test_text_that_a_spreadsheet_would_run_is_written_as_text(text):
    assert neutralise(text) == "'" + text


def test_ordinary_text_and_numbers_are_written_as_they_are():
    assert neutralise("Heat restored") == "Heat restored"
    assert neutralise("a = b") == "a = b"
    assert neutralise(-3) == -3
    assert neutralise(2.5) == 2.5
    assert neutralise(None) == ""
    assert neutralise(True) == "yes"


def test_times_are_written_in_new_york_time():
    assert neutralise(datetime(2024, 7, 1, 16, 0, tzinfo=UTC)) == (
        "2024-07-01T12:00:00-04:00"
    )


def test_every_cell_of_every_row_is_neutralised_and_the_file_parses_back():
    text = "".join(
        csv_lines(["comment", "n"], [["=cmd|' /C calc'!A0", 1], ["fine, thanks", 2]])
    )

    rows = list(csv.reader(io.StringIO(text)))

    assert rows == [
        ["comment", "n"],
        ["'=cmd|' /C calc'!A0", "1"],
        ["fine, thanks", "2"],
    ]


def test_the_download_is_streamed_as_an_attachment_no_cache_keeps():
    response = csv_response(filename="queue.csv", header=["a"], rows=iter([["@x"]]))

    assert response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="queue.csv"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).decode() == "a\r\n'@x\r\n"
