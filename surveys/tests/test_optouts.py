from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.addresses import address_digest
from surveys.models import Channel, Invitation, Message, OptOut
from surveys.optouts import is_opted_out, opt_back_in, opt_out, opt_out_digest
from surveys.tests.sent import EMAIL, PHONE, reminder, sent_invitation

pytestmark = pytest.mark.django_db


def scheduled_invitation(*, phone: str = PHONE) -> Invitation:
    """An invitation still waiting for its send time (e.g. quiet hours)."""
    invitation = sent_invitation(phone=phone)
    invitation.status = Invitation.Status.SCHEDULED
    invitation.sent_at = None
    invitation.save()
    invitation.messages.update(status=Message.Status.SCHEDULED)
    return invitation


def test_opt_out_stops_the_address_on_that_channel_only():
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    assert is_opted_out(channel=Channel.SMS, address=PHONE)
    assert not is_opted_out(channel=Channel.SMS, address="+12125550199")
    assert not is_opted_out(channel=Channel.EMAIL, address=EMAIL)


def test_email_opt_out_ignores_case_and_spaces():
    opt_out(
        channel=Channel.EMAIL,
        address=" Resident@Example.ORG ",
        source=OptOut.Source.UNSUBSCRIBE_LINK,
    )

    assert is_opted_out(channel=Channel.EMAIL, address=EMAIL)


def test_opt_out_keeps_no_address():
    opt_out(channel=Channel.EMAIL, address=EMAIL, source=OptOut.Source.STAFF)

    optout = OptOut.objects.get()
    assert optout.address_digest == address_digest(Channel.EMAIL, EMAIL)
    assert EMAIL not in str(optout)
    stored = [str(getattr(optout, f.attname)) for f in OptOut._meta.fields]
    assert not any(EMAIL in value for value in stored)


def test_opt_out_cancels_scheduled_messages_and_skips_scheduled_invitations():
    waiting = scheduled_invitation()
    other_resident = scheduled_invitation(phone="+12125550199")

    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    waiting.refresh_from_db()
    assert waiting.status == Invitation.Status.SKIPPED
    assert waiting.skip_reason == Invitation.SkipReason.OPTED_OUT
    assert set(waiting.messages.values_list("status", flat=True)) == {
        Message.Status.CANCELLED
    }
    other_resident.refresh_from_db()
    assert other_resident.status == Invitation.Status.SCHEDULED


def test_opt_out_cancels_the_reminder_of_a_sent_invitation_but_keeps_it_answerable():
    invitation = sent_invitation()

    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert reminder(invitation).status == Message.Status.CANCELLED


def test_opt_out_by_digest_works_after_the_contact_is_purged():
    invitation = scheduled_invitation()
    invitation.contact.delete()

    opt_out_digest(
        channel=Channel.SMS,
        digest=address_digest(Channel.SMS, PHONE),
        source=OptOut.Source.COMPLAINT,
    )

    assert is_opted_out(channel=Channel.SMS, address=PHONE)
    invitation.refresh_from_db()
    assert invitation.skip_reason == Invitation.SkipReason.OPTED_OUT


def test_opt_back_in_allows_new_invitations_and_keeps_the_history():
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    assert opt_back_in(channel=Channel.SMS, address=PHONE) is True

    # The check every new invitation makes before it is sent.
    assert not is_opted_out(channel=Channel.SMS, address=PHONE)
    optout = OptOut.objects.get()
    assert optout.opted_back_in_at is not None
    assert optout.source == OptOut.Source.SMS_KEYWORD


def test_stop_then_start_then_stop_again_reuses_one_row():
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)
    opt_back_in(channel=Channel.SMS, address=PHONE)
    before_second_stop = timezone.now() - timedelta(seconds=1)

    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    optout = OptOut.objects.get()
    assert optout.is_active
    assert optout.opted_out_at > before_second_stop
    assert is_opted_out(channel=Channel.SMS, address=PHONE)


def test_opt_back_in_without_an_opt_out_changes_nothing():
    assert opt_back_in(channel=Channel.SMS, address=PHONE) is False
    assert not OptOut.objects.exists()


def test_opt_back_in_does_not_revive_invitations_skipped_while_opted_out():
    waiting = scheduled_invitation()
    opt_out(channel=Channel.SMS, address=PHONE, source=OptOut.Source.SMS_KEYWORD)

    opt_back_in(channel=Channel.SMS, address=PHONE)

    waiting.refresh_from_db()
    assert waiting.status == Invitation.Status.SKIPPED
