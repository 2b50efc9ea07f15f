import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from config.testing.browser import (
    PHONE,
    axe_violations,
    describe_violations,
    keep_screenshot,
)
from surveys.models import Response

# The live server answers from another thread, so the data must be committed; the
# seeded survey is restored for each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def translated(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


def answer_and_send(page) -> None:
    page.locator("input[name=satisfaction][value=disagree]").check()
    page.locator("input[name=dissatisfied_reasons][value=too_slow]").check()
    page.locator("input[name=fixed][value=not_sure]").check()
    page.locator("input[name=reopen][value=yes]").check()
    page.locator("textarea[name=comment]").fill("Nobody came back.")
    page.locator("form.survey button[type=submit]").click()


@pytest.mark.parametrize("language", ["en", "es", "ar"])
@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_resident_answers_the_survey_and_sees_what_happens_next(
    live_server, browser, make_invitation, language, javascript
):
    invitation = make_invitation(language=language)
    context = browser.new_context(java_script_enabled=javascript, viewport=PHONE)
    page = context.new_page()
    url = f"{live_server.url}{reverse('surveys:survey', args=[invitation.token])}"

    page.goto(f"{url}?answer=disagree")
    survey_violations = axe_violations(page) if javascript else []
    keep_screenshot(page, f"survey_{language}")
    preselected = page.locator("input[name=satisfaction][value=disagree]").is_checked()
    answer_and_send(page)
    page.wait_for_url("**/thanks/")
    heading = page.get_by_role("heading", level=1).inner_text()
    thanks_violations = axe_violations(page) if javascript else []
    context.close()
    stored = Response.objects.get(invitation=invitation)

    assert preselected
    assert survey_violations == [], describe_violations(survey_violations)
    assert thanks_violations == [], describe_violations(thanks_violations)
    assert heading == translated(language, "Thank you for your answers")
    assert stored.satisfaction == 25
    assert stored.wants_reopen is True
    assert stored.language == language


@pytest.mark.parametrize("language", ["en", "es", "ar"])
def test_validation_errors_have_no_wcag_21_aa_violations(
    live_server, new_page, make_invitation, language
):
    invitation = make_invitation(language=language)
    page = new_page()
    page.goto(f"{live_server.url}{reverse('surveys:survey', args=[invitation.token])}")

    page.locator("form.survey button[type=submit]").click()
    page.locator(".error-summary").wait_for()
    page.locator(".error-summary a").first.click()
    focused = page.evaluate("document.activeElement.name")
    violations = axe_violations(page)
    keep_screenshot(page, f"survey_errors_{language}")

    assert focused == "satisfaction"
    assert violations == [], describe_violations(violations)
    assert not Response.objects.exists()


def test_follow_up_question_appears_only_after_a_dissatisfied_answer(
    live_server, new_page, invitation
):
    page = new_page()
    page.goto(f"{live_server.url}{reverse('surveys:survey', args=[invitation.token])}")
    reasons = page.locator("#q-dissatisfied_reasons")

    hidden_at_first = reasons.is_hidden()
    page.locator("input[name=satisfaction][value=agree]").check()
    hidden_when_satisfied = reasons.is_hidden()
    page.locator("input[name=satisfaction][value=strongly_disagree]").check()

    assert hidden_at_first
    assert hidden_when_satisfied
    assert reasons.is_visible()


def test_arabic_scale_reads_right_to_left_in_a_row(live_server, new_page, invitation):
    page = new_page(locale="ar", viewport={"width": 1024, "height": 800})
    url = reverse("surveys:survey", args=[invitation.token])

    page.goto(f"{live_server.url}{url}?lang=ar")
    first = page.locator("label[for=q-satisfaction-1]").bounding_box()
    last = page.locator("label[for=q-satisfaction-5]").bounding_box()
    value = page.locator("#q-satisfaction-1").get_attribute("value")

    assert page.locator("html").get_attribute("dir") == "rtl"
    assert abs(first["y"] - last["y"]) < 5
    assert first["x"] > last["x"]
    assert value == "strongly_agree"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_survey_fits_a_320_pixel_phone(live_server, new_page, invitation, language):
    page = new_page(viewport={"width": 320, "height": 640})
    url = reverse("surveys:survey", args=[invitation.token])

    page.goto(f"{live_server.url}{url}?lang={language}")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    smallest = page.evaluate(
        "Math.min(...[...document.querySelectorAll('.option')]"
        ".filter(e => e.getClientRects().length)"
        ".map(e => e.getBoundingClientRect().height))"
    )

    assert overflow == 0
    assert smallest >= 44


def test_unsubscribe_and_bad_link_pages_have_no_wcag_21_aa_violations(
    live_server, new_page, invitation
):
    page = new_page()

    page.goto(
        f"{live_server.url}{reverse('surveys:unsubscribe', args=[invitation.token])}"
    )
    confirm = axe_violations(page)
    page.get_by_role("button", name="Stop survey messages").click()
    page.get_by_role("heading", name="You will not get more surveys").wait_for()
    done = axe_violations(page)
    response = page.goto(f"{live_server.url}/s/{'A' * 43}/?lang=ar")
    bad_link = axe_violations(page)

    assert confirm == [], describe_violations(confirm)
    assert done == [], describe_violations(done)
    assert response.status == 404
    assert bad_link == [], describe_violations(bad_link)
