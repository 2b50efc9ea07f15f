"""A dashboard and the report card in Chromium, checked by axe-core (WCAG 2.1 AA)."""

import pytest
from django.urls import reverse

from agencies.models import StaffMembership
from agencies.services import set_membership
from config.testing.browser import axe_violations, describe_violations, keep_screenshot
from surveys.dashboards.rollup import refresh_dashboard_figures
from surveys.tests import dashboard_data

# The live server answers from another thread, so the data must be committed; the
# seeded agencies, survey and role groups are restored for each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple 311"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_dashboard_and_report_card_pass_axe(live_server, new_page, django_user_model):
    dashboard_data.build()
    refresh_dashboard_figures()
    user = django_user_model.objects.create_user("cityadmin", password=PASSWORD)
    set_membership(user=user, role=StaffMembership.Role.CITY_ADMIN, agency=None)

    page = new_page(viewport=DESKTOP)
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.get_by_label("Username").fill("cityadmin")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Log out").wait_for()

    page.goto(f"{live_server.url}{reverse('dashboards:index')}?by=complaint_type")
    page.get_by_role("img", name="Mean satisfaction by complaint type").wait_for()
    assert page.get_by_role("table").get_by_text("HEAT/HOT WATER (HPD)").count() == 1
    keep_screenshot(page, "dashboard-by-complaint-type")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.get_by_label("Period").select_option("week")
    page.get_by_role("button", name="Show").click()
    page.get_by_role("link", name="Over time").click()
    page.get_by_role("heading", name="Survey results by week").wait_for()
    keep_screenshot(page, "dashboard-over-time")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)

    page.get_by_role("link", name="Report card").click()
    page.get_by_role("heading", name="Agency report card, 2025 Q1").wait_for()
    page.get_by_text("The grade comes from the weaker of two shares").wait_for()
    keep_screenshot(page, "report-card")
    violations = axe_violations(page)
    assert not violations, describe_violations(violations)
