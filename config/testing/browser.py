"""Browser tests: Debian's Chromium driven by Playwright, checked with axe-core.

Playwright's own browser builds are never downloaded (`playwright install` is not
needed): the tests drive the distribution's Chromium, which CI installs with
apt. axe-core comes inside the axe-playwright-python package, so nothing is
fetched at run time either.

A conftest imports the fixtures; tests using them are marked `browser`.
"""

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from django.db import connections

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# WCAG 2.1 levels A and AA, as axe-core tags its rules.
WCAG_21_AA = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
# A common phone: residents mostly open these pages from a text message.
PHONE = {"width": 375, "height": 812}
# Set to a folder to keep screenshots of the pages the tests look at.
SCREENSHOTS_DIR = os.environ.get("BROWSER_TEST_SCREENSHOTS", "")


def _unavailable(reason: str) -> NoReturn:
    # CI installs Chromium, so there a missing browser is a broken setup, not a skip.
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator["Browser"]:
    """A headless Chromium for one test.

    Playwright's sync API keeps an asyncio loop running in the test's thread while
    it is open, and Django refuses database calls when it sees one. The test only
    calls the database between browser steps, from this thread, so the check is
    lifted for the length of the test.
    """
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} not found: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed: pip install -r requirements.txt")

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            # With a loop running, Django keeps the thread's connections per
            # asyncio context: the test opened new ones, which nothing else
            # would close (on PostgreSQL the test database could not be dropped).
            connections.close_all()
            chromium.close()


@pytest.fixture
def new_page(browser: "Browser") -> Iterator[Callable[..., "Page"]]:
    """Open a page in a browser context of its own: one person, with own cookies."""
    contexts = []

    def new_page(*, locale: str = "en-US", viewport: dict = PHONE) -> "Page":
        context = browser.new_context(locale=locale, viewport=viewport)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield new_page
    for context in contexts:
        context.close()


def axe_violations(
    page: "Page", tags: Iterable[str] = WCAG_21_AA
) -> list[dict[str, Any]]:
    """The axe-core rule violations on the page, for the given rule tags."""
    from axe_playwright_python.sync_playwright import Axe

    options = {
        "runOnly": {"type": "tag", "values": list(tags)},
        "resultTypes": ["violations"],
    }
    return Axe().run(page, options=options).response["violations"]


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One line per violated rule and element, for an assertion message."""
    return "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        f"{', '.join(map(str, node['target']))}"
        for violation in violations
        for node in violation["nodes"]
    )


def keep_screenshot(page: "Page", name: str) -> None:
    """Save a full-page screenshot as NAME.png when BROWSER_TEST_SCREENSHOTS is set."""
    if SCREENSHOTS_DIR:
        folder = Path(SCREENSHOTS_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
