import re

import pytest
from django.shortcuts import render
from django.test import Client
from django.urls import reverse

from agencies.models import ComplaintType
from surveys import views

pytestmark = pytest.mark.django_db

SATISFIED = {"satisfaction": "agree", "fixed": "yes"}


def plain_render(request, template_name, *, context, **_):
    return render(request, template_name, context)


def without_csrf_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def pages(client, monkeypatch, url: str, *, post: dict | None = None) -> list[str]:
    """The page drawn from a kept shell (twice) and straight from its template."""

    def fetch() -> str:
        response = client.post(url, post) if post else client.get(url)
        return without_csrf_tokens(response.text)

    filled = [fetch(), fetch()]
    with monkeypatch.context() as patched:
        patched.setattr(views, "render_filled", plain_render)
        return [*filled, fetch()]


@pytest.mark.parametrize(
    ("language", "query"),
    [("en", ""), ("en", "answer=agree"), ("es", ""), ("ar", ""), ("en", "lang=ur")],
)
def test_survey_page_is_the_same_as_the_template_draws_it(
    client, monkeypatch, make_invitation, language, query
):
    invitation = make_invitation(language=language)
    url = reverse("surveys:survey", args=[invitation.token])

    first, kept, drawn = pages(client, monkeypatch, f"{url}?{query}")

    assert first == kept == drawn
    assert invitation.token in drawn
    assert str(invitation.service_request.unique_key) in drawn


def test_resident_values_are_escaped_as_the_template_escapes_them(
    client, monkeypatch, invitation
):
    ComplaintType.objects.filter(
        pk=invitation.service_request.complaint_type_id
    ).update(name='HEAT & "HOT" <WATER>')
    url = reverse("surveys:survey", args=[invitation.token])

    first, kept, drawn = pages(client, monkeypatch, url)

    assert first == kept == drawn
    assert "HEAT &amp; &quot;HOT&quot; &lt;WATER&gt;" in drawn


def test_a_request_without_complaint_type_gets_its_own_layout(
    client, monkeypatch, make_invitation
):
    with_type = make_invitation()
    without_type = make_invitation()
    without_type.service_request.complaint_type = None
    without_type.service_request.save(update_fields=["complaint_type"])
    client.get(reverse("surveys:survey", args=[with_type.token]))

    url = reverse("surveys:survey", args=[without_type.token])
    first, kept, drawn = pages(client, monkeypatch, url)

    assert first == kept == drawn
    assert "HEAT/HOT WATER" not in drawn


def test_already_received_page_is_the_same_as_the_template_draws_it(
    client, monkeypatch, invitation
):
    url = reverse("surveys:survey", args=[invitation.token])
    client.post(url, SATISFIED)

    first, kept, drawn = pages(client, monkeypatch, url, post=SATISFIED)

    assert first == kept == drawn
    assert "We already have your answers" in drawn


def test_each_visitor_gets_a_working_csrf_token_from_a_kept_page(invitation):
    url = reverse("surveys:survey", args=[invitation.token])
    Client().get(url)  # draws and keeps the page
    visitor = Client(enforce_csrf_checks=True)
    page = visitor.get(url).text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    response = visitor.post(url, {**SATISFIED, "csrfmiddlewaretoken": token})

    assert response.status_code == 303
