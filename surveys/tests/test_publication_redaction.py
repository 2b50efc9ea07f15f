"""Comments lose every email, phone number, street address and apartment number."""

import pytest

from surveys.publication.redaction import redact_comment

EMAILS = [
    "jane.doe@example.com",
    "J.Doe+311@mail.nyc.gov",
    "jane at example dot com",
    "jane (at) example (dot) org",
    "jane[at]example[dot]net",
    "jane @ example . com",
    "jane dot doe at gmail dot com",
]
PHONES = [
    "(212) 555-0100",
    "212.555.0100",
    "212-555-0100",
    "+1 212 555 0100",
    "2125550100",
    "1-212-555-0100",
    "+12125550100",
    "212 555 0100",
    "555-0100",
    "1-800-FLOWERS",
    "(718)555-0123",
]
ADDRESSES = [
    "123 Main St",
    "P.O. Box 123",
    "PO Box 4521",
    "45-10 Queens Blvd",
    "1 W 125th Street",
    "350 Fifth Avenue",
    "89 CRESCENT STREET",
    "12 Avenue C",
    "1600 Grand Concourse",
    "77 Saint Marks Pl.",
    "2 Broadway",
]
APARTMENTS = [
    "Apt 4B",
    "apartment 12",
    "#3F",
    "unit 2",
    "Apt. 12-C",
    "Suite 300",
    "4th floor",
    "flat 3R",
    "PH2",
    "Bldg 4",
    "building 12",
]
NUMBERS = ["4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111"]


@pytest.mark.parametrize("value", EMAILS + PHONES + ADDRESSES + APARTMENTS + NUMBERS)
def test_each_format_is_removed_wherever_it_appears(value):
    text = f"{value}. Also, as I said: {value}, and once more ({value})"

    redacted = redact_comment(text)

    assert value.lower() not in redacted.lower()
    assert redacted.count("removed]") >= 3, redacted


def test_every_occurrence_of_every_kind_in_one_comment():
    comment = " / ".join([*EMAILS, *PHONES, *ADDRESSES, *APARTMENTS] * 2)

    redacted = redact_comment(comment)

    for value in [*EMAILS, *PHONES, *ADDRESSES, *APARTMENTS]:
        assert value.lower() not in redacted.lower(), value
    assert not any(char.isdigit() for char in redacted), redacted


@pytest.mark.parametrize(
    "text",
    [
        "The heat was off for 3 days and came back on the 2nd.",
        "I waited 3 weeks on the street corner. 311 was helpful.",
        "The unit was loud but they fixed it in 2 hours. Score: 5 out of 5.",
        "Request 40172473 took too long.",
        "The building was cold for 2 days; the floor was flat and clean.",
    ],
)
def test_ordinary_sentences_keep_their_words(text):
    assert redact_comment(text) == text
