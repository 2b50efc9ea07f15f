"""The review queue, case pages and export as staff use them: scope, actions, safety."""

import csv
import io
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from agencies.models import Agency, ServiceRequest, StaffMembership
from config.testing.staff import staff
from resolutions.models import ResolutionNotice
from surveys.models import ReviewCase
from surveys.responses import record_response
from surveys.review.services import close_case

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role
UNHAPPY = {"satisfaction": "strongly_disagree", "fixed": "no", "reopen": "no"}
HOSTILE = '=HYPERLINK("http://evil.example/x","click") <script>alert(1)</script>'


def case_for(invitation, *, agency: Agency | None = None, **answers) -> ReviewCase:
    if agency is not None:
        ServiceRequest.objects.filter(pk=invitation.service_request_id).update(
            agency=agency
        )
    record_response(
        invitation=invitation,
        answers={**UNHAPPY, **answers},
        language="en",
        channel="email",
    )
    return ReviewCase.objects.get(response__invitation=invitation)


@pytest.fixture
def supervisor(django_user_model, hpd):
    return staff(django_user_model, "sam", Role.SUPERVISOR, hpd)


@pytest.fixture
def colleague(django_user_model, hpd):
    return staff(django_user_model, "sue", Role.SUPERVISOR, hpd)


@pytest.fixture
def dsny_supervisor(django_user_model, dsny):
    return staff(django_user_model, "dan", Role.SUPERVISOR, dsny)


@pytest.fixture
def hpd_case(make_invitation):
    return case_for(make_invitation(), comment=HOSTILE)


@pytest.fixture
def dsny_case(make_invitation, dsny):
    return case_for(make_invitation(), agency=dsny)


def export_rows(client, query: str = "") -> list[list[str]]:
    response = client.get(reverse("review:export") + query)
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_anonymous_users_go_to_login(client, hpd_case):
    for url in (
        reverse("review:queue"),
        reverse("review:case", args=[hpd_case.pk]),
        reverse("review:export"),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_other_roles_are_refused(client, liaison, hpd_case):
    client.force_login(liaison)

    assert client.get(reverse("review:queue")).status_code == 403
    assert client.get(reverse("review:case", args=[hpd_case.pk])).status_code == 403
    assert client.get(reverse("review:export")).status_code == 403
    assert (
        client.post(reverse("review:close", args=[hpd_case.pk]), {}).status_code == 403
    )


def test_supervisor_lists_only_own_agency(client, supervisor, hpd_case, dsny_case):
    client.force_login(supervisor)

    page = client.get(reverse("review:queue")).content.decode()
    # Even asking for the other agency by filter shows nothing of it.
    filtered = client.get(reverse("review:queue") + "?agency=DSNY").content.decode()

    own = reverse("review:case", args=[hpd_case.pk])
    other = reverse("review:case", args=[dsny_case.pk])
    assert own in page and other not in page
    assert other not in filtered


def test_city_admin_sees_every_agency(client, city_admin, hpd_case, dsny_case):
    client.force_login(city_admin)

    page = client.get(reverse("review:queue")).content.decode()

    assert reverse("review:case", args=[hpd_case.pk]) in page
    assert reverse("review:case", args=[dsny_case.pk]) in page


def test_another_agencys_case_is_not_found_by_url(
    client, supervisor, colleague, dsny_case
):
    client.force_login(supervisor)

    responses = [
        client.get(reverse("review:case", args=[dsny_case.pk])),
        client.post(reverse("review:assign", args=[dsny_case.pk]), {"assignee": "me"}),
        client.post(reverse("review:note", args=[dsny_case.pk]), {"text": "x"}),
        client.post(
            reverse("review:close", args=[dsny_case.pk]),
            {"resolution": "explained", "note": ""},
        ),
        client.post(
            reverse("review:bulk_assign"),
            {"cases": [dsny_case.pk], "assignee": colleague.pk},
        ),
    ]

    assert [r.status_code for r in responses[:4]] == [404, 404, 404, 404]
    dsny_case.refresh_from_db()
    assert dsny_case.status == ReviewCase.Status.OPEN
    assert dsny_case.assigned_to is None
    assert dsny_case.events.count() == 1


def test_export_is_scoped(client, supervisor, hpd_case, dsny_case):
    client.force_login(supervisor)

    rows = export_rows(client, "?agency=DSNY&status=all")

    numbers = [row[0] for row in rows[1:]]
    assert numbers == [str(hpd_case.service_request_id)]


def test_case_page_shows_the_comment_escaped(client, supervisor, hpd_case):
    client.force_login(supervisor)

    page = client.get(reverse("review:case", args=[hpd_case.pk])).content.decode()

    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    queue = client.get(reverse("review:queue")).content.decode()
    assert "<script>alert(1)" not in queue


def test_case_page_shows_timeline_and_contact(client, supervisor, hpd_case):
    client.force_login(supervisor)

    page = client.get(reverse("review:case", args=[hpd_case.pk])).content.decode()

    # What the resident was told, filled as their message was.
    assert "An inspector visited 17 Hidden Lane and the owner restored" in page
    assert "{address}" not in page
    assert "Version 1" in page
    assert "Strongly disagree" in page
    assert "resident.private@example.org" in page  # supervisors may call back


def test_case_page_names_languages_instead_of_codes(
    client, supervisor, make_invitation
):
    case = case_for(make_invitation(language="ur"))
    ResolutionNotice.objects.filter(service_request=case.service_request).update(
        language="ur"
    )
    client.force_login(supervisor)

    page = client.get(reverse("review:case", args=[case.pk])).content.decode()

    assert "in Urdu (no translation: English text)" in page
    assert "Surveyed</strong> by Email in Urdu" in page
    assert "Answered</strong> by Email in English" in page
    assert " in ur" not in page and " in en" not in page


def test_export_neutralises_formulas(client, supervisor, hpd_case):
    client.force_login(supervisor)

    rows = export_rows(client)

    header, row = rows[0], rows[1]
    comment = row[header.index("comment")]
    assert comment.startswith("'=HYPERLINK(")
    assert "resident.private@example.org" not in "".join(",".join(r) for r in rows)
    assert "+12125550147" not in "".join(",".join(r) for r in rows)


PERSONAL = (
    "Still cold. Call me at (718) 555-0123 or write to jo.resident@example.com, "
    "I live at 45-10 Main Street apt 3B."
)


def test_export_removes_personal_details_from_the_comment(
    client, supervisor, make_invitation
):
    case_for(make_invitation(), comment=PERSONAL)
    client.force_login(supervisor)

    rows = export_rows(client)

    comment = rows[1][rows[0].index("comment")]
    assert comment == (
        "Still cold. Call me at [phone removed] or write to [email removed], "
        "I live at [address removed] [apartment removed]."
    )


def test_export_removes_personal_details_from_the_closing_note(
    client, supervisor, make_invitation
):
    case = case_for(make_invitation())
    close_case(
        case=case,
        resolution=ReviewCase.Resolution.RESIDENT_CONTACTED,
        note="Called back on (718) 555-0123; resident at 45-10 Main Street apt 3B.",
        actor=supervisor,
    )
    client.force_login(supervisor)

    rows = export_rows(client, "?status=closed")

    note = rows[1][rows[0].index("resolution_note")]
    assert note == (
        "Called back on [phone removed]; resident at [address removed] "
        "[apartment removed]."
    )


def test_case_page_still_shows_the_supervisor_the_whole_comment(
    client, supervisor, make_invitation
):
    case = case_for(make_invitation(), comment=PERSONAL)
    client.force_login(supervisor)

    page = client.get(reverse("review:case", args=[case.pk])).content.decode()

    assert "jo.resident@example.com" in page
    assert "(718) 555-0123" in page


def test_export_marks_simulated_cases(client, supervisor, make_invitation):
    invitation = make_invitation()
    invitation.is_simulated = True
    invitation.save()
    case_for(invitation)
    client.force_login(supervisor)

    rows = export_rows(client)
    page = client.get(reverse("review:queue")).content.decode()

    assert rows[1][rows[0].index("simulated")] == "simulated"
    assert "Simulated" in page


def test_supervisor_works_a_case_to_closed(client, supervisor, hpd_case):
    client.force_login(supervisor)
    url = reverse("review:case", args=[hpd_case.pk])

    assigned = client.post(
        reverse("review:assign", args=[hpd_case.pk]), {"assignee": "me"}
    )
    noted = client.post(reverse("review:note", args=[hpd_case.pk]), {"text": "Called."})
    refused = client.post(
        reverse("review:close", args=[hpd_case.pk]),
        {"resolution": "no_action_possible", "note": ""},
    )
    closed = client.post(
        reverse("review:close", args=[hpd_case.pk]),
        {"resolution": "no_action_possible", "note": "Private property."},
    )
    again = client.post(
        reverse("review:close", args=[hpd_case.pk]),
        {"resolution": "explained", "note": ""},
    )

    assert [assigned.status_code, noted.status_code] == [302, 302]
    assert assigned["Location"] == url
    assert refused.status_code == 400
    assert "Say why no action is possible." in refused.content.decode()
    assert closed.status_code == again.status_code == 302
    hpd_case.refresh_from_db()
    assert hpd_case.status == ReviewCase.Status.CLOSED
    assert hpd_case.resolution == "no_action_possible"
    assert hpd_case.resolution_note == "Private property."
    assert [e.kind for e in hpd_case.events.all()] == [
        "opened",
        "assigned",
        "note",
        "closed",
    ]
    page = client.get(url).content.decode()
    assert "Private property." in page and "sam" in page


def test_closing_a_case_already_closed_by_a_colleague_says_the_outcome_was_lost(
    client, supervisor, colleague, hpd_case
):
    url = reverse("review:close", args=[hpd_case.pk])
    client.force_login(colleague)
    client.post(url, {"resolution": "explained", "note": "Told them why."})
    client.force_login(supervisor)

    response = client.post(
        url, {"resolution": "resident_contacted", "note": "Called."}, follow=True
    )

    hpd_case.refresh_from_db()
    closed_on = date_format(timezone.localtime(hpd_case.closed_at), "D j M Y, H:i")
    assert (
        f"This case was already closed by sue on {closed_on}; your outcome was not "
        "recorded." in response.text
    )
    assert (hpd_case.closed_by, hpd_case.resolution) == (colleague, "explained")
    assert hpd_case.resolution_note == "Told them why."
    assert hpd_case.events.filter(kind="closed").count() == 1


def test_posting_the_same_closing_again_is_quietly_ignored(
    client, supervisor, hpd_case
):
    url = reverse("review:close", args=[hpd_case.pk])
    client.force_login(supervisor)
    data = {"resolution": "explained", "note": "Told them why."}
    client.post(url, data)

    again = client.post(url, data, follow=True)

    assert "already closed" not in again.text
    assert hpd_case.events.filter(kind="closed").count() == 1


def test_cannot_assign_to_another_agencys_supervisor(
    client, supervisor, dsny_supervisor, hpd_case
):
    client.force_login(supervisor)

    response = client.post(
        reverse("review:assign", args=[hpd_case.pk]), {"assignee": dsny_supervisor.pk}
    )

    assert response.status_code == 400
    hpd_case.refresh_from_db()
    assert hpd_case.assigned_to is None


def options_of(page: str, select_name: str) -> set[str]:
    select = page.split(f'name="{select_name}"', 1)[1].split("</select>", 1)[0]
    return {
        option.split(">", 1)[1].split("<", 1)[0]
        for option in select.split("<option")[1:]
    }


def test_supervisors_are_offered_only_their_agencys_supervisors(
    client, supervisor, colleague, dsny_supervisor, city_admin, hpd_case
):
    client.force_login(supervisor)

    case_page = client.get(reverse("review:case", args=[hpd_case.pk])).text
    queue = client.get(reverse("review:queue")).text

    assert options_of(case_page, "assignee") == {"Nobody", "sam", "sue"}
    assert options_of(queue.split('action="/staff/review/assign/"')[1], "assignee") == {
        "Choose a person",
        "sam",
        "sue",
    }


def test_a_supervisor_cannot_give_a_case_to_a_city_administrator(
    client, supervisor, city_admin, hpd_case
):
    client.force_login(supervisor)

    one = client.post(
        reverse("review:assign", args=[hpd_case.pk]), {"assignee": city_admin.pk}
    )
    bulk = client.post(
        reverse("review:bulk_assign"),
        {"cases": [hpd_case.pk], "assignee": city_admin.pk},
    )

    assert one.status_code == 400
    assert bulk.status_code == 302
    hpd_case.refresh_from_db()
    assert hpd_case.assigned_to is None


def test_a_city_administrator_may_take_a_case_but_not_give_it_to_another(
    client, supervisor, city_admin, second_city_admin, hpd_case
):
    client.force_login(city_admin)

    offered = options_of(
        client.get(reverse("review:case", args=[hpd_case.pk])).text, "assignee"
    )
    to_other = client.post(
        reverse("review:assign", args=[hpd_case.pk]),
        {"assignee": second_city_admin.pk},
    )
    to_me = client.post(
        reverse("review:assign", args=[hpd_case.pk]), {"assignee": "me"}
    )

    assert offered == {"Nobody", "carmen", "sam"}
    assert to_other.status_code == 400
    assert to_me.status_code == 302
    hpd_case.refresh_from_db()
    assert hpd_case.assigned_to == city_admin


def test_bulk_assign_to_a_colleague(client, supervisor, colleague, make_invitation):
    cases = [case_for(make_invitation()) for _ in range(3)]
    client.force_login(supervisor)

    response = client.post(
        reverse("review:bulk_assign"),
        {"cases": [c.pk for c in cases[:2]], "assignee": colleague.pk, "next": "/x"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/x"
    assigned = set(
        ReviewCase.objects.filter(assigned_to=colleague).values_list("pk", flat=True)
    )
    assert assigned == {cases[0].pk, cases[1].pk}
    assert cases[0].events.filter(kind="assigned", actor=supervisor).exists()


def test_bulk_assign_assigns_what_it_may_and_says_why_it_skipped_the_rest(
    client, supervisor, colleague, make_invitation, dsny_case
):
    open_case = case_for(make_invitation())
    closed_case = case_for(make_invitation())
    client.force_login(supervisor)
    client.post(
        reverse("review:close", args=[closed_case.pk]), {"resolution": "explained"}
    )

    response = client.post(
        reverse("review:bulk_assign"),
        {
            "cases": [open_case.pk, closed_case.pk, dsny_case.pk, 999_999_999],
            "assignee": colleague.pk,
        },
        follow=True,
    )

    assert (
        "1 case assigned. 1 skipped: no longer open. 2 skipped: not among your cases."
        in response.text
    )
    assert set(ReviewCase.objects.filter(assigned_to=colleague)) == {open_case}
    dsny_case.refresh_from_db()
    assert dsny_case.assigned_to is None
    assert dsny_case.events.count() == 1


def test_bulk_assign_with_no_case_of_yours_assigns_nothing(
    client, supervisor, colleague, dsny_case
):
    client.force_login(supervisor)

    response = client.post(
        reverse("review:bulk_assign"),
        {"cases": [dsny_case.pk], "assignee": colleague.pk},
        follow=True,
    )

    assert "0 cases assigned. 1 skipped: not among your cases." in response.text
    assert not ReviewCase.objects.filter(assigned_to__isnull=False).exists()


@pytest.mark.parametrize("cases", [[], ["x"], ["-1"], [str(2**63)]])
def test_bulk_assign_refuses_a_post_without_case_ids(
    client, supervisor, colleague, hpd_case, cases
):
    client.force_login(supervisor)

    response = client.post(
        reverse("review:bulk_assign"),
        {"cases": cases, "assignee": colleague.pk},
        follow=True,
    )

    assert "Nothing assigned: tick at least one case." in response.text
    assert not ReviewCase.objects.filter(assigned_to__isnull=False).exists()


def test_bulk_assign_to_another_agencys_supervisor_says_so(
    client, supervisor, dsny_supervisor, hpd_case
):
    client.force_login(supervisor)

    response = client.post(
        reverse("review:bulk_assign"),
        {"cases": [hpd_case.pk], "assignee": dsny_supervisor.pk},
        follow=True,
    )

    assert (
        "Nothing assigned: choose a supervisor of your agency to assign them to."
        in response.text
    )
    assert not ReviewCase.objects.filter(assigned_to__isnull=False).exists()


def test_bulk_assign_refuses_external_redirects(
    client, supervisor, colleague, hpd_case
):
    client.force_login(supervisor)

    response = client.post(
        reverse("review:bulk_assign"),
        {
            "cases": [hpd_case.pk],
            "assignee": colleague.pk,
            "next": "https://evil.example/",
        },
    )

    assert response["Location"] == reverse("review:queue")


def test_filters_and_search(client, supervisor, make_invitation):
    reopen = case_for(make_invitation(), reopen="yes")
    plain = case_for(make_invitation())
    ReviewCase.objects.filter(pk=plain.pk).update(assigned_to=supervisor)
    client.force_login(supervisor)

    def listed(query: str) -> set[int]:
        rows = export_rows(client, query)
        return {int(row[0]) for row in rows[1:]}

    assert listed("") == {reopen.service_request_id, plain.service_request_id}
    assert listed(f"?request_number={plain.service_request_id}") == {
        plain.service_request_id
    }
    assert listed("?assignee=me") == {plain.service_request_id}
    assert listed("?assignee=none") == {reopen.service_request_id}
    assert listed("?borough=BRONX") == set()
    assert listed("?status=closed") == set()
    assert listed("?overdue=on") == set()


@pytest.mark.parametrize("number", ["9223372036854775808", "99999999999999999999999"])
def test_a_request_number_too_long_to_exist_is_not_an_error(
    client, supervisor, hpd_case, number
):
    client.force_login(supervisor)

    queue = client.get(reverse("review:queue"), {"request_number": number})
    rows = export_rows(client, f"?request_number={number}")

    assert queue.status_code == 200
    assert "No cases match" in queue.text
    assert len(rows) == 1


def test_overdue_cases_are_marked(client, supervisor, hpd_case):
    ReviewCase.objects.filter(pk=hpd_case.pk).update(
        due_at=hpd_case.opened_at.replace(year=2020)
    )
    client.force_login(supervisor)

    page = client.get(reverse("review:queue") + "?overdue=on").content.decode()

    assert reverse("review:case", args=[hpd_case.pk]) in page
    assert "Overdue" in page


@pytest.mark.parametrize("user_fixture", ["supervisor", "city_admin"])
def test_queue_queries_do_not_grow_with_rows(
    client, request, make_invitation, user_fixture
):
    user = request.getfixturevalue(user_fixture)
    client.force_login(user)
    case_for(make_invitation())
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("review:queue")).status_code == 200

    for _ in range(49):
        case_for(make_invitation())
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(reverse("review:queue"))

    assert response.content.decode().count('name="cases"') == 50
    assert len(fifty) == len(one)
    assert len(one) <= 12


@pytest.mark.parametrize("number", ["99999999999999999999", "9223372036854775807"])
def test_a_page_number_far_past_the_end_shows_an_empty_page(
    client, supervisor, hpd_case, number
):
    client.force_login(supervisor)

    response = client.get(reverse("review:queue"), {"page": number})

    assert response.status_code == 200
    assert f"/staff/review/{hpd_case.pk}/" not in response.text


def test_the_queue_page_has_no_repeated_element_ids(client, supervisor, hpd_case):
    client.force_login(supervisor)

    page = client.get(reverse("review:queue")).content.decode()

    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
