"""A supervisor works a case from the queue to closed, in a real browser."""

import pytest
from django.urls import reverse

from agencies.models import Agency, StaffMembership
from agencies.services import set_membership
from config.testing.browser import axe_violations, describe_violations, keep_screenshot
from surveys.models import ReviewCase
from surveys.responses import record_response

# The live server answers from another thread, so the data must be committed; the
# seeded agencies, survey and role groups are restored for each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple 311"
COMMENT = "<b>Nobody came</b> and the heat is still off."


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_supervisor_closes_a_case_from_the_queue(
    live_server, new_page, django_user_model, make_invitation
):
    hpd = Agency.objects.get(code="HPD")
    supervisor = django_user_model.objects.create_user("sam", password=PASSWORD)
    set_membership(user=supervisor, role=StaffMembership.Role.SUPERVISOR, agency=hpd)
    invitation = make_invitation()
    record_response(
        invitation=invitation,
        answers={
            "satisfaction": "strongly_disagree",
            "fixed": "no",
            "reopen": "yes",
            "comment": COMMENT,
        },
        language="en",
        channel="email",
    )
    number = str(invitation.service_request_id)

    page = new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}{reverse('review:queue')}")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("heading", name="Review queue").wait_for()
    keep_screenshot(page, "review-queue")
    queue_violations = axe_violations(page)

    page.get_by_role("link", name=number).click()
    page.get_by_role("heading", name=f"Review of request {number}").wait_for()
    assert page.get_by_text(COMMENT).is_visible()  # shown as text, not markup
    case_violations = axe_violations(page)

    page.get_by_role("button", name="Assign to me").click()
    page.get_by_text("Assigned to sam.").wait_for()
    page.get_by_label("Internal note").fill("Called the resident, left a message.")
    page.get_by_role("button", name="Add note").click()
    page.get_by_text("Note added.").wait_for()
    page.get_by_label("Resident contacted").check()
    page.get_by_label("Details").fill("Spoke on the second call; inspection booked.")
    page.get_by_role("button", name="Close case").click()
    page.get_by_text("Case closed.").wait_for()
    keep_screenshot(page, "review-case-closed")

    case = ReviewCase.objects.get()
    assert case.status == ReviewCase.Status.CLOSED
    assert case.resolution == ReviewCase.Resolution.RESIDENT_CONTACTED
    assert [e.kind for e in case.events.all()] == [
        "opened",
        "assigned",
        "note",
        "closed",
    ]
    assert not queue_violations, describe_violations(queue_violations)
    assert not case_violations, describe_violations(case_violations)
