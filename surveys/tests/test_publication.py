"""The monthly open-data publication: what is published, and what never is."""

import csv
import io
import json
import os
import re
from datetime import UTC, date, datetime
from itertools import count
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, ComplaintType, ServiceRequest
from resolutions.models import DescriptionVersion, ResolutionDescription
from resolutions.services import record_resolutions_told
from surveys.models import (
    Channel,
    CommentReview,
    Contact,
    Invitation,
    Message,
    Release,
    Response,
)
from surveys.publication.services import (
    PublicationError,
    publish_month,
    withdraw_release,
)
from surveys.responses import record_response
from surveys.tasks import publish_previous_month

pytestmark = pytest.mark.django_db

K = 5
MONTH = date(2025, 3, 1)
_keys = count(60_000_001)

RESIDENT_NAME = "Rosalind Quackenbush"
PLANTED = {
    "email": "rosalind.q@example.org",
    "spelled email": "rosalind at example dot com",
    "phone": "(212) 555-0187",
    "phone dots": "212.555.0188",
    "phone plain": "2125550189",
    "phone international": "+1 212 555 0190",
    "address": "123 Main St",
    "queens address": "45-10 Queens Blvd",
    "apartment": "Apt 4B",
}
COMMENT = (
    "Call me at {phone} or {phone dots}, or {phone plain} / {phone international}. "
    "Write to {email} or {spelled email}. I live at {address}, {apartment}; my "
    "sister at {queens address}. Call {phone} again."
).format(**PLANTED)
INCIDENT_ADDRESS = "987 PRIVATE AVENUE"


@pytest.fixture(autouse=True)
def _open_data_in_tmp(settings, tmp_path):
    settings.OPEN_DATA_DIR = tmp_path / "open-data"
    settings.OPEN_DATA_MIN_GROUP_SIZE = K


def answer(
    *,
    agency: str = "HPD",
    complaint_type: str = "HEAT/HOT WATER",
    borough: str = "BRONX",
    channel: str = Channel.EMAIL,
    language: str = "en",
    satisfaction: str = "agree",
    comment: str = "",
    day: int = 14,
    simulated: bool = False,
    delivered: str = Message.Status.DELIVERED,
    answered: bool = True,
) -> Invitation:
    """An invitation sent in MONTH to a resident with contact details; answered."""
    agency_row = Agency.objects.get(code=agency)
    description, created = ResolutionDescription.objects.get_or_create(
        agency=agency_row,
        title=f"{agency} fixed",
        defaults={"outcome": ResolutionDescription.Outcome.FIXED},
    )
    if created:
        DescriptionVersion.objects.create(
            description=description,
            number=1,
            status=DescriptionVersion.Status.PUBLISHED,
            text="We fixed it.",
            published_at=datetime(2025, 1, 1, tzinfo=UTC),
        )
    moment = datetime(MONTH.year, MONTH.month, day, 15, 37, 21, tzinfo=UTC)
    service_request = ServiceRequest.objects.create(
        unique_key=next(_keys),
        created_at=moment,
        closed_at=moment,
        status=ServiceRequest.Status.CLOSED,
        agency=agency_row,
        complaint_type=ComplaintType.objects.get_or_create(
            agency=agency_row, name=complaint_type
        )[0],
        borough=borough,
        incident_address=INCIDENT_ADDRESS,
        incident_zip="10453",
        latitude=40.8501,
        longitude=-73.9101,
        resolution_description=description,
    )
    record_resolutions_told(
        requests=ServiceRequest.objects.filter(pk=service_request.pk)
    )
    contact = Contact.objects.create(
        service_request=service_request,
        email=PLANTED["email"],
        phone_e164="+12125550187",
        phone_as_given=RESIDENT_NAME,
        language=language,
        email_consent=True,
    )
    from surveys.models import Survey

    version = Survey.objects.get(is_default=True).published_version
    invitation = Invitation.objects.create(
        service_request=service_request,
        contact=contact,
        channel=channel,
        status=Invitation.Status.SENT,
        language=language,
        survey_version=version,
        sent_at=moment,
        expires_at=moment,
        is_simulated=simulated,
    )
    Message.objects.create(
        invitation=invitation,
        purpose=Message.Purpose.INVITATION,
        status=delivered,
        send_after=moment,
        sent_at=moment,
    )
    if answered:
        answers = {"satisfaction": satisfaction, "fixed": "yes", "reopen": "no"}
        if comment:
            answers["comment"] = comment
        response, _ = record_response(
            invitation=invitation, answers=answers, language=language, channel=channel
        )
        Response.objects.filter(pk=response.pk).update(submitted_at=moment)
    return invitation


def approve_all_comments() -> None:
    CommentReview.objects.update(status=CommentReview.Status.APPROVED)


def read(release: Release, key: str) -> str:
    return (Path(settings.OPEN_DATA_DIR) / release.files[key]["path"]).read_text()


def csv_rows(release: Release) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(read(release, "rows_csv"))))


def every_output(client, release: Release) -> dict[str, str]:
    outputs = {key: read(release, key) for key in release.files}
    for kind in ("results.csv", "tables.csv", "results.json"):
        response = client.get(
            reverse("opendata:download", kwargs={"slug": release.slug, "kind": kind})
        )
        assert response.status_code == 200
        outputs[kind] = b"".join(response.streaming_content).decode()
    for name in ("opendata:index", "opendata:dictionary", "opendata:releases"):
        outputs[name] = client.get(reverse(name)).content.decode()
    return outputs


@pytest.fixture
def month_with_comments():
    invitations = [
        answer(comment=COMMENT if i < 3 else "", day=3 + i) for i in range(K + 2)
    ]
    approve_all_comments()
    return invitations


def test_no_personal_data_in_any_file_api_answer_or_page(client, month_with_comments):
    release, created = publish_month(month=MONTH)

    assert created and release.comments_published == 3
    secrets = [
        *PLANTED.values(),
        RESIDENT_NAME,
        INCIDENT_ADDRESS,
        "10453",
        "40.85",
        "555-0187",
        "555-0188",
        "555-0189",
        "555-0190",
        "Queens Blvd",
        *(str(i.service_request_id) for i in month_with_comments),
        *(i.token for i in month_with_comments),
        "15:37",
    ]
    for name, text in every_output(client, release).items():
        # Checksums are hex digits that could contain anything short.
        text = re.sub(r"[0-9a-f]{64}", "", text)
        for secret in secrets:
            assert secret.lower() not in text.lower(), (name, secret)
        # No date of the month, in any common form.
        assert not re.search(r"2025-03-\d\d|03/\d\d/2025|\b2025-03-\d", text), name


def test_approved_comments_are_published_redacted_and_others_not_at_all():
    answer(comment="The heat came back, thank you.", day=2)
    answer(comment="Withheld: my neighbour is the problem.", day=3)
    answer(comment="Still waiting for anyone to come.", day=4)
    for i in range(K):
        answer(day=5 + i)
    reviews = {
        r.answer.text[:5]: r for r in CommentReview.objects.select_related("answer")
    }
    reviews["The h"].status = CommentReview.Status.APPROVED
    reviews["The h"].save()
    reviews["Withh"].status = CommentReview.Status.WITHHELD
    reviews["Withh"].save()

    release, _ = publish_month(month=MONTH)

    comments = [row["comment"] for row in csv_rows(release) if row["comment"]]
    assert comments == ["The heat came back, thank you."]
    text = read(release, "json")
    assert "neighbour" not in text and "Still waiting" not in text


def test_comment_review_holds_only_the_redacted_text():
    invitation = answer(comment=COMMENT)

    review = CommentReview.objects.get(answer__response__invitation=invitation)

    assert review.status == CommentReview.Status.PENDING
    for secret in PLANTED.values():
        assert secret not in review.redacted_text
    assert review.redacted_text.count("[phone removed]") == 5


def test_rows_are_coarsened_to_the_month_and_carry_the_documented_columns():
    for i in range(K):
        answer(day=1 + i, satisfaction="strongly_agree")

    release, _ = publish_month(month=MONTH)

    rows = csv_rows(release)
    assert len(rows) == K
    row = rows[0]
    assert row["release"] == "2025-03-r1"
    assert row["month"] == "2025-03"
    assert row["agency"] == "HPD"
    assert row["complaint_type"] == "HEAT/HOT WATER"
    assert row["borough"] == "BRONX"
    assert row["channel"] == "email"
    assert row["outcome"] == "fixed"
    assert row["resolution_description_version"] == "1"
    assert row["satisfaction_score"] == "100"
    assert row["answer_satisfaction"] == "strongly_agree"
    assert row["answer_reopen"] == "no"
    payload = json.loads(read(release, "json"))
    assert [c["name"] for c in payload["columns"]] == list(row)
    assert payload["rows"][0][1] == "2025-03"


def test_small_groups_are_generalised_or_withheld_never_published():
    for i in range(K):
        answer(day=1 + i, language="en")
    # Two Spanish speakers: their language is generalised into a group of K+2?
    # No: alone they stay a group of two, so they are generalised with nobody
    # and withheld.
    answer(language="es", day=20)
    answer(language="es", day=21)
    # One DSNY response, the only one of its agency: withheld.
    answer(agency="DSNY", complaint_type="Missed Collection", day=22)

    release, _ = publish_month(month=MONTH)

    rows = csv_rows(release)
    assert {r["language"] for r in rows} == {"en"}
    assert "DSNY" not in read(release, "rows_csv")
    assert release.rows_withheld == 3
    combinations = {}
    for row in rows:
        key = tuple(
            row[c]
            for c in (
                "agency",
                "complaint_type",
                "borough",
                "channel",
                "language",
                "outcome",
            )
        )
        combinations[key] = combinations.get(key, 0) + 1
    assert min(combinations.values()) >= K


def test_a_small_group_joins_others_once_its_language_is_suppressed():
    for i in range(K - 2):
        answer(language="es", day=1 + i)
    for i in range(3):
        answer(language="ru", day=10 + i)
    for i in range(K):
        answer(language="en", day=15 + i)

    release, _ = publish_month(month=MONTH)

    languages = sorted(r["language"] for r in csv_rows(release))
    assert languages == ["en"] * K + ["suppressed"] * (K + 1)
    assert release.rows_generalised == K + 1 and release.rows_withheld == 0


def test_no_published_table_count_is_below_k():
    for i in range(K + 3):
        answer(day=1 + i, channel=Channel.EMAIL)
    for i in range(2):
        answer(day=12 + i, channel=Channel.SMS, delivered=Message.Status.BOUNCED)
    answer(agency="DOT", complaint_type="Street Light", day=20, answered=False)

    release, _ = publish_month(month=MONTH)

    counts = [
        row["count"] for row in csv.DictReader(io.StringIO(read(release, "tables_csv")))
    ]
    assert "" in counts  # something was suppressed
    assert all(value == "" or int(value) == 0 or int(value) >= K for value in counts)
    for table in json.loads(read(release, "json"))["tables"]:
        for line in table["counts"]:
            assert all(v is None or v == 0 or v >= K for v in line)
            assert sum(v is None for v in line) != 1
        for column in zip(*table["counts"], strict=True):
            assert sum(v is None for v in column) != 1


def test_tables_publish_no_count_by_answer_and_the_page_charts_agency_means(client):
    scores = ["strongly_agree"] * 4 + ["agree"] * 3 + ["neutral"] * 2 + ["disagree"]
    for i, satisfaction in enumerate([*scores, "strongly_disagree"]):
        answer(day=1 + i, satisfaction=satisfaction)
    for i in range(K):
        answer(day=1 + i, agency="DOT", complaint_type="Street Light")

    release, _ = publish_month(month=MONTH)

    tables = read(release, "tables_csv")
    assert "satisfaction" not in tables
    assert {row["table"] for row in csv.DictReader(io.StringIO(tables))} == {
        "funnel_sent",
        "funnel_delivered",
        "funnel_bounced",
        "funnel_answered",
        "responses_by_outcome",
    }
    # HPD: (4 x 100 + 3 x 75 + 2 x 50 + 25 + 0) / 11; DOT: all "agree".
    assert release.summary["mean_satisfaction"] == [
        {"agency": "DOT", "scores": K, "mean": 75.0},
        {"agency": "HPD", "scores": 11, "mean": 68.2},
    ]
    page = client.get(reverse("opendata:index")).content.decode()
    assert "Mean satisfaction score by agency" in page and "68.2" in page


def test_the_page_of_a_month_whose_rows_were_all_withheld_loads(client):
    for i in range(K - 1):
        answer(day=1 + i)

    release, _ = publish_month(month=MONTH)

    assert release.rows_published == 0 and release.rows_withheld == K - 1
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    assert release.slug in response.content.decode()
    assert "Published responses by agency" not in response.content.decode()
    totals = list(csv.DictReader(io.StringIO(read(release, "tables_csv"))))
    outcome_total = [r for r in totals if r["table"] == "responses_by_outcome"]
    assert [(r["row"], r["column"], r["count"]) for r in outcome_total] == [
        ("Total", "Total", "0")
    ]


def test_funnel_counts_sent_delivered_bounced_and_answered():
    for i in range(K + 1):
        answer(day=1 + i)
    for i in range(K):
        answer(day=10 + i, delivered=Message.Status.BOUNCED, answered=False)

    release, _ = publish_month(month=MONTH)

    tables = {t["name"]: t for t in json.loads(read(release, "json"))["tables"]}
    assert tables["funnel_sent"]["counts"][0] == [2 * K + 1, 2 * K + 1]
    assert tables["funnel_delivered"]["counts"][0] == [K + 1, K + 1]
    assert tables["funnel_bounced"]["counts"][0] == [K, K]
    assert tables["funnel_answered"]["counts"][0] == [K + 1, K + 1]


def test_formulas_are_neutralised_in_every_csv_cell():
    for i in range(K):
        answer(complaint_type="=cmd|' /C calc'!A0", comment="+SUM(1+1)", day=1 + i)
    approve_all_comments()

    release, _ = publish_month(month=MONTH)

    for key in ("rows_csv", "tables_csv"):
        for line in csv.reader(io.StringIO(read(release, key))):
            for cell in line:
                assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell
    row = csv_rows(release)[0]
    assert row["complaint_type"] == "'=cmd|' /C calc'!A0"
    assert row["comment"] == "'+SUM(1+1)"
    # The JSON carries the values themselves.
    assert json.loads(read(release, "json"))["rows"][0][3] == "=cmd|' /C calc'!A0"


def test_publishing_a_month_again_changes_nothing():
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)
    before = {key: read(release, key) for key in release.files}
    answer(day=20)  # a late response

    again, created = publish_month(month=MONTH)

    assert not created and again.pk == release.pk
    assert {key: read(release, key) for key in release.files} == before
    assert Release.objects.count() == 1


def test_files_left_by_a_reset_database_neither_block_nor_change_a_release():
    for i in range(K):
        answer(day=1 + i)
    earlier, _ = publish_month(month=MONTH)
    left_behind = {key: read(earlier, key) for key in earlier.files}
    Release.objects.all().delete()  # the database is reset; the files stay
    answer(day=20)

    release, created = publish_month(month=MONTH)

    assert created and release.slug == earlier.slug
    assert release.files["rows_csv"]["path"] != earlier.files["rows_csv"]["path"]
    assert {key: read(earlier, key) for key in earlier.files} == left_behind
    assert len(csv_rows(release)) == K + 1


def test_a_correction_is_a_new_labelled_release_and_old_files_stay():
    for i in range(K):
        answer(day=1 + i)
    first, _ = publish_month(month=MONTH)
    before = {key: read(first, key) for key in first.files}
    for i in range(K):
        answer(day=10 + i, agency="DOT", complaint_type="Street Light")

    second, created = publish_month(month=MONTH, correction_note="Late DOT answers.")

    assert created and second.number == 2 and second.corrects == first
    assert second.kind == "correction"
    assert {key: read(first, key) for key in first.files} == before
    path = Path(settings.OPEN_DATA_DIR) / first.files["rows_csv"]["path"]
    assert not os.access(path, os.W_OK) or os.geteuid() == 0
    assert oct(path.stat().st_mode & 0o777) == "0o444"
    payload = json.loads(read(second, "json"))
    assert payload["release"]["kind"] == "correction"
    assert payload["release"]["corrects"] == "2025-03-r1"
    assert {r["agency"] for r in csv_rows(second)} == {"HPD", "DOT"}


def test_the_same_correction_run_twice_publishes_it_once():
    for i in range(K):
        answer(day=1 + i)
    publish_month(month=MONTH)
    publish_month(month=MONTH, correction_note="Late DOT answers.")

    with pytest.raises(PublicationError, match="already published with this note"):
        publish_month(month=MONTH, correction_note=" Late DOT answers. ")

    assert Release.objects.count() == 2


def test_real_releases_leave_out_simulated_answers_and_demo_releases_say_demo(client):
    for i in range(K):
        answer(day=1 + i)
    for i in range(K):
        answer(day=10 + i, agency="DOT", complaint_type="Street Light", simulated=True)

    real, _ = publish_month(month=MONTH)
    demo, _ = publish_month(month=MONTH, is_demo=True)

    assert {r["agency"] for r in csv_rows(real)} == {"HPD"}
    assert "DOT" not in read(real, "json") and "DOT" not in read(real, "tables_csv")
    assert {r["agency"] for r in csv_rows(demo)} == {"HPD", "DOT"}
    assert demo.slug == "2025-03-demo-r1"
    assert all("demo" in item["name"] for item in demo.files.values())
    assert {r["release"] for r in csv_rows(demo)} == {"2025-03-demo-r1"}
    head = json.loads(read(demo, "json"))["release"]
    assert head["is_demo"] is True and head["label"].startswith("DEMO")
    page = client.get(reverse("opendata:index")).content.decode()
    assert "2025-03-demo-r1" in page and "DEMO" in page


def test_a_month_not_over_cannot_be_published():
    with pytest.raises(PublicationError):
        publish_month(month=date.today().replace(day=1))


def test_the_beat_publishes_the_previous_month_on_the_first():
    entry = settings.CELERY_BEAT_SCHEDULE["publish-open-data"]
    assert entry["task"] == "surveys.tasks.publish_previous_month"
    assert entry["schedule"].day_of_month == {1}

    outcome = publish_previous_month()
    again = publish_previous_month()

    release = Release.objects.get()
    today = date.today()
    last_month = date(today.year - (today.month == 1), (today.month - 2) % 12 + 1, 1)
    assert release.month == last_month
    assert outcome.endswith("published") and again.endswith("already published")


def test_the_command_publishes_a_month_then_leaves_it(capsys):
    for i in range(K):
        answer(day=1 + i)

    call_command("publish_open_data", "--month", "2025-03")
    call_command("publish_open_data", "--month", "2025-03")
    call_command("publish_open_data", "--month", "2025-03", "--correction", "Fix")

    out = capsys.readouterr().out
    assert "Published 2025-03-r1 (regular): 5 rows" in out
    assert "2025-03-r1 was already published; nothing changed" in out
    assert "Published 2025-03-r2 (correction)" in out
    with pytest.raises(CommandError, match="must be YYYY-MM, not 'March'"):
        call_command("publish_open_data", "--month", "March")
    with pytest.raises(CommandError, match="must be YYYY-MM, not '2026-13'"):
        call_command("publish_open_data", "--month", "2026-13")


@pytest.mark.parametrize(
    ("month", "error"),
    [
        ("0001-01", "is before 311 began"),
        ("1900-01", "is before 311 began"),
        ("9999-12", "has not begun"),
    ],
)
def test_a_month_before_311_or_far_ahead_is_refused_and_the_page_stays_up(
    client, month, error
):
    with pytest.raises(CommandError, match=error):
        call_command("publish_open_data", "--demo", "--month", month)

    assert not Release.objects.exists()
    assert client.get(reverse("opendata:index")).status_code == 200


def test_the_demo_without_a_month_leaves_out_the_month_still_running(capsys):
    answer(day=3, simulated=True)
    Response.objects.update(submitted_at=timezone.now())

    call_command("publish_open_data", "--demo")

    assert not Release.objects.exists()
    assert "no demo release to publish" in capsys.readouterr().out


def test_a_demo_release_waits_for_its_month_to_end_too():
    this_month = timezone.localdate().replace(day=1)

    with pytest.raises(CommandError, match="is not over yet"):
        call_command("publish_open_data", "--demo", "--month", f"{this_month:%Y-%m}")

    assert not Release.objects.exists()


def test_the_demo_command_takes_the_month_of_the_simulated_answers(capsys):
    for i in range(K):
        answer(day=1 + i, simulated=True)

    call_command("publish_open_data", "--demo")

    assert Release.objects.get().slug == "2025-03-demo-r1"


def test_the_json_api_lists_releases_with_checksums(client):
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)

    listing = client.get(reverse("opendata:releases")).json()

    item = listing["releases"][0]
    assert item["id"] == "2025-03-r1" and item["kind"] == "regular"
    assert item["files"]["json"]["sha256"] == release.files["json"]["sha256"]
    assert re.fullmatch(r"[0-9a-f]{64}", item["files"]["rows_csv"]["sha256"])


def test_unknown_release_is_not_found(client):
    response = client.get("/open-data/2025-03-r9/results.csv")

    assert response.status_code == 404


def test_the_dictionary_states_the_suppressed_range_in_numbers(client):
    page = client.get(reverse("opendata:dictionary")).content.decode()

    assert f"A count from 1 to {K - 1} is left empty" in page


@pytest.mark.parametrize("name", ["opendata:index", "opendata:dictionary"])
def test_the_pages_are_in_english_whatever_the_browser_asks(client, name):
    for i in range(K):
        answer(day=1 + i)
    publish_month(month=MONTH)

    response = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans,es;q=0.5")

    page = response.content.decode()
    assert response["Content-Language"] == "en"
    assert '<html lang="en"' in page and "language-switcher" not in page
    assert name != "opendata:index" or "March 2025" in page


def test_a_withdrawn_release_is_no_longer_served_but_stays_listed(client, capsys):
    for i in range(K):
        answer(day=1 + i)
    first, _ = publish_month(month=MONTH)
    paths = [
        Path(settings.OPEN_DATA_DIR) / item["path"] for item in first.files.values()
    ]

    call_command(
        "withdraw_open_data", "2025-03-r1", "--reason", "A comment named a resident."
    )

    assert "Withdrew 2025-03-r1" in capsys.readouterr().out
    assert not any(path.exists() for path in paths)
    for kind in ("results.csv", "tables.csv", "results.json"):
        response = client.get(f"/open-data/2025-03-r1/{kind}")
        assert response.status_code == 410
        assert "A comment named a resident." in response.content.decode()
    listed = client.get(reverse("opendata:releases")).json()["releases"][0]
    assert listed["withdrawn"]["reason"] == "A comment named a resident."
    assert listed["json"] is None
    assert listed["files"]["json"]["sha256"] == first.files["json"]["sha256"]
    page = client.get(reverse("opendata:index")).content.decode()
    assert "Withdrawn on" in page and "A comment named a resident." in page
    assert "/open-data/2025-03-r1/results.csv" not in page


def test_a_correction_replaces_a_withdrawn_release_on_the_page(client):
    for i in range(K):
        answer(day=1 + i)
    first, _ = publish_month(month=MONTH)
    withdraw_release(first, reason="Exposed a resident.")
    assert "at a glance" not in client.get(reverse("opendata:index")).content.decode()

    second, created = publish_month(month=MONTH, correction_note="Replaces r1.")

    assert created and second.corrects_id == first.pk
    page = client.get(reverse("opendata:index")).content.decode()
    assert "March 2025 at a glance (2025-03-r2)" in page
    assert client.get("/open-data/2025-03-r2/results.csv").status_code == 200


def test_publishing_a_withdrawn_month_again_says_to_correct_it(capsys):
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)
    withdraw_release(release, reason="A comment named a resident.")

    call_command("publish_open_data", "--month", "2025-03")

    out = capsys.readouterr().out
    assert "2025-03-r1 was withdrawn (A comment named a resident.)" in out
    assert "--correction" in out
    assert Release.objects.count() == 1


def test_a_withdrawal_needs_a_reason_and_happens_once():
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)

    with pytest.raises(PublicationError, match="Say why"):
        withdraw_release(release, reason="  ")
    assert not Release.objects.get().is_withdrawn
    withdraw_release(release, reason="Exposed a resident.")
    with pytest.raises(CommandError, match="already withdrawn"):
        call_command("withdraw_open_data", "2025-03-r1", "--reason", "Again.")
    with pytest.raises(CommandError, match="No release '2025-03-r7'"):
        call_command("withdraw_open_data", "2025-03-r7", "--reason", "Typo.")
    assert Release.objects.get().withdrawal_reason == "Exposed a resident."


def test_caches_keep_a_file_minutes_not_days_and_revalidate_cheaply(client):
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)
    url = "/open-data/2025-03-r1/results.csv"

    first = client.get(url)
    again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["Cache-Control"] == "public, max-age=300"
    assert first["ETag"] == f'"{release.files["rows_csv"]["sha256"]}"'
    assert again.status_code == 304 and not again.content
    assert again["ETag"] == first["ETag"]
    assert again["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize(
    "note",
    ["Jane wrote from jane.doe@example.org", "Call 212-555-0187", "at 123 Main St"],
)
def test_a_published_note_with_personal_details_is_refused(note):
    for i in range(K):
        answer(day=1 + i)
    release, _ = publish_month(month=MONTH)

    with pytest.raises(PublicationError, match="leave out email addresses"):
        withdraw_release(release, reason=note)
    with pytest.raises(PublicationError, match="leave out email addresses"):
        publish_month(month=MONTH, correction_note=note)

    assert Release.objects.get().withdrawn_at is None


@pytest.mark.parametrize(
    "note",
    [
        "See GitHub issue #57; comment #3 named a resident.",
        "Per ServiceNow INC0104512 and CHG0034567.",
        "The count of 1234567 sent messages was wrong.",
        "FOIL request 2026-000123 found room 4 results mis-tagged.",
        "Late answers for ZIP 11201.",
    ],
)
def test_an_ordinary_note_with_numbers_is_published(note):
    for i in range(K):
        answer(day=1 + i)
    publish_month(month=MONTH)

    correction, created = publish_month(month=MONTH, correction_note=note)
    withdrawn, _ = withdraw_release(correction, reason=note)

    assert created and correction.note == note
    assert withdrawn.withdrawal_reason == note
