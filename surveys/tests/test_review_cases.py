"""Which responses open a review case, in what priority, and the case's history."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from agencies.models import ServiceRequest, StaffMembership
from config.testing.staff import staff
from resolutions.models import ResolutionDescription
from surveys.models import ReviewCase, ReviewEvent
from surveys.responses import Outcome, record_response
from surveys.review import services
from surveys.review.deadlines import add_business_days

pytestmark = pytest.mark.django_db

Priority = ReviewCase.Priority
Told = ResolutionDescription.Outcome
Role = StaffMembership.Role
HAPPY = {"satisfaction": "agree", "fixed": "yes", "reopen": "no"}


def answer(invitation, **answers):
    response, _ = record_response(
        invitation=invitation,
        answers={**HAPPY, **answers},
        language="en",
        channel="email",
    )
    return response


def text_reply(invitation, satisfaction: str) -> None:
    """The first answer of a survey begun by a text message reply."""
    record_response(
        invitation=invitation,
        answers={"satisfaction": satisfaction},
        language="en",
        channel="sms",
        is_complete=False,
    )


def told(invitation, outcome: str, *, open_hours: float = 72) -> None:
    """Make the request's told description say `outcome`, closed after open_hours."""
    service_request = invitation.service_request
    ResolutionDescription.objects.filter(
        pk=service_request.resolution_description_id
    ).update(outcome=outcome)
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        created_at=service_request.closed_at - timedelta(hours=open_hours)
    )


def reported_again(invitation, *, after: timedelta, address: str | None = None):
    """A new request of the same type; at the same address unless one is given."""
    service_request = invitation.service_request
    # An address of its own, so the other fixtures' requests are not repeats.
    own = f"{service_request.pk} HIDDEN LANE"
    ServiceRequest.objects.filter(pk=service_request.pk).update(incident_address=own)
    return ServiceRequest.objects.create(
        unique_key=service_request.pk + 500000,
        created_at=service_request.closed_at + after,
        status=ServiceRequest.Status.OPEN,
        agency=service_request.agency,
        complaint_type=service_request.complaint_type,
        incident_address=address or own,
    )


def test_satisfied_fixed_response_opens_no_case(invitation):
    answer(invitation)

    assert not ReviewCase.objects.exists()


def test_neutral_and_not_sure_open_no_case(invitation):
    answer(invitation, satisfaction="neutral", fixed="not_sure")

    assert not ReviewCase.objects.exists()


@pytest.mark.parametrize(
    ("answers", "reason"),
    [
        ({"satisfaction": "disagree"}, "is_dissatisfied"),
        ({"satisfaction": "strongly_disagree"}, "is_dissatisfied"),
        ({"fixed": "no"}, "is_not_fixed"),
        ({"reopen": "yes"}, "wants_reopen"),
    ],
)
def test_each_reason_opens_a_case(invitation, answers, reason):
    response = answer(invitation, **answers)

    case = ReviewCase.objects.get()
    assert case.response == response
    assert getattr(case, reason) is True
    assert case.agency_id == "HPD"
    assert case.service_request_id == invitation.service_request_id
    assert case.status == ReviewCase.Status.OPEN


def test_second_submission_keeps_one_case(invitation):
    answer(invitation, satisfaction="strongly_disagree")
    _, outcome = record_response(
        invitation=invitation,
        answers={"satisfaction": "strongly_disagree", "reopen": "yes"},
        language="en",
        channel="email",
    )

    assert outcome is Outcome.ALREADY_RECEIVED
    assert ReviewCase.objects.count() == 1
    assert ReviewEvent.objects.filter(kind=ReviewEvent.Kind.OPENED).count() == 1


def test_sms_start_then_web_completion_opens_one_case_when_it_qualifies(
    make_invitation,
):
    invitation = make_invitation(channel="sms")
    text_reply(invitation, "agree")
    assert not ReviewCase.objects.exists()

    _, outcome = record_response(
        invitation=invitation,
        answers={"satisfaction": "agree", "fixed": "no"},
        language="en",
        channel="email",
    )

    assert outcome is Outcome.COMPLETED
    case = ReviewCase.objects.get()
    assert case.is_not_fixed and not case.is_dissatisfied


def test_web_completion_raises_the_case_an_sms_reply_opened(make_invitation):
    invitation = make_invitation(channel="sms")
    text_reply(invitation, "strongly_disagree")
    assert ReviewCase.objects.get().priority == Priority.OTHER

    record_response(
        invitation=invitation,
        answers={"satisfaction": "strongly_disagree", "reopen": "yes"},
        language="en",
        channel="email",
    )

    case = ReviewCase.objects.get()
    assert case.priority == Priority.REOPEN_REQUESTED
    assert list(case.events.values_list("kind", flat=True)) == [
        "opened",
        "priority_changed",
    ]


def test_web_answers_that_need_no_review_close_the_case_an_sms_reply_opened(
    make_invitation,
):
    invitation = make_invitation(channel="sms")
    text_reply(invitation, "disagree")
    assert ReviewCase.objects.get().status == ReviewCase.Status.OPEN

    record_response(
        invitation=invitation,
        answers={"satisfaction": "strongly_agree", "fixed": "yes", "reopen": "no"},
        language="en",
        channel="email",
    )

    case = ReviewCase.objects.get()
    assert case.status == ReviewCase.Status.CLOSED
    assert case.resolution == ReviewCase.Resolution.ANSWERS_COMPLETED
    assert case.closed_by is None and case.closed_at is not None
    closing = case.events.get(kind=ReviewEvent.Kind.CLOSED)
    assert closing.actor is None
    assert closing.text.startswith("Completed answers need no review: ")
    assert "completed the survey on the web" in case.resolution_note


def test_web_answers_that_need_no_review_leave_an_assigned_case_with_a_note(
    make_invitation, django_user_model
):
    invitation = make_invitation(channel="sms")
    text_reply(invitation, "disagree")
    supervisor = staff(
        django_user_model,
        "sam",
        Role.SUPERVISOR,
        invitation.service_request.agency,
    )
    ReviewCase.objects.update(assigned_to=supervisor)

    record_response(
        invitation=invitation,
        answers={"satisfaction": "strongly_agree", "fixed": "yes", "reopen": "no"},
        language="en",
        channel="email",
    )

    case = ReviewCase.objects.get()
    assert case.status == ReviewCase.Status.OPEN
    note = case.events.get(kind=ReviewEvent.Kind.NOTE)
    assert "stays open because it is assigned" in note.text


def test_reopen_request_comes_first(invitation):
    told(invitation, Told.FIXED)

    answer(invitation, fixed="no", reopen="yes")

    assert ReviewCase.objects.get().priority == Priority.REOPEN_REQUESTED


def test_not_fixed_after_being_told_fixed(invitation):
    told(invitation, Told.FIXED)

    answer(invitation, fixed="no")

    case = ReviewCase.objects.get()
    assert case.priority == Priority.NOT_FIXED_BUT_TOLD_FIXED
    assert case.was_told_fixed and case.told_outcome == Told.FIXED


def test_not_fixed_without_being_told_fixed_is_not_raised(invitation):
    told(invitation, Told.REFERRED)

    answer(invitation, fixed="no")

    assert ReviewCase.objects.get().priority == Priority.OTHER


@pytest.mark.parametrize("outcome", [Told.NO_VIOLATION, Told.NO_ACCESS])
def test_fast_closure_without_a_fix(invitation, settings, outcome):
    settings.REVIEW_FAST_CLOSURE_HOURS = 24
    told(invitation, outcome, open_hours=3)

    answer(invitation, satisfaction="disagree")

    case = ReviewCase.objects.get()
    assert case.is_fast_closure
    assert case.priority == Priority.FAST_CLOSURE


def test_slow_closure_or_other_outcome_is_not_fast(make_invitation, settings):
    settings.REVIEW_FAST_CLOSURE_HOURS = 24
    slow, fixed = make_invitation(), make_invitation()
    told(slow, Told.NO_VIOLATION, open_hours=30)
    told(fixed, Told.FIXED, open_hours=3)

    answer(slow, satisfaction="disagree")
    answer(fixed, satisfaction="disagree")

    assert not ReviewCase.objects.filter(is_fast_closure=True).exists()


def test_repeat_request_within_the_window(invitation, settings):
    settings.REVIEW_REPEAT_DAYS = 30
    # Same address written differently still counts.
    key = invitation.service_request_id
    reported_again(
        invitation, after=timedelta(hours=5), address=f" {key}  hidden lane "
    )

    answer(invitation, satisfaction="disagree")

    case = ReviewCase.objects.get()
    assert case.is_repeat_request
    assert case.priority == Priority.REPEAT_REQUEST


def test_an_address_written_with_tabs_and_a_line_break_is_the_same_address(
    invitation, settings
):
    settings.REVIEW_REPEAT_DAYS = 30
    key = invitation.service_request_id
    reported_again(
        invitation, after=timedelta(hours=5), address=f"{key}\t hidden \n  lane"
    )

    answer(invitation, satisfaction="disagree")

    assert ReviewCase.objects.get().is_repeat_request


def test_request_after_the_window_or_elsewhere_is_no_repeat(make_invitation, settings):
    settings.REVIEW_REPEAT_DAYS = 30
    late, elsewhere = make_invitation(), make_invitation()
    reported_again(late, after=timedelta(days=31))
    reported_again(elsewhere, after=timedelta(days=1), address="1 OTHER LANE")

    answer(late, satisfaction="disagree")
    answer(elsewhere, satisfaction="disagree")

    assert not ReviewCase.objects.filter(is_repeat_request=True).exists()


def test_priorities_in_order(make_invitation, settings):
    """Reopen, told fixed, fast closure, repeat, then the oldest."""
    settings.REVIEW_FAST_CLOSURE_HOURS = 24
    oldest_plain, plain, repeat, fast, told_fixed, reopen = (
        make_invitation() for _ in range(6)
    )
    reported_again(repeat, after=timedelta(days=2))
    told(fast, Told.NO_ACCESS, open_hours=2)
    told(told_fixed, Told.FIXED)
    answered = timezone.now() - timedelta(days=3)
    record_response(
        invitation=oldest_plain,
        answers={**HAPPY, "satisfaction": "disagree"},
        language="en",
        channel="email",
        answered_at=answered,
    )
    answer(plain, satisfaction="disagree")
    answer(repeat, satisfaction="disagree")
    answer(fast, satisfaction="disagree")
    answer(told_fixed, fixed="no")
    answer(reopen, reopen="yes")

    order = list(
        ReviewCase.objects.in_queue_order().values_list("service_request", flat=True)
    )

    assert order == [
        i.service_request_id
        for i in (reopen, told_fixed, fast, repeat, oldest_plain, plain)
    ]


def test_later_repeat_raises_an_open_case(invitation, settings):
    settings.REVIEW_REPEAT_DAYS = 30
    answer(invitation, satisfaction="disagree")
    reported_again(invitation, after=timedelta(days=1))

    raised = services.refresh_review_priorities()
    again = services.refresh_review_priorities()

    case = ReviewCase.objects.get()
    assert (raised, again) == (1, 0)
    assert case.is_repeat_request and case.priority == Priority.REPEAT_REQUEST
    event = case.events.get(kind=ReviewEvent.Kind.PRIORITY_CHANGED)
    assert event.actor is None


def test_deadline_skips_the_weekend(settings):
    settings.REVIEW_DEADLINE_BUSINESS_DAYS = 5
    # Thursday 5 March 2026, 10:00 in New York.
    thursday = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)

    due = add_business_days(thursday, 5)

    # Friday, Monday to Thursday: Thursday 12 March, still 10:00 New York time
    # although the clocks changed on Sunday 8 March.
    assert due.date().isoformat() == "2026-03-12"
    assert (due.hour, due.minute) == (10, 0)


def test_deadline_skips_holidays():
    # Wednesday 1 July 2026; Friday 3 July is the observed Independence Day.
    opened = datetime(2026, 7, 1, 14, 0, tzinfo=UTC)

    due = add_business_days(opened, 5)

    assert due.date().isoformat() == "2026-07-09"


def test_case_due_date_comes_from_business_days(invitation, settings):
    settings.REVIEW_DEADLINE_BUSINESS_DAYS = 5
    saturday = datetime(2026, 3, 7, 15, 0, tzinfo=UTC)
    record_response(
        invitation=invitation,
        answers={**HAPPY, "fixed": "no"},
        language="en",
        channel="email",
        answered_at=saturday,
    )

    case = ReviewCase.objects.get()

    assert case.opened_at == saturday
    assert timezone.localtime(case.due_at).date().isoformat() == "2026-03-13"
    assert case.is_overdue


@pytest.fixture
def supervisor(django_user_model, hpd):
    return staff(django_user_model, "sam", Role.SUPERVISOR, hpd)


def test_history_records_who_did_what_and_when(invitation, supervisor, hpd):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()
    before = timezone.now()

    services.assign_case(case=case, assignee=supervisor, actor=supervisor)
    services.add_note(case=case, text="Called, no answer.", actor=supervisor)
    services.close_case(
        case=case,
        resolution=ReviewCase.Resolution.RESIDENT_CONTACTED,
        note="Spoke on the second try.",
        actor=supervisor,
    )

    events = list(case.events.all())
    assert [e.kind for e in events] == ["opened", "assigned", "note", "closed"]
    assert events[0].actor is None
    assert all(e.actor == supervisor for e in events[1:])
    assert all(e.at >= before for e in events[1:])
    assert events[1].assignee == supervisor
    assert events[3].text == "Resident contacted: Spoke on the second try."
    case.refresh_from_db()
    assert case.status == ReviewCase.Status.CLOSED
    assert case.closed_by == supervisor


def test_repeated_actions_leave_one_history_entry(invitation, supervisor):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()

    results = [
        services.assign_case(case=case, assignee=supervisor, actor=supervisor),
        services.assign_case(case=case, assignee=supervisor, actor=supervisor),
        services.add_note(case=case, text="Same note", actor=supervisor),
        services.add_note(case=case, text="Same note", actor=supervisor),
        services.close_case(
            case=case, resolution="explained", note="", actor=supervisor
        ),
        services.close_case(
            case=case, resolution="explained", note="", actor=supervisor
        ),
    ]

    assert results == [True, False, True, False, True, False]
    assert case.events.count() == 4


def test_another_outcome_for_a_closed_case_is_refused_not_dropped(
    invitation, supervisor
):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()
    services.close_case(case=case, resolution="explained", note="", actor=supervisor)

    with pytest.raises(services.ReviewError, match="already closed by"):
        services.close_case(case=case, resolution="referred", note="", actor=supervisor)

    case.refresh_from_db()
    assert case.resolution == "explained"
    assert case.events.count() == 2


def test_no_action_possible_needs_a_reason(invitation, supervisor):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()

    with pytest.raises(services.ReviewError):
        services.close_case(
            case=case, resolution="no_action_possible", note="  ", actor=supervisor
        )
    with pytest.raises(services.ReviewError):
        services.close_case(case=case, resolution="", note="", actor=supervisor)

    case.refresh_from_db()
    assert case.status == ReviewCase.Status.OPEN


def test_only_the_agencys_supervisors_can_be_assigned(
    invitation, supervisor, django_user_model, dsny, liaison
):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()
    other = staff(django_user_model, "olga", Role.SUPERVISOR, dsny)

    for stranger in (other, liaison):
        with pytest.raises(services.ReviewError):
            services.assign_case(case=case, assignee=stranger, actor=supervisor)

    case.refresh_from_db()
    assert case.assigned_to is None


def test_a_supervisor_cannot_close_a_case_as_the_site_does(invitation, supervisor):
    answer(invitation, fixed="no")
    case = ReviewCase.objects.get()

    with pytest.raises(services.ReviewError):
        services.close_case(
            case=case,
            resolution=ReviewCase.Resolution.ANSWERS_COMPLETED,
            note="",
            actor=supervisor,
        )

    case.refresh_from_db()
    assert case.status == ReviewCase.Status.OPEN
