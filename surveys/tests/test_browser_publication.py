"""The open-data pages in Chromium: readable, downloadable, WCAG 2.1 AA."""

from pathlib import Path

import pytest
from django.urls import reverse

from config.testing.browser import axe_violations, describe_violations, keep_screenshot
from surveys.models import Message
from surveys.publication.services import publish_month
from surveys.tests.test_publication import MONTH, answer

# The live server answers from another thread, so the data must be committed; the
# seeded agencies and survey are restored for each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture(autouse=True)
def _open_data_in_tmp(settings, tmp_path):
    settings.OPEN_DATA_DIR = tmp_path / "open-data"
    settings.OPEN_DATA_MIN_GROUP_SIZE = 3


@pytest.fixture
def releases():
    for day in range(1, 5):
        answer(day=day)
        answer(day=day, satisfaction="disagree", delivered=Message.Status.BOUNCED)
    for day in range(1, 4):
        answer(day=day, agency="DOT", complaint_type="Street Light", simulated=True)
    real, _ = publish_month(month=MONTH)
    demo, _ = publish_month(month=MONTH, is_demo=True)
    return real, demo


@pytest.mark.parametrize(
    ("name", "viewport"),
    [
        ("opendata:index", {"width": 375, "height": 812}),
        ("opendata:index", {"width": 1280, "height": 900}),
        ("opendata:dictionary", {"width": 1280, "height": 900}),
    ],
)
def test_open_data_pages_have_no_wcag_21_aa_violations(
    live_server, new_page, releases, name, viewport
):
    page = new_page(viewport=viewport)

    page.goto(f"{live_server.url}{reverse(name)}")

    keep_screenshot(page, f"open-data-{name.split(':')[1]}-{viewport['width']}")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)


def test_a_visitor_downloads_a_month_and_sees_the_demo_label(
    live_server, new_page, releases
):
    real, _ = releases
    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{reverse('opendata:index')}")

    assert page.get_by_text("DEMO", exact=True).first.is_visible()
    assert page.get_by_role("figure").count() == 3
    with page.expect_download() as download:
        page.get_by_role("link", name=f"Responses (CSV) {real.slug}").click()

    assert download.value.suggested_filename == "survey-results-2025-03-r1.csv"
    assert "2025-03-r1,2025-03,HPD" in Path(download.value.path()).read_text()
