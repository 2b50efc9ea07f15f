"""The whole loop: a 311 system closes a request, the resident answers once."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.integrations import create_integration
from surveys.models import Invitation, Message, Response

pytestmark = pytest.mark.django_db

KEY = 71234567
EMAIL = "rosa.perez@example.org"

OPEN = {
    "created_at": "2026-11-30T10:00:00",
    "status": "Open",
    "agency": "DSNY",
    "agency_name": "Department of Sanitation",
    "complaint_type": "Missed Collection",
    "incident_zip": "11204",
    "borough": "BROOKLYN",
    "channel": "PHONE",
}
CONTACT = {
    "email": EMAIL,
    "phone": "",
    "language": "es",
    "email_consent": True,
    "sms_consent": False,
}


@pytest.fixture
def api() -> APIClient:
    _, token = create_integration(name="NYC 311", agency=None)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def put(api: APIClient, body: dict):
    return api.put(
        reverse("api:service_request", kwargs={"unique_key": KEY}), body, format="json"
    )


def closed_body() -> dict:
    closed_at = timezone.localtime() - timedelta(minutes=5)
    return {
        **OPEN,
        "status": "Closed",
        "closed_at": closed_at.replace(tzinfo=None).isoformat(timespec="seconds"),
        "resolution_text": "The Department of Sanitation collected the items.",
    }


def link_path(text: str) -> str:
    url = re.search(r"https?://\S+/s/[\w-]+/", text).group(0)
    return urlsplit(url).path


def test_a_closure_through_the_api_reaches_the_resident_who_answers_once(
    api, client, django_capture_on_commit_callbacks
):
    assert put(api, {**OPEN, "contact": CONTACT}).status_code == 201
    assert mail.outbox == []

    body = closed_body()
    # Messages are queued once the closure commits.
    with django_capture_on_commit_callbacks(execute=True):
        assert put(api, body).status_code == 200
        assert put(api, body).status_code == 200  # the 311 system reports it twice

    # One message, in Spanish, with the survey link and one-click unsubscribe.
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    invitation = Invitation.objects.get(service_request_id=KEY)
    assert email.to == [EMAIL]
    assert str(KEY) in email.subject
    assert "encuesta" in email.body.lower()
    assert invitation.token in email.body
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert invitation.status == Invitation.Status.SENT
    assert invitation.messages.get(purpose="invitation").status == Message.Status.SENT

    # Opening the link, or every rating link as a mail scanner does, records nothing.
    path = link_path(email.body)
    page = client.get(path)
    assert page.status_code == 200
    assert "¿Cómo lo hicimos?" in page.text
    for answer in ("strongly_agree", "agree", "neutral", "disagree"):
        assert client.get(path, {"answer": answer}).status_code == 200
    assert not Response.objects.exists()

    answers = {"satisfaction": "disagree", "fixed": "no", "reopen": "yes"}
    first = client.post(path, answers)
    again = client.post(path, answers)

    assert first.status_code in (302, 303)
    assert again.status_code == 200
    response = Response.objects.get()
    assert (response.language, response.satisfaction, response.fixed) == (
        "es",
        25,
        "no",
    )
    assert response.wants_reopen is True
    assert response.survey_version == invitation.survey_version
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED
    # No reminder for an answered survey.
    assert not invitation.messages.filter(status=Message.Status.SCHEDULED).exists()
