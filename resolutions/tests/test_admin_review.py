"""The description pages of admin: review with a diff, history, drafts, previews, grouping."""

from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from agencies.models import ComplaintType, ServiceRequest, StaffMembership
from resolutions.legacy import ensure_legacy_descriptions
from resolutions.models import (
    DescriptionTranslation,
    DescriptionVersion,
    LegacyText,
    ResolutionDescription,
)
from resolutions.services import (
    publish_version,
    return_version,
    save_draft,
    start_draft,
    submit_version,
)

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role
Status = DescriptionVersion.Status

PUBLISHED_TEXT = "Inspectors went to the building. Call 311 if the heat goes out again."
PUBLISHED_SPANISH = (
    "Los inspectores fueron al edificio. Si pasa otra vez, llame al 311."
)
NEW_TEXT = (
    "Inspectors went to {address} and fixed the heat. Call 311 if the heat goes "
    "out again."
)
NEW_SPANISH = (
    "Los inspectores fueron a {address} y arreglaron la calefacción. Si pasa otra "
    "vez, llame al 311."
)
NEW_SPANISH_SMS = (
    "Arreglamos la calefacción en {address}. Si vuelve a fallar, llame al 311."
)


@pytest.fixture
def client_for():
    """A separate logged-in browser for each user, as when two people edit at once."""

    def client_for(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return client_for


@pytest.fixture
def description(hpd) -> ResolutionDescription:
    """Version 1 published in English and Spanish."""
    description = ResolutionDescription.objects.create(agency=hpd, title="No heat")
    published = DescriptionVersion.objects.create(
        description=description,
        number=1,
        status=Status.PUBLISHED,
        text=PUBLISHED_TEXT,
        published_at=timezone.now(),
    )
    DescriptionTranslation.objects.create(
        version=published, language="es", text=PUBLISHED_SPANISH
    )
    return description


@pytest.fixture
def submitted(description, liaison) -> DescriptionVersion:
    """Version 2 by the liaison, awaiting review."""
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=liaison,
        expected_revision=draft.revision,
        text=NEW_TEXT,
        translations={"es": (NEW_SPANISH, NEW_SPANISH_SMS)},
    )
    return submit_version(version=draft, actor=liaison)


def url(view: str, obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class _TableRows(HTMLParser):
    """The text of each cell of each table row, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data) -> None:
        if self._cell is not None:
            self._cell.append(data)


def history_rows(html: str) -> list[list[str]]:
    """The rows of the History table, without its header: when, version, change, who,
    comment."""
    parser = _TableRows()
    parser.feed(html.split("<h2>History</h2>", 1)[1].split("</table>", 1)[0])
    return parser.rows[1:]


# --- Review ------------------------------------------------------------------------


def test_the_review_page_compares_the_submitted_version_with_the_published_one(
    client_for, reviewer, submitted
):
    response = client_for(reviewer).get(url("review", submitted.description))

    assert response.status_code == 200
    page = response.text
    assert (
        "<td>Inspectors went to the <del>building.</del> Call 311 if the heat goes "
        "out again.</td>"
    ) in page
    assert (
        "<td>Inspectors went to <ins>{address} and fixed </ins>the <ins>heat.</ins> "
        "Call 311 if the heat goes out again.</td>"
    ) in page
    assert "Español" in page
    assert "fueron <del>al</del> <del>edificio.</del> Si pasa" in page
    assert "<ins>{address} y arreglaron la calefacción.</ins>" in page
    assert "Approve and publish" in page


def test_the_review_page_escapes_the_texts_it_compares(
    client_for, description, liaison, reviewer
):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=liaison,
        expected_revision=draft.revision,
        text="Inspectors went to the building. Call 311 if it happens again.",
    )
    submit_version(version=draft, actor=liaison)
    # Markup cannot be submitted; a version stored before that check may hold it.
    type(draft).objects.filter(pk=draft.pk).update(
        text="Inspectors went to <b>the building</b>. Call 311 if it happens again."
    )

    response = client_for(reviewer).get(url("review", description))

    assert "<ins>&lt;b&gt;the</ins> <ins>building&lt;/b&gt;.</ins>" in response.text
    assert "<b>the building</b>" not in response.text


def test_returning_from_the_review_page_needs_a_comment(
    client_for, reviewer, submitted
):
    review = client_for(reviewer)

    refused = review.post(url("review", submitted.description), {"return": "Return"})
    returned = review.post(
        url("review", submitted.description),
        {"return": "Return", "comment": "Say when the heat came back."},
    )

    assert refused.status_code == 200
    assert "comment" in refused.context["return_form"].errors
    assert returned.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == Status.RETURNED


def test_the_description_page_shows_every_transition_with_who_and_why(
    client_for, description, liaison, reviewer, submitted
):
    returned = return_version(
        version=submitted, reviewer=reviewer, comment="Say when the heat came back."
    )
    edited = save_draft(
        version=returned,
        editor=liaison,
        expected_revision=returned.revision,
        text=NEW_TEXT + " The heat came back on Monday.",
    )
    resubmitted = submit_version(version=edited, actor=liaison)
    publish_version(version=resubmitted, reviewer=reviewer, comment="Clear now.")

    response = client_for(reviewer).get(url("change", description))

    rows = history_rows(response.text)
    assert [row[1:] for row in rows] == [
        ["2", "new → draft", "lena", "Started from version 1"],
        ["2", "draft → submitted", "lena", ""],
        ["2", "submitted → returned", "rita", "Say when the heat came back."],
        ["2", "returned → draft", "lena", "Edited after it was returned"],
        ["2", "draft → submitted", "lena", ""],
        ["1", "published → retired", "rita", "Replaced by version 2"],
        ["2", "submitted → published", "rita", "Clear now."],
    ]
    assert all(row[0] for row in rows)


# --- Two people editing one draft --------------------------------------------------


def form_data(form, **changes) -> dict:
    """What a browser posts for an unbound form: every field with its initial value."""
    return {name: form.initial.get(name, "") for name in form.fields} | changes


def test_a_save_from_a_stale_draft_form_is_refused_with_a_clear_message(
    client_for, description, liaison, other_liaison
):
    start_draft(description=description, author=liaison)
    lena, omar = client_for(liaison), client_for(other_liaison)
    draft_url = url("draft", description)
    lenas_form = lena.get(draft_url).context["form"]
    omars_form = omar.get(draft_url).context["form"]

    first = lena.post(
        draft_url, form_data(lenas_form, text="Lena's words.", save="Save draft")
    )
    second = omar.post(
        draft_url, form_data(omars_form, text="Omar's words.", save="Save draft")
    )

    assert first.status_code == 302
    assert second.status_code == 200
    [error] = second.context["form"].non_field_errors()
    assert error.startswith("lena saved this draft after you opened it.")
    assert "Your changes were not saved" in error
    assert "lena saved this draft after you opened it." in second.text
    assert "Omar&#x27;s words." in second.text
    draft = description.working_version
    assert draft.text == "Lena's words."
    assert draft.last_edited_by == liaison
    assert draft.translation("es").text == PUBLISHED_SPANISH


def test_saving_and_submitting_from_the_draft_page_sends_the_version_for_review(
    client_for, description, liaison
):
    start_draft(description=description, author=liaison)
    lena = client_for(liaison)
    draft_url = url("draft", description)
    form = lena.get(draft_url).context["form"]

    response = lena.post(
        draft_url, form_data(form, text=NEW_TEXT, submit="Submit"), follow=True
    )

    assert messages_of(response) == ["Version 2 was sent for review."]
    assert description.working_version.status == Status.SUBMITTED


def test_a_draft_page_submission_blocked_by_the_checks_keeps_the_draft(
    client_for, description, liaison
):
    start_draft(description=description, author=liaison)
    lena = client_for(liaison)
    draft_url = url("draft", description)
    form = lena.get(draft_url).context["form"]

    response = lena.post(
        draft_url,
        form_data(form, text="Inspectors went to {adress}.", submit="Submit"),
        follow=True,
    )

    [message] = messages_of(response)
    assert "{adress}" in message
    draft = description.working_version
    assert draft.status == Status.DRAFT
    assert draft.text == "Inspectors went to {adress}."


# --- Preview -----------------------------------------------------------------------


@pytest.fixture
def closed_request(hpd, description) -> ServiceRequest:
    return ServiceRequest.objects.create(
        unique_key=60000001,
        status=ServiceRequest.Status.CLOSED,
        closed_at=datetime(2024, 1, 5, 15, 0, tzinfo=UTC),
        agency=hpd,
        complaint_type=ComplaintType.objects.create(agency=hpd, name="HEAT/HOT WATER"),
        incident_address="123 WEST 45 STREET",
        resolution_description=description,
    )


def test_the_preview_shows_web_email_and_sms_in_spanish(
    client_for, reviewer, submitted, closed_request
):
    response = client_for(reviewer).get(
        url("preview", submitted.description),
        {"version": submitted.pk, "language": "es"},
    )

    assert response.status_code == 200
    page = response.text
    web_and_email = (
        "Los inspectores fueron a 123 West 45 Street y arreglaron la calefacción."
    )
    assert page.count(web_and_email) == 2
    assert "Subject: Your 311 request 60000001 is closed" in page
    assert (
        "Arreglamos la calefacción en 123 West 45 Street. Si vuelve a fallar, "
        "llame al 311.</div>"
    ) in page
    assert page.count('class="preview-frame" lang="es"') == 2
    assert 'class="sms-bubble" lang="es"' in page
    assert "No Español translation" not in page


def test_the_preview_notes_the_english_fallback_for_a_missing_language(
    client_for, reviewer, submitted, closed_request
):
    response = client_for(reviewer).get(
        url("preview", submitted.description),
        {"version": submitted.pk, "language": "ru"},
    )

    page = response.text
    assert "No Русский translation: residents who chose Русский get the English" in page
    assert "Inspectors went to 123 West 45 Street and fixed the heat." in page
    assert page.count('class="preview-frame" lang="en"') == 2
    assert 'class="sms-bubble" lang="en"' in page


# --- Grouping legacy texts ---------------------------------------------------------

HEAT = "The Department of Housing Preservation and Development restored the heat."
CLOSED = "The Department of Housing Preservation and Development closed the complaint."


@pytest.fixture
def legacy(hpd):
    """Two HPD texts, each imported with a request, and the same text at DOT."""
    mapping = ensure_legacy_descriptions(
        [("HPD", HEAT), ("HPD", CLOSED), ("DOT", HEAT)]
    )
    for key, (agency, text) in enumerate(mapping, start=1):
        ServiceRequest.objects.create(
            unique_key=key,
            agency_id=agency,
            resolution_text=text,
            resolution_description_id=mapping[(agency, text)],
        )
    return {
        pair: ResolutionDescription.objects.get(pk=pk) for pair, pk in mapping.items()
    }


def test_grouping_legacy_texts_asks_for_the_description_then_moves_them(
    client_for, reviewer, legacy
):
    heat, closed = legacy[("HPD", HEAT)], legacy[("HPD", CLOSED)]
    heat_text = LegacyText.objects.get(description=heat)
    review = client_for(reviewer)
    changelist = reverse("admin:resolutions_legacytext_changelist")
    selected = {"action": "group_selected", "_selected_action": [heat_text.pk]}

    asked = review.post(changelist, selected)
    applied = review.post(
        changelist, selected | {"apply": "Group them", "description": closed.pk}
    )

    assert asked.status_code == 200
    assert HEAT in asked.text
    choices = asked.context["form"].fields["description"].queryset
    assert set(choices) == {heat, closed}
    assert applied.status_code == 302
    assert messages_of(review.get(applied["Location"])) == [
        "1 text(s) grouped; 1 request(s) moved."
    ]
    heat_text.refresh_from_db()
    assert heat_text.description == closed
    assert ServiceRequest.objects.get(unique_key=1).resolution_description == closed
    assert LegacyText.objects.get(agency="DOT").description == legacy[("DOT", HEAT)]


def test_legacy_texts_cannot_be_grouped_into_another_agencys_description(
    client_for, reviewer, legacy
):
    heat = legacy[("HPD", HEAT)]
    heat_text = LegacyText.objects.get(description=heat)
    review = client_for(reviewer)

    response = review.post(
        reverse("admin:resolutions_legacytext_changelist"),
        {
            "action": "group_selected",
            "_selected_action": [heat_text.pk],
            "apply": "Group them",
            "description": legacy[("DOT", HEAT)].pk,
        },
    )

    assert response.status_code == 200
    assert "description" in response.context["form"].errors
    heat_text.refresh_from_db()
    assert heat_text.description == heat


def change_outcome(client, description, outcome: str):
    return client.post(
        reverse(
            "admin:resolutions_resolutiondescription_change", args=[description.pk]
        ),
        {
            "title": description.title,
            "outcome": outcome,
            "legacy_texts-TOTAL_FORMS": "0",
            "legacy_texts-INITIAL_FORMS": "0",
            "_save": "Save",
        },
    )


def test_a_liaison_cannot_change_what_a_description_says_happened(
    client_for, liaison, description
):
    before = description.outcome

    response = change_outcome(client_for(liaison), description, "fixed")

    description.refresh_from_db()
    assert response.status_code == 302
    assert description.outcome == before


def test_a_reviewer_can_change_what_a_description_says_happened(
    client_for, reviewer, description
):
    response = change_outcome(client_for(reviewer), description, "fixed")

    description.refresh_from_db()
    assert response.status_code == 302
    assert description.outcome == "fixed"
