"""Dashboard pages and CSV downloads: who sees what, safe cells, constant queries."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import ComplaintType, StaffMembership
from config.testing.staff import staff
from surveys.dashboards.charts import Bar, bar_chart
from surveys.dashboards.rollup import refresh_dashboard_figures
from surveys.tests import dashboard_data

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role

PAGES = ["index", "trend", "time_to_close", "outcomes", "versions", "report_card"]


@pytest.fixture
def data():
    built = dashboard_data.build()
    refresh_dashboard_figures()
    return built


@pytest.fixture
def city_admin(client, django_user_model):
    user = staff(django_user_model, "cityadmin", Role.CITY_ADMIN, None)
    client.force_login(user)
    return user


@pytest.fixture
def dot_supervisor(client, django_user_model, data):
    user = staff(django_user_model, "dotsup", Role.SUPERVISOR, data.dot)
    client.force_login(user)
    return user


def download(client, url: str) -> list[list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_go_to_the_login_page(client, page):
    response = client.get(reverse(f"dashboards:{page}"))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


@pytest.mark.parametrize("role", [Role.LIAISON, Role.REVIEWER])
def test_liaisons_and_reviewers_are_refused(client, django_user_model, data, role):
    client.force_login(staff(django_user_model, "someone", role, data.hpd))

    assert client.get(reverse("dashboards:index")).status_code == 403
    assert client.get(reverse("dashboards:report_card")).status_code == 403


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_a_city_administrator(client, city_admin, data, page):
    response = client.get(reverse(f"dashboards:{page}"))

    assert response.status_code == 200
    assert "Figures as of" in response.text


def test_city_administrator_sees_every_agency_and_may_pick_one(
    client, city_admin, data
):
    everything = client.get(reverse("dashboards:index"), {"by": "agency"}).text
    only_dot = client.get(reverse("dashboards:index"), {"agency": "DOT"}).text

    assert '<th scope="row">HPD – ' in everything
    assert '<th scope="row">DOT – ' in everything
    assert '<th scope="row">DOT – ' in only_dot
    assert '<th scope="row">HPD – ' not in only_dot


def test_supervisor_sees_only_their_agency_even_when_the_url_asks_for_another(
    client, dot_supervisor, data
):
    index = client.get(reverse("dashboards:index"), {"agency": "HPD"}).text
    by_type = client.get(
        reverse("dashboards:index"), {"by": "complaint_type", "agency": "HPD"}
    ).text
    card = client.get(reverse("dashboards:report_card"), {"agency": "HPD"}).text

    assert "DOT – " in index
    assert "HPD – " not in index
    assert "Street Condition" in by_type
    assert "HEAT/HOT WATER" not in by_type
    assert "HEAT/HOT WATER" not in card
    assert "Only DOT figures are shown." in index


def test_supervisor_exports_only_their_agency(client, dot_supervisor, data):
    rows = download(
        client,
        reverse("dashboards:index") + "?by=complaint_type&agency=HPD&format=csv",
    )
    card = download(
        client, reverse("dashboards:report_card") + "?agency=HPD&format=csv"
    )

    assert [row[0] for row in rows[1:]] == ["Street Condition (DOT)"]
    assert int(rows[1][1]) == 3
    assert {row[1] for row in card[1:]} == {"DOT"}


def test_supervisor_cannot_open_another_agencys_description(
    client, dot_supervisor, data
):
    url = reverse("dashboards:versions")

    assert client.get(url, {"description": data.heat_description.pk}).status_code == 404
    assert (
        client.get(url, {"description": data.street_description.pk}).status_code == 200
    )


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(
    client, city_admin, data
):
    rows = download(
        client, reverse("dashboards:index") + "?by=complaint_type&format=csv"
    )
    card = download(client, reverse("dashboards:report_card") + "?format=csv")

    labels = [row[0] for row in rows[1:]]
    assert f"'{dashboard_data.FORMULA_TYPE} (HPD)" in labels
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)
    assert f"'{dashboard_data.FORMULA_TYPE} (HPD)" in [row[2] for row in card]


def test_csv_has_the_figures_of_the_table(client, city_admin, data):
    rows = download(client, reverse("dashboards:index") + "?by=agency&format=csv")

    header, *body = rows
    hpd = dict(
        zip(header, next(r for r in body if r[0].startswith("HPD")), strict=True)
    )
    assert hpd["invitations sent"] == "9"
    assert hpd["answered"] == "7"
    assert hpd["response rate %"] == "77.8"
    assert hpd["mean satisfaction (0-100)"] == "67.9"
    assert hpd["not fixed %"] == "28.6"


def test_csv_says_which_rows_the_page_marks_too_few_to_tell(client, city_admin, data):
    noise = ComplaintType.objects.create(agency=data.hpd, name="Noise")
    for day in range(30):
        dashboard_data.invite(
            complaint_type=noise,
            told=data.heat_v2,
            channel="email",
            language="en",
            sent_at=dashboard_data.at(f"2025-03-{day + 1:02d}"),
            closed_after=timedelta(days=1),
            borough="BROOKLYN",
            score=100,
            fixed="yes",
        )
    refresh_dashboard_figures()

    by_type = download(
        client, reverse("dashboards:index") + "?by=complaint_type&format=csv"
    )
    card = download(
        client, reverse("dashboards:report_card") + "?quarter=2025-01-01&format=csv"
    )

    marked = {row[0]: row[-1] for row in by_type[1:]}
    assert by_type[0][-1] == card[0][-1] == "too_few_to_tell"
    assert marked["Noise (HPD)"] == "false"
    assert marked["HEAT/HOT WATER (HPD)"] == "true"
    graded = {row[2]: (row[3], row[-1]) for row in card[1:]}
    assert graded["Noise (HPD)"] == ("A", "false")
    assert graded["HEAT/HOT WATER (HPD)"] == ("", "true")


@pytest.mark.parametrize(
    "query",
    [
        "?by=agency",
        "?by=complaint_type",
        "over-time/?period=month",
        "over-time/?period=week",
        "time-to-close/",
        "outcomes/",
        "versions/?description={heat}",
    ],
)
def test_each_chart_names_the_caption_of_the_table_below_it(
    client, city_admin, data, query
):
    url = "/staff/dashboards/" + query.format(heat=data.heat_description.pk)

    page = client.get(url).text

    described = re.search(r"The same figures are in the table “(.+?)” below\.", page)
    caption = re.search(r"<caption>(.+?)</caption>", page)
    assert described and caption
    assert described.group(1) == caption.group(1)


def test_simulated_answers_are_counted_on_the_page_and_can_be_left_out(
    client, city_admin, data
):
    url = reverse("dashboards:index")

    shown = client.get(url).text
    real = client.get(url, {"real_only": "on"}).text

    assert "1 of the 9 answers in these figures are simulated" in shown
    assert "are simulated" not in real


def test_too_few_answers_are_marked(client, city_admin, data):
    versions = client.get(
        reverse("dashboards:versions"), {"description": data.heat_description.pk}
    ).text
    card = client.get(reverse("dashboards:report_card")).text

    assert "Too few answers to tell" in versions
    assert "too few to tell" in client.get(reverse("dashboards:index")).text
    assert "No grade: too few answers" in card
    assert "The grade comes from the weaker of two shares" in card


def test_supervisor_cannot_widen_a_report_card_by_quarter_or_filters(
    client, dot_supervisor, data
):
    rows = download(
        client,
        reverse("dashboards:report_card") + "?quarter=2025-01-01&format=csv",
    )

    assert rows[1][:3] == ["2025 Q1", "DOT", ""]
    assert rows[2][2] == "Street Condition (DOT)"


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)
    return len(captured)


@pytest.mark.parametrize(
    "url",
    [
        "/staff/dashboards/?by=complaint_type",
        "/staff/dashboards/?by=complaint_type&format=csv",
        "/staff/dashboards/?by=version",
        "/staff/dashboards/over-time/?period=week",
        "/staff/dashboards/versions/",
        "/staff/dashboards/report-card/?quarter=2025-01-01",
        "/staff/dashboards/report-card/?quarter=2025-01-01&format=csv",
    ],
)
def test_query_count_does_not_grow_with_the_rows_shown(client, city_admin, data, url):
    before = _queries(client, url)
    for number in range(12):
        complaint_type = ComplaintType.objects.create(
            agency=data.hpd, name=f"Noise {number}"
        )
        dashboard_data.invite(
            complaint_type=complaint_type,
            told=data.heat_v2,
            channel="email",
            language="en",
            sent_at=dashboard_data.at(f"2025-03-{number + 1:02d}"),
            closed_after=timedelta(days=1),
            borough="BROOKLYN",
            score=50,
            fixed="yes",
        )
    refresh_dashboard_figures()

    assert _queries(client, url) == before


def test_the_trend_chart_spaces_weeks_evenly_and_leaves_unsure_points_out(
    client, city_admin, data
):
    response = client.get(reverse("dashboards:trend"), {"period": "week"})

    chart = response.text.split("<svg", 1)[1].split("</svg>", 1)[0]
    labels = re.findall(r'font-size="11">([A-Z][a-z]{2} \d\d)</text>', chart)
    # Weeks with surveys: Jan 06, Jan 27, Feb 10; the weeks between are gaps.
    assert labels == ["Jan 06", "Jan 13", "Jan 20", "Jan 27", "Feb 03", "Feb 10"]
    # Every week has fewer than 30 answers: no satisfaction point, only the
    # response rate of the three weeks with surveys.
    assert chart.count("<circle") == 3


def test_a_long_bar_label_is_shortened_to_fit_left_of_the_bars():
    long_name = "Department of Housing Preservation and Development (HPD)"
    svg = bar_chart(
        title="t",
        table_id="figures",
        table_caption="c",
        bars=[Bar(long_name, 50), Bar("DOT", 60)],
    )

    labels = re.findall(r'font-size="13">([^<]+)</text>', svg)
    assert labels == ["Department of Housing Preservation an…", "DOT"]
    assert all(len(label) <= 38 for label in labels)


@pytest.mark.parametrize("chosen", ["\u00b2", "12345678901234567890", "x"])
def test_a_description_that_is_not_a_number_is_not_found(client, city_admin, chosen):
    response = client.get(reverse("dashboards:versions"), {"description": chosen})

    assert response.status_code == 404


def test_table_captions_hold_only_the_tables_name(client, city_admin, data):
    for page in PAGES:
        text = client.get(reverse(f"dashboards:{page}")).text

        captions = re.findall(r"<caption[^>]*>(.*?)</caption>", text, re.DOTALL)
        assert captions and not any("<a " in caption for caption in captions), page
        assert "as CSV</a>" in text, page
