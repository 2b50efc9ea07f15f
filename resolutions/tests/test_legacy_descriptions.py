"""Resolution texts found in NYC data become descriptions with a legacy version."""

import csv
from pathlib import Path

import pytest

from agencies.models import ServiceRequest
from agencies.services import import_service_requests
from resolutions.legacy import ensure_legacy_descriptions, normalize_legacy_text
from resolutions.models import DescriptionVersion, LegacyText, ResolutionDescription

pytestmark = pytest.mark.django_db

CLEAN = (
    "Please visit the Department of Transportation’s website and click the "
    "“Learn More” link below."
)
# How the same sentence reaches the data: UTF-8 read back as Latin-1 (what the
# combined file holds) or as Windows-1252 ("â€™"), with the quotes straightened,
# with doubled, non-breaking or trailing spaces, or broken over two lines.
VARIANTS = [
    CLEAN.encode().decode("latin-1"),
    CLEAN.replace("”", '"').encode().decode("cp1252"),
    "Please visit the Department of Transportation's website and click the "
    '"Learn More" link below.',
    CLEAN.replace(" website ", "  website ").replace(" the ", "\u00a0the ") + "  ",
    CLEAN.replace(" and click ", "\nand click "),
]


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Rows of (unique key, agency, resolution description)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Unique Key", "Agency", "Resolution Description"])
        writer.writerows(rows)
    return path


def test_each_text_variant_normalises_to_the_clean_text():
    expected = normalize_legacy_text(CLEAN)

    normalized = {normalize_legacy_text(text) for text in VARIANTS}

    assert normalized == {expected}
    assert "â" not in expected
    assert "  " not in expected


def test_mojibake_and_white_space_variants_share_the_clean_texts_description(
    tmp_path,
):
    texts = [CLEAN, *VARIANTS]
    path = write_csv(
        tmp_path / "export.csv",
        [(str(key), "DOT", text) for key, text in enumerate(texts, start=1)],
    )

    import_service_requests(path=path)

    requests = ServiceRequest.objects.order_by("unique_key")
    assert {request.resolution_description_id for request in requests} == {
        ResolutionDescription.objects.get().pk
    }
    assert [request.resolution_text for request in requests] == [
        text.strip() for text in texts
    ]
    assert LegacyText.objects.count() == 1


def test_a_new_text_becomes_a_description_with_a_published_legacy_version(tmp_path):
    path = write_csv(tmp_path / "export.csv", [("1", "DOT", VARIANTS[0])])

    import_service_requests(path=path)

    description = ServiceRequest.objects.get(unique_key=1).resolution_description
    assert description.agency_id == "DOT"
    [version] = description.versions.all()
    assert version.number == 1
    assert version.status == DescriptionVersion.Status.PUBLISHED
    assert version.is_legacy
    assert version.text == normalize_legacy_text(CLEAN)
    legacy = LegacyText.objects.get()
    assert (legacy.agency_id, legacy.text) == ("DOT", version.text)
    assert legacy.description == description


def test_the_same_text_of_two_agencies_makes_two_descriptions(tmp_path):
    text = "See notes."
    path = write_csv(tmp_path / "export.csv", [("1", "DHS", text), ("2", "DOF", text)])

    import_service_requests(path=path)

    first, second = ServiceRequest.objects.order_by("unique_key")
    assert first.resolution_description_id != second.resolution_description_id
    assert first.resolution_description.agency_id == "DHS"
    assert second.resolution_description.agency_id == "DOF"


def test_different_texts_of_one_agency_make_different_descriptions(tmp_path):
    path = write_csv(
        tmp_path / "export.csv",
        [
            ("1", "NYPD", "The Police Department took action to fix the condition."),
            ("2", "NYPD", "The Police Department issued a summons."),
        ],
    )

    import_service_requests(path=path)

    assert ResolutionDescription.objects.count() == 2
    first, second = ServiceRequest.objects.order_by("unique_key")
    assert first.resolution_description_id != second.resolution_description_id


def test_a_later_import_links_to_the_description_made_earlier(tmp_path):
    first = write_csv(tmp_path / "first.csv", [("1", "DOT", CLEAN)])
    import_service_requests(path=first)
    description = ServiceRequest.objects.get(unique_key=1).resolution_description
    second = write_csv(tmp_path / "second.csv", [("2", "DOT", VARIANTS[1])])

    import_service_requests(path=second)

    assert (
        ServiceRequest.objects.get(unique_key=2).resolution_description == description
    )
    assert ResolutionDescription.objects.count() == 1
    assert DescriptionVersion.objects.count() == 1


def test_a_request_without_resolution_text_has_no_description(tmp_path):
    path = write_csv(tmp_path / "export.csv", [("1", "DOT", "   ")])

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.resolution_text == ""
    assert request.resolution_description is None
    assert not ResolutionDescription.objects.exists()


def test_a_text_without_an_agency_has_no_description(tmp_path):
    path = write_csv(tmp_path / "export.csv", [("1", "", CLEAN)])

    import_service_requests(path=path)

    request = ServiceRequest.objects.get(unique_key=1)
    assert request.resolution_text == CLEAN
    assert request.resolution_description is None


def test_the_title_is_the_text_cut_at_a_word_when_long():
    long_text = (
        "The Department of Housing Preservation and Development inspected the "
        "following conditions. Violations were issued. Information about specific "
        "violations is available at www.nyc.gov/hpd."
    )

    mapping = ensure_legacy_descriptions([("HPD", long_text), ("HPD", "Closed.")])

    titles = {
        text: ResolutionDescription.objects.get(pk=pk).title
        for (_, text), pk in mapping.items()
    }
    assert titles == {
        long_text: "The Department of Housing Preservation and Development "
        "inspected the following…",
        "Closed.": "Closed.",
    }
    assert all(len(title) <= 80 for title in titles.values())


def test_mapping_the_same_pairs_again_creates_nothing_new():
    pairs = [("DOT", CLEAN), ("DOT", VARIANTS[0]), ("NYPD", CLEAN)]
    first = ensure_legacy_descriptions(pairs)

    second = ensure_legacy_descriptions(pairs)

    assert second == first
    assert first[("DOT", CLEAN)] == first[("DOT", VARIANTS[0])]
    assert first[("DOT", CLEAN)] != first[("NYPD", CLEAN)]
    assert ResolutionDescription.objects.count() == 2
