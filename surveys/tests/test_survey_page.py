import re
import threading
from datetime import timedelta

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import reverse

from surveys.models import Answer, Invitation, Response
from surveys.responses import record_response
from surveys.scales import AGREEMENT
from surveys.tests.conftest import PRIVATE_ADDRESS, RESIDENT_EMAIL, RESIDENT_PHONE

pytestmark = pytest.mark.django_db

SATISFIED = {"satisfaction": "agree", "fixed": "yes"}


def survey_url(invitation, query: str = "") -> str:
    url = reverse("surveys:survey", args=[invitation.token])
    return f"{url}?{query}" if query else url


def checked_values(html: str, name: str) -> list[str]:
    return re.findall(rf'name="{name}" value="([^"]+)" checked', html)


def without_token_or_path(html: str) -> str:
    """The page minus its CSRF token and the switcher's return path."""
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="next" value="[^"]+"', "", html)


def test_survey_page_asks_every_question_with_labelled_answers(client, invitation):
    response = client.get(survey_url(invitation))
    html = response.text

    assert response.status_code == 200
    assert html.count("<fieldset") == 5
    assert html.count("<legend") == 5
    assert '<label class="question__prompt" for="q-comment-input">' in html
    for input_id in re.findall(r'<input type="(?:radio|checkbox)" id="([^"]+)"', html):
        assert f'<label for="{input_id}"' in html
    assert "(required)" in html
    assert "(optional)" in html
    assert 'maxlength="1000"' in html
    assert "Up to 1000 characters." in html


def test_agreement_scale_shows_words_not_scores(client, invitation):
    html = client.get(survey_url(invitation)).text
    scale = html[html.index('id="q-satisfaction"') : html.index('id="q-dissatisfied')]

    assert [p.value for p in AGREEMENT] == re.findall(r'value="([a-z_]+)"', scale)
    assert "Strongly agree" in scale
    assert not re.search(r">\s*(0|25|50|75|100)\s*<", scale)


@pytest.mark.parametrize("method", ["get", "head"])
def test_scanner_fetch_of_every_rating_link_records_nothing(client, invitation, method):
    fetch = getattr(client, method)

    statuses = [
        fetch(survey_url(invitation, f"answer={point.value}")).status_code
        for point in AGREEMENT
    ]
    statuses.append(fetch(survey_url(invitation)).status_code)
    invitation.refresh_from_db()

    assert statuses == [200] * 6
    assert not Response.objects.exists()
    assert invitation.status == Invitation.Status.SENT
    assert invitation.answered_at is None


def test_rating_link_preselects_its_answer(client, invitation):
    html = client.get(survey_url(invitation, "answer=disagree")).text

    assert checked_values(html, "satisfaction") == ["disagree"]


def test_rating_link_with_an_unknown_answer_preselects_nothing(client, invitation):
    for answer in ("5", "yes", "<script>", "strongly_agree'"):
        html = client.get(survey_url(invitation, f"answer={answer}")).text

        assert "checked" not in html
        assert "<script>" not in html.split("<main", 1)[1]


def test_post_records_the_answers_and_redirects_to_thanks(client, invitation):
    response = client.post(
        survey_url(invitation),
        {**SATISFIED, "reopen": "no", "comment": "  Quick work, thank you.  "},
    )
    stored = Response.objects.get(invitation=invitation)
    invitation.refresh_from_db()

    assert response.status_code == 303
    assert response["Location"] == reverse("surveys:thanks", args=[invitation.token])
    assert stored.satisfaction == 75
    assert stored.fixed == "yes"
    assert stored.wants_reopen is False
    assert stored.channel == "email"
    assert stored.language == "en"
    assert Answer.objects.get(response=stored, question__key="comment").text == (
        "Quick work, thank you."
    )
    assert invitation.status == Invitation.Status.ANSWERED


def test_second_post_gets_the_calm_already_received_page(client, invitation):
    client.post(survey_url(invitation), SATISFIED)

    again = client.post(
        survey_url(invitation), {"satisfaction": "strongly_disagree", "fixed": "no"}
    )

    assert again.status_code == 200
    assert "We already have your answers" in again.text
    assert Response.objects.count() == 1
    assert Response.objects.get().satisfaction == 75


def test_back_button_or_refresh_after_answering_shows_already_received(
    client, invitation
):
    client.post(survey_url(invitation), SATISFIED)

    page = client.get(survey_url(invitation, "answer=strongly_agree"))

    assert page.status_code == 200
    assert "We already have your answers" in page.text
    assert '<form class="survey"' not in page.text


def test_post_without_csrf_token_records_nothing(invitation):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(survey_url(invitation), SATISFIED)

    assert response.status_code == 403
    assert "Your form was not sent" in response.text
    assert not Response.objects.exists()


def test_a_refused_form_is_explained_in_the_surveys_language(make_invitation):
    invitation = make_invitation(language="ru")
    browser = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")

    response = browser.post(survey_url(invitation), SATISFIED)

    assert response.status_code == 403
    assert 'lang="ru"' in response.text
    assert "Форма не отправлена" in response.text


def test_post_with_the_page_csrf_token_records(invitation):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(survey_url(invitation)).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = browser.post(
        survey_url(invitation), {**SATISFIED, "csrfmiddlewaretoken": csrf}
    )

    assert response.status_code == 303
    assert Response.objects.count() == 1


def test_bad_links_all_get_the_same_page_that_reveals_nothing(client, make_invitation):
    expired = make_invitation(expires_in=-timedelta(minutes=1))
    skipped = make_invitation(status=Invitation.Status.SKIPPED)
    scheduled = make_invitation(status=Invitation.Status.SCHEDULED)
    valid = make_invitation()
    tampered = valid.token[:-1] + ("A" if valid.token[-1] != "A" else "B")
    tokens = [
        expired.token,
        skipped.token,
        scheduled.token,
        tampered,
        "x" * 43,
        "short",
        "not a token!",
    ]

    pages = [client.get(f"/s/{token}/") for token in tokens]
    posts = [client.post(f"/s/{token}/", SATISFIED) for token in tokens[:4]]
    thanks = [client.get(f"/s/{token}/thanks/") for token in tokens[:4]]

    bodies = {without_token_or_path(page.text) for page in pages + posts + thanks}
    assert {page.status_code for page in pages + posts + thanks} == {404}
    assert len(bodies) == 1
    body = bodies.pop()
    assert "This link does not work" in body
    assert str(expired.service_request.unique_key) not in body
    assert "expired" not in body.lower()
    assert not Response.objects.exists()


def test_conditional_question_is_ignored_when_its_condition_is_not_met(
    client, invitation
):
    client.post(
        survey_url(invitation),
        {**SATISFIED, "dissatisfied_reasons": ["not_fixed", "too_slow"]},
    )

    answered = set(
        Answer.objects.filter(response__invitation=invitation).values_list(
            "question__key", flat=True
        )
    )
    assert answered == {"satisfaction", "fixed"}


def test_conditional_question_is_recorded_when_its_condition_is_met(client, invitation):
    client.post(
        survey_url(invitation),
        {
            "satisfaction": "strongly_disagree",
            "fixed": "no",
            "dissatisfied_reasons": ["not_fixed", "too_slow"],
        },
    )

    answer = Answer.objects.get(
        response__invitation=invitation, question__key="dissatisfied_reasons"
    )
    assert answer.values == ["not_fixed", "too_slow"]


def test_a_choice_posted_twice_is_recorded_once(client, invitation):
    client.post(
        survey_url(invitation),
        {
            "satisfaction": "strongly_disagree",
            "fixed": "no",
            "dissatisfied_reasons": ["not_fixed", "too_slow", "not_fixed"],
        },
    )

    answer = Answer.objects.get(
        response__invitation=invitation, question__key="dissatisfied_reasons"
    )
    assert answer.values == ["not_fixed", "too_slow"]


def test_a_question_shown_for_some_answers_is_numbered_after_it_so_none_skip(
    client, invitation
):
    html = client.get(survey_url(invitation)).text

    numbers = re.findall(r'class="question__number">([^<]+)<', html)
    assert numbers == ["1.", "1a.", "2.", "3.", "4.", "5."]


def test_conditional_question_names_its_condition(client, invitation):
    html = client.get(survey_url(invitation)).text

    assert "If you chose “Disagree” or “Strongly disagree” in question 1:" in html


def test_missing_answers_are_listed_and_tied_to_their_fields(client, invitation):
    response = client.post(survey_url(invitation), {"comment": "kept"})
    html = response.text

    assert response.status_code == 200
    assert "<title>Error:" in html
    assert 'href="#q-satisfaction-1"' in html
    assert 'href="#q-fixed-1"' in html
    assert 'id="q-satisfaction-1"' in html
    assert re.search(
        r'<fieldset[^>]*id="q-satisfaction"[^>]*aria-describedby="[^"]*q-satisfaction-error',
        html,
    )
    assert 'id="q-satisfaction-error"' in html
    assert "Choose an answer." in html
    assert ">kept</textarea>" in html
    assert not Response.objects.exists()


def test_answers_already_given_stay_selected_after_an_error(client, invitation):
    html = client.post(
        survey_url(invitation), {"satisfaction": "neutral", "reopen": "yes"}
    ).text

    assert checked_values(html, "satisfaction") == ["neutral"]
    assert checked_values(html, "reopen") == ["yes"]
    assert 'href="#q-fixed-1"' in html


def test_line_breaks_count_once_as_the_browser_counts_them(client, invitation):
    # 999 characters as the textarea counts them: 990 letters and 9 breaks,
    # each sent as CR LF.
    comment = "\r\n".join(["x" * 99] * 10)

    response = client.post(survey_url(invitation), {**SATISFIED, "comment": comment})

    assert response.status_code == 303
    stored = Answer.objects.get(question__key="comment").text
    assert stored == "\n".join(["x" * 99] * 10)


def test_comment_over_the_limit_is_refused_with_a_clear_error(client, invitation):
    response = client.post(survey_url(invitation), {**SATISFIED, "comment": "x" * 1001})

    assert response.status_code == 200
    assert "Use at most 1000 characters. Your answer has 1001." in response.text
    assert 'aria-describedby="q-comment-hint q-comment-limit q-comment-error"' in (
        response.text
    )
    assert not Response.objects.exists()


def test_answer_that_was_not_offered_is_refused(client, invitation):
    response = client.post(
        survey_url(invitation), {"satisfaction": "100", "fixed": "yes"}
    )

    assert "Choose one of the answers shown." in response.text
    assert not Response.objects.exists()


def test_page_opens_in_the_invitation_language_whatever_the_browser_says(
    client, make_invitation
):
    invitation = make_invitation(language="es")

    response = client.get(survey_url(invitation), HTTP_ACCEPT_LANGUAGE="fr")

    assert '<html lang="es"' in response.text
    assert "¿Cómo lo hicimos?" in response.text
    assert "Muy de acuerdo" in response.text


def test_switching_language_keeps_the_link_and_its_answer(client, invitation):
    page = client.get(survey_url(invitation, "answer=agree")).text
    next_url = re.search(r'name="next" value="([^"]+)"', page).group(1)

    switched = client.post(
        reverse("set_language"), {"language": "es", "next": next_url}, follow=True
    )

    assert next_url == survey_url(invitation, "answer=agree")
    assert switched.redirect_chain[-1][0] == next_url
    assert '<html lang="es"' in switched.text
    assert checked_values(switched.text, "satisfaction") == ["agree"]


def test_answers_are_stored_with_the_language_they_were_given_in(client, invitation):
    client.post(survey_url(invitation, "lang=pl"), SATISFIED)

    assert Response.objects.get().language == "pl"


@pytest.mark.parametrize("language", ["ar", "ur"])
def test_arabic_and_urdu_read_right_to_left_with_stored_values_unchanged(
    client, invitation, language
):
    html = client.get(survey_url(invitation, f"lang={language}")).text
    scale = html[html.index('id="q-satisfaction"') : html.index('id="q-dissatisfied')]

    assert f'<html lang="{language}" dir="rtl"' in html
    assert re.findall(r'value="([a-z_]+)"', scale) == [p.value for p in AGREEMENT]
    assert "Strongly agree" not in scale


def test_no_page_shows_the_residents_email_phone_or_address(client, invitation):
    pages = [client.get(survey_url(invitation)).text]
    client.post(survey_url(invitation), {**SATISFIED, "reopen": "yes"})
    pages.append(client.get(reverse("surveys:thanks", args=[invitation.token])).text)
    pages.append(client.get(survey_url(invitation)).text)

    for html in pages:
        assert RESIDENT_EMAIL not in html
        assert RESIDENT_PHONE not in html
        assert PRIVATE_ADDRESS.lower() not in html.lower()


def test_page_shows_the_request_and_what_the_agency_did(client, invitation):
    html = client.get(survey_url(invitation)).text

    assert str(invitation.service_request.unique_key) in html
    assert "An inspector visited the address you gave" in html
    assert "HEAT/HOT WATER" in html


def test_pages_are_never_kept_by_shared_caches(client, invitation):
    response = client.get(survey_url(invitation))

    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_thanks_page_says_a_supervisor_reviews_a_reopen_request(client, invitation):
    client.post(survey_url(invitation), {**SATISFIED, "reopen": "yes"})

    html = client.get(reverse("surveys:thanks", args=[invitation.token])).text

    assert "Thank you for your answers" in html
    assert "A supervisor will review your answers" in html
    assert f'href="/requests/{invitation.service_request.unique_key}/"' in html


def test_thanks_page_for_a_satisfied_resident_promises_no_review(client, invitation):
    client.post(survey_url(invitation), SATISFIED)

    html = client.get(reverse("surveys:thanks", args=[invitation.token])).text

    assert "Thank you for your answers" in html
    assert "supervisor" not in html


def test_thanks_page_before_answering_leads_back_to_the_survey(client, invitation):
    response = client.get(reverse("surveys:thanks", args=[invitation.token]))

    assert response.status_code == 302
    assert response["Location"] == survey_url(invitation)


def test_response_begun_by_text_message_is_completed_on_the_web(
    client, make_invitation
):
    invitation = make_invitation(channel="sms")
    record_response(
        invitation=invitation,
        answers={"satisfaction": "disagree"},
        language="en",
        channel="sms",
        is_complete=False,
    )

    page = client.get(survey_url(invitation)).text
    posted = client.post(
        survey_url(invitation),
        {"satisfaction": "disagree", "fixed": "no", "reopen": "yes"},
    )
    stored = Response.objects.get(invitation=invitation)

    assert checked_values(page, "satisfaction") == ["disagree"]
    assert "We received your answer by text message" in page
    assert posted.status_code == 303
    assert stored.is_complete
    assert stored.wants_reopen is True


def test_too_many_posts_on_one_link_get_a_polite_429(client, invitation, settings):
    settings.SURVEY_RATE_POST_PER_TOKEN = "3/h"

    statuses = [client.post(survey_url(invitation), {}).status_code for _ in range(4)]
    refused = client.post(survey_url(invitation), SATISFIED)

    assert statuses == [200, 200, 200, 429]
    assert refused.status_code == 429
    assert "Please try again later" in refused.text
    assert refused["Retry-After"]
    assert not Response.objects.exists()


def test_too_many_requests_from_one_address_get_a_polite_429(
    client, make_invitation, settings
):
    settings.SURVEY_RATE_GET_PER_IP = "3/h"
    links = [survey_url(make_invitation()) for _ in range(4)]

    statuses = [client.get(link).status_code for link in links]
    elsewhere = client.get(links[0], REMOTE_ADDR="192.0.2.7")

    assert statuses == [200, 200, 200, 429]
    assert elsewhere.status_code == 200


def test_rate_limit_page_is_translated(client, invitation, settings):
    settings.SURVEY_RATE_GET_PER_TOKEN = "1/h"
    client.get(survey_url(invitation))

    refused = client.get(survey_url(invitation, "lang=es"))

    assert refused.status_code == 429
    assert '<html lang="es"' in refused.text
    assert "Please try again later" not in refused.text


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_parallel_posts_give_one_response_and_no_error(
    live_server, make_invitation
):
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    invitation = make_invitation()
    url = f"{live_server.url}{survey_url(invitation)}"
    sessions = [requests.Session() for _ in range(2)]
    forms = []
    for session in sessions:
        page = session.get(url, timeout=10).text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        forms.append({**SATISFIED, "csrfmiddlewaretoken": token})
    start = threading.Barrier(2)
    results = [None, None]

    def post(i: int) -> None:
        start.wait()
        results[i] = sessions[i].post(
            url,
            data=forms[i],
            headers={"Referer": url},
            allow_redirects=False,
            timeout=20,
        )

    threads = [threading.Thread(target=post, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(r.status_code for r in results) == [200, 303]
    assert "We already have your answers" in next(
        r.text for r in results if r.status_code == 200
    )
    assert Response.objects.filter(invitation=invitation).count() == 1


def test_survey_page_reads_the_database_once_per_view(
    client, invitation, django_assert_num_queries
):
    client.get(survey_url(invitation))  # keeps the survey and the told text

    with django_assert_num_queries(1):
        page = client.get(survey_url(invitation, "answer=agree"))
    client.post(survey_url(invitation), SATISFIED)
    with django_assert_num_queries(1):
        again = client.post(survey_url(invitation), SATISFIED)

    assert checked_values(page.text, "satisfaction") == ["agree"]
    assert "We already have your answers" in again.text


def test_behind_a_proxy_each_resident_is_counted_by_their_own_address(
    client, make_invitation, settings
):
    settings.SURVEY_PROXY_HOPS = 1
    settings.SURVEY_RATE_GET_PER_IP = "1/h"
    first, second, third = (survey_url(make_invitation()) for _ in range(3))

    resident_a = client.get(first, HTTP_X_FORWARDED_FOR="203.0.113.5")
    resident_b = client.get(second, HTTP_X_FORWARDED_FOR="203.0.113.6")
    a_spoofing = client.get(third, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.5")

    assert resident_a.status_code == 200
    assert resident_b.status_code == 200
    assert a_spoofing.status_code == 429


def test_tokens_stay_out_of_the_logs(invitation, caplog):
    browser = Client(enforce_csrf_checks=True)

    browser.post(survey_url(invitation), SATISFIED)
    browser.get(f"/s/{invitation.token[:-2]}xx/")

    assert caplog.records
    assert invitation.token[:20] not in caplog.text
