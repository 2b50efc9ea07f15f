from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, ComplaintType, ServiceRequest
from agencies.services import set_membership
from config.testing.browser import axe_violations, describe_violations, keep_screenshot
from resolutions.models import DescriptionTranslation, DescriptionVersion
from resolutions.models import ResolutionDescription as Description
from resolutions.services import record_resolutions_told

# The live server answers from another thread, so the data must be committed; the
# seeded agencies and role groups are restored for each test.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "correct horse battery staple 311"
LEGACY_TEXT = (
    "The Department of Housing Preservation and Development inspected the "
    "following conditions. Violations were issued."
)
PLAIN_TEXT = (
    "An inspector visited your building and found no heat. We ordered the owner "
    "to fix it. If the heat goes out again, call 311."
)
PLAIN_TEXT_AR = (
    "زار مفتش مبناك ووجد أنه لا توجد تدفئة. أمرنا المالك بإصلاحها. "
    "إذا انقطعت التدفئة مرة أخرى، اتصل بالرقم 311."
)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # The default hasher takes most of a second per login on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def hpd():
    return Agency.objects.get(code="HPD")


@pytest.fixture
def service_request(hpd):
    description = Description.objects.create(agency=hpd, title="Heat: violation")
    DescriptionVersion.objects.create(
        description=description,
        number=1,
        status=DescriptionVersion.Status.PUBLISHED,
        is_legacy=True,
        text=LEGACY_TEXT,
        published_at=timezone.now(),
    )
    return ServiceRequest.objects.create(
        unique_key=70000101,
        created_at=datetime(2024, 1, 6, 2, 30, tzinfo=UTC),
        status=ServiceRequest.Status.IN_PROGRESS,
        agency=hpd,
        complaint_type=ComplaintType.objects.create(agency=hpd, name="HEAT/HOT WATER"),
        descriptor="ENTIRE BUILDING",
        borough=ServiceRequest.Borough.BRONX,
        incident_address="1 PRIVATE PLACE",
        resolution_description=description,
    )


def staff(django_user_model, hpd, username: str, role: str):
    user = django_user_model.objects.create_user(username, password=PASSWORD)
    set_membership(user=user, role=role, agency=hpd)
    return user


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}{reverse('admin:login')}")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Log out").or_(
        page.get_by_role("button", name="Log out")
    ).wait_for()


def close(service_request) -> None:
    """Close the request and freeze what its resident is told, as the import does."""
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        status=ServiceRequest.Status.CLOSED, closed_at=timezone.now()
    )
    record_resolutions_told(
        requests=ServiceRequest.objects.filter(pk=service_request.pk)
    )


def test_rewrite_reviewed_in_admin_reaches_the_status_page_at_closure(
    live_server, new_page, django_user_model, hpd, service_request
):
    staff(django_user_model, hpd, "liaison", "liaison")
    staff(django_user_model, hpd, "reviewer", "reviewer")
    description = service_request.resolution_description
    change_url = reverse(
        "admin:resolutions_resolutiondescription_change", args=[description.pk]
    )

    liaison = new_page(viewport={"width": 1280, "height": 900})
    log_in(liaison, live_server, "liaison")
    liaison.goto(f"{live_server.url}{change_url}")
    liaison.get_by_role("link", name="Write a new version").click()
    liaison.get_by_role("button", name="Start a new draft").click()
    liaison.get_by_label("Text for the web page and email").fill(PLAIN_TEXT)
    liaison.get_by_role("button", name="Save and submit for review").click()
    liaison.get_by_text("Version 2 was sent for review.").wait_for()

    reviewer = new_page(viewport={"width": 1280, "height": 900})
    log_in(reviewer, live_server, "reviewer")
    reviewer.goto(f"{live_server.url}{change_url}")
    reviewer.get_by_role("link", name="Review it").click()
    added = reviewer.locator("table.diff ins").all_inner_texts()
    removed = reviewer.locator("table.diff del").all_inner_texts()
    reviewer.get_by_role("button", name="Approve and publish").click()
    reviewer.get_by_text("Version 2 is published").wait_for()

    close(service_request)
    visitor = new_page()
    visitor.goto(f"{live_server.url}/requests/{service_request.unique_key}/")
    shown = visitor.locator(".explanation__text").inner_text()

    assert "inspector" in "".join(added)
    assert "Violations" in "".join(removed)
    assert shown.strip() == PLAIN_TEXT
    assert visitor.locator(".status__value").inner_text() == "Closed"


@pytest.mark.parametrize("language", ["en", "ar"])
def test_status_page_has_no_wcag_21_aa_violations(
    live_server, new_page, service_request, language
):
    DescriptionTranslation.objects.create(
        version=service_request.resolution_description.versions.get(),
        language="ar",
        text=PLAIN_TEXT_AR,
    )
    close(service_request)
    page = new_page()

    page.goto(
        f"{live_server.url}/requests/{service_request.unique_key}/?lang={language}"
    )
    violations = axe_violations(page)
    keep_screenshot(page, f"status_{language}")

    assert page.locator("html").get_attribute("lang") == language
    assert violations == [], describe_violations(violations)


def test_status_page_fits_a_small_phone_without_sideways_scrolling(
    live_server, new_page, service_request
):
    close(service_request)
    page = new_page(viewport={"width": 320, "height": 640})

    page.goto(f"{live_server.url}/requests/{service_request.unique_key}/?lang=ar")
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )

    assert overflow == 0


def test_language_switcher_works_without_javascript(
    live_server, browser, service_request
):
    close(service_request)
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 375, "height": 812}
    )
    page = context.new_page()

    page.goto(f"{live_server.url}/requests/{service_request.unique_key}/")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    heading = page.get_by_role("heading", level=1).inner_text()
    context.close()

    assert heading == f"Solicitud de servicio {service_request.unique_key}"


def test_not_found_page_has_no_wcag_21_aa_violations(live_server, new_page):
    page = new_page()

    response = page.goto(f"{live_server.url}/requests/1/?lang=ar")
    violations = axe_violations(page)

    assert response.status == 404
    assert violations == [], describe_violations(violations)
