import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from surveys.addresses import address_digest
from surveys.models import Contact, Invitation, Message, OptOut
from surveys.optouts import is_opted_out, opt_back_in, opt_out
from surveys.tests.conftest import RESIDENT_EMAIL, RESIDENT_PHONE

pytestmark = pytest.mark.django_db


def unsubscribe_url(invitation) -> str:
    return reverse("surveys:unsubscribe", args=[invitation.token])


def test_opening_the_link_only_asks_to_confirm(client, invitation):
    page = client.get(unsubscribe_url(invitation))
    client.head(unsubscribe_url(invitation))

    assert page.status_code == 200
    assert "Stop survey messages" in page.text
    assert "the email address this link was sent to" in page.text
    assert '<form method="post"' in page.text
    assert not OptOut.objects.exists()


def test_confirming_opts_the_email_address_out(invitation):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(unsubscribe_url(invitation)).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    done = browser.post(unsubscribe_url(invitation), {"csrfmiddlewaretoken": csrf})
    optout = OptOut.objects.get()

    assert done.status_code == 200
    assert "You will not get more surveys" in done.text
    assert RESIDENT_EMAIL not in done.text
    assert optout.source == OptOut.Source.UNSUBSCRIBE_LINK
    assert optout.channel == "email"
    assert optout.address_digest == address_digest("email", RESIDENT_EMAIL)
    assert is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_confirming_without_the_page_csrf_token_opts_nothing_out(invitation):
    browser = Client(enforce_csrf_checks=True)

    refused = browser.post(unsubscribe_url(invitation), {})

    assert refused.status_code == 403
    assert not OptOut.objects.exists()


def test_one_click_unsubscribe_works_without_cookies_or_csrf(invitation):
    mail_provider = Client(enforce_csrf_checks=True)

    response = mail_provider.post(
        unsubscribe_url(invitation), {"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert OptOut.objects.get().source == OptOut.Source.LIST_UNSUBSCRIBE
    assert is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_one_click_unsubscribe_as_urlencoded_body(invitation):
    response = Client(enforce_csrf_checks=True).post(
        unsubscribe_url(invitation),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_unsubscribing_cancels_the_scheduled_reminder(invitation):
    reminder = Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.REMINDER,
        send_after=invitation.sent_at + timedelta(days=3),
    )
    invitation.address_digest = address_digest("email", RESIDENT_EMAIL)
    invitation.save()

    Client().post(unsubscribe_url(invitation), {"List-Unsubscribe": "One-Click"})
    reminder.refresh_from_db()

    assert reminder.status == Message.Status.CANCELLED


def test_sms_link_opts_the_phone_number_out(client, make_invitation):
    invitation = make_invitation(channel="sms")

    page = client.get(unsubscribe_url(invitation)).text
    client.post(unsubscribe_url(invitation))

    assert "the phone number this link was sent to" in page
    assert RESIDENT_PHONE not in page
    assert is_opted_out(channel="sms", address=RESIDENT_PHONE)
    assert not is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_link_still_works_after_the_contact_details_are_purged(client, invitation):
    invitation.address_digest = address_digest("email", RESIDENT_EMAIL)
    invitation.save()
    Contact.objects.filter(pk=invitation.contact_id).delete()

    response = client.post(unsubscribe_url(invitation))

    assert response.status_code == 200
    assert is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_link_still_works_after_the_survey_has_expired(client, make_invitation):
    invitation = make_invitation(expires_in=-timedelta(days=5))

    response = client.post(unsubscribe_url(invitation))

    assert response.status_code == 200
    assert is_opted_out(channel="email", address=RESIDENT_EMAIL)


def test_unknown_link_gets_the_friendly_page_and_opts_nothing_out(client):
    page = client.get("/u/" + "A" * 43 + "/")
    one_click = Client().post("/u/" + "A" * 43 + "/", {"List-Unsubscribe": "One-Click"})

    assert page.status_code == 404
    assert "This link does not work" in page.text
    assert one_click.status_code == 404
    assert not OptOut.objects.exists()


def test_one_click_from_a_busy_mail_provider_is_not_limited_by_address(
    make_invitation, settings
):
    settings.SURVEY_RATE_POST_PER_IP = "2/h"
    links = [unsubscribe_url(make_invitation()) for _ in range(3)]
    provider = Client(REMOTE_ADDR="198.51.100.25")

    statuses = [
        provider.post(link, {"List-Unsubscribe": "One-Click"}).status_code
        for link in links
    ]
    form_posts = [provider.post(link).status_code for link in links]

    assert statuses == [200, 200, 200]
    assert form_posts == [200, 200, 429]


def test_the_link_of_an_invitation_never_sent_opts_nothing_out(client, invitation):
    Invitation.objects.filter(pk=invitation.pk).update(
        status=Invitation.Status.SKIPPED, sent_at=None
    )

    page = client.post(unsubscribe_url(invitation))
    one_click = Client().post(
        unsubscribe_url(invitation), {"List-Unsubscribe": "One-Click"}
    )

    assert page.status_code == 404
    assert one_click.status_code == 404
    assert not OptOut.objects.exists()


def test_opening_the_link_again_after_unsubscribing_says_so_without_asking(
    client, invitation
):
    opt_out(
        channel="email", address=RESIDENT_EMAIL, source=OptOut.Source.UNSUBSCRIBE_LINK
    )

    page = client.get(unsubscribe_url(invitation))

    assert page.status_code == 200
    assert "You will not get more surveys" in page.text
    assert '<form method="post"' not in page.text


def test_after_opting_back_in_the_link_asks_again(client, invitation):
    opt_out(
        channel="email", address=RESIDENT_EMAIL, source=OptOut.Source.UNSUBSCRIBE_LINK
    )
    opt_back_in(channel="email", address=RESIDENT_EMAIL)

    page = client.get(unsubscribe_url(invitation))

    assert '<form method="post"' in page.text


def test_after_the_contact_is_purged_the_link_still_knows_it_was_unsubscribed(
    client, invitation
):
    invitation.address_digest = address_digest("email", RESIDENT_EMAIL)
    invitation.save()
    opt_out(
        channel="email", address=RESIDENT_EMAIL, source=OptOut.Source.UNSUBSCRIBE_LINK
    )
    Contact.objects.filter(pk=invitation.contact_id).delete()

    page = client.get(unsubscribe_url(invitation))

    assert "You will not get more surveys" in page.text
