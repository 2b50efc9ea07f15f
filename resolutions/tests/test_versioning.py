"""The life of a description version, through the services every interface calls."""

import csv
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.models import Agency, ServiceRequest, StaffMembership
from agencies.services import import_service_requests
from config.testing.staff import staff
from resolutions.models import (
    DescriptionTransition,
    DescriptionTranslation,
    DescriptionVersion,
    LegacyText,
    ResolutionDescription,
    ResolutionNotice,
)
from resolutions.services import (
    StaleEdit,
    SubmissionBlocked,
    TransitionError,
    group_legacy_texts,
    publish_version,
    record_resolutions_told,
    return_version,
    save_draft,
    start_draft,
    submit_version,
)

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role
Status = DescriptionVersion.Status

PUBLISHED_TEXT = (
    "Inspectors went to the building. If the heat goes out again, call 311."
)
PUBLISHED_SMS = "Inspectors went to the building. Call 311 if it happens again."
PUBLISHED_SPANISH = (
    "Los inspectores fueron al edificio. Si pasa otra vez, llame al 311."
)
PUBLISHED_SPANISH_SMS = "Los inspectores fueron al edificio."

PLAIN_TEXT = (
    "Inspectors went to {address} on {closed_date} and fixed the heat. If the heat "
    "goes out again, call 311 and give your request number: {request_number}."
)
PLAIN_SMS = "We fixed the heat at {address}. If it goes out again, call 311."


def history(version: DescriptionVersion) -> list[tuple[str, str, str, str]]:
    return list(
        DescriptionTransition.objects.filter(version=version).values_list(
            "from_status", "to_status", "actor__username", "comment"
        )
    )


def submit_plain_draft(description, author) -> DescriptionVersion:
    draft = start_draft(description=description, author=author)
    draft = save_draft(
        version=draft,
        editor=author,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
        sms_text=PLAIN_SMS,
    )
    return submit_version(version=draft, actor=author)


@pytest.fixture
def dot() -> Agency:
    return Agency.objects.get(code="DOT")


@pytest.fixture
def second_reviewer(django_user_model, hpd):
    return staff(django_user_model, "raj", Role.REVIEWER, hpd)


@pytest.fixture
def city_admin(django_user_model):
    return staff(django_user_model, "carmen", Role.CITY_ADMIN, None)


@pytest.fixture
def description(hpd) -> ResolutionDescription:
    """A description with version 1 published in English and Spanish."""
    description = ResolutionDescription.objects.create(
        agency=hpd, title="Heat and hot water"
    )
    published = DescriptionVersion.objects.create(
        description=description,
        number=1,
        status=Status.PUBLISHED,
        text=PUBLISHED_TEXT,
        sms_text=PUBLISHED_SMS,
        published_at=timezone.now(),
    )
    DescriptionTranslation.objects.create(
        version=published,
        language="es",
        text=PUBLISHED_SPANISH,
        sms_text=PUBLISHED_SPANISH_SMS,
    )
    return description


# --- Drafts ------------------------------------------------------------------------


def test_start_draft_copies_the_published_texts_into_the_next_number(
    description, liaison
):
    draft = start_draft(description=description, author=liaison)

    assert draft.number == 2
    assert draft.status == Status.DRAFT
    assert (draft.text, draft.sms_text) == (PUBLISHED_TEXT, PUBLISHED_SMS)
    assert [(t.language, t.text, t.sms_text) for t in draft.translations.all()] == [
        ("es", PUBLISHED_SPANISH, PUBLISHED_SPANISH_SMS)
    ]
    assert (draft.author, draft.last_edited_by) == (liaison, liaison)
    assert history(draft) == [("", "draft", "lena", "Started from version 1")]


def test_a_second_start_draft_returns_the_open_draft(
    description, liaison, other_liaison
):
    first = start_draft(description=description, author=liaison)

    second = start_draft(description=description, author=other_liaison)

    assert second == first
    assert description.versions.count() == 2
    assert DescriptionTransition.objects.count() == 1


@pytest.mark.parametrize("status", DescriptionVersion.WORKING_STATUSES)
def test_the_database_refuses_a_second_working_version(description, liaison, status):
    start_draft(description=description, author=liaison)

    with pytest.raises(IntegrityError), transaction.atomic():
        DescriptionVersion.objects.create(
            description=description, number=3, status=status, text="Another draft."
        )

    assert (
        description.versions.filter(
            status__in=DescriptionVersion.WORKING_STATUSES
        ).count()
        == 1
    )


def test_the_database_refuses_a_second_published_version(description):
    with pytest.raises(IntegrityError), transaction.atomic():
        DescriptionVersion.objects.create(
            description=description,
            number=2,
            status=Status.PUBLISHED,
            text="A second text residents would be told.",
        )

    assert description.versions.published().count() == 1


def test_the_database_allows_many_retired_versions(description):
    DescriptionVersion.objects.bulk_create(
        DescriptionVersion(
            description=description, number=number, status=Status.RETIRED, text="Old."
        )
        for number in (2, 3)
    )

    assert description.versions.filter(status=Status.RETIRED).count() == 2


def test_a_save_bumps_the_revision_and_records_the_editor(
    description, liaison, other_liaison
):
    draft = start_draft(description=description, author=liaison)

    saved = save_draft(
        version=draft,
        editor=other_liaison,
        expected_revision=draft.revision,
        text=f"  {PLAIN_TEXT}\n",
        sms_text=PLAIN_SMS,
        change_note="Say what inspectors did.",
        translations={"es": ("Arreglamos la calefacción.", ""), "ru": ("", "")},
    )

    saved.refresh_from_db()
    assert saved.revision == draft.revision + 1
    assert saved.text == PLAIN_TEXT
    assert saved.change_note == "Say what inspectors did."
    assert (saved.author, saved.last_edited_by) == (liaison, other_liaison)
    assert [(t.language, t.text) for t in saved.translations.all()] == [
        ("es", "Arreglamos la calefacción.")
    ]
    assert history(saved) == [("", "draft", "lena", "Started from version 1")]


def test_a_save_that_changes_nothing_records_nothing(description, liaison, reviewer):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=liaison,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
        sms_text=PLAIN_SMS,
    )
    translations = {t.language: (t.text, t.sms_text) for t in draft.translations.all()}

    unchanged = save_draft(
        version=draft,
        editor=reviewer,
        expected_revision=draft.revision,
        text=f" {PLAIN_TEXT}\n",
        sms_text=PLAIN_SMS,
        change_note=draft.change_note,
        translations=translations | {"ru": ("", "")},
    )

    unchanged.refresh_from_db()
    assert unchanged.revision == draft.revision
    assert unchanged.last_edited_by == liaison
    assert reviewer not in unchanged.editors.all()
    submitted = submit_version(version=unchanged, actor=liaison)
    assert publish_version(version=submitted, reviewer=reviewer).status == (
        Status.PUBLISHED
    )


def test_a_returned_version_saved_unchanged_stays_returned(
    description, liaison, reviewer
):
    submitted = submit_plain_draft(description, liaison)
    returned = return_version(version=submitted, reviewer=reviewer, comment="Shorter.")
    translations = {
        t.language: (t.text, t.sms_text) for t in returned.translations.all()
    }

    unchanged = save_draft(
        version=returned,
        editor=reviewer,
        expected_revision=returned.revision,
        text=returned.text,
        sms_text=returned.sms_text,
        change_note=returned.change_note,
        translations=translations,
    )

    unchanged.refresh_from_db()
    assert unchanged.status == Status.RETURNED
    assert unchanged.revision == returned.revision
    assert reviewer not in unchanged.editors.all()
    edited = save_draft(
        version=unchanged,
        editor=liaison,
        expected_revision=unchanged.revision,
        text=PLAIN_TEXT,
        sms_text="We fixed the heat. If it goes out again, call 311.",
    )
    submitted = submit_version(version=edited, actor=liaison)
    assert publish_version(version=submitted, reviewer=reviewer).status == (
        Status.PUBLISHED
    )


@pytest.mark.parametrize(
    "change",
    [
        {"sms_text": "We fixed it."},
        {"change_note": "Shorter."},
        {"translations": {"es": ("Arreglamos la calefacción.", "")}},
        {"translations": {"es": ("", "")}},
    ],
)
def test_any_change_is_a_save(description, liaison, other_liaison, change):
    draft = start_draft(description=description, author=liaison)
    texts = {
        "text": draft.text,
        "sms_text": draft.sms_text,
        "change_note": draft.change_note,
        "translations": {
            t.language: (t.text, t.sms_text) for t in draft.translations.all()
        },
    }

    saved = save_draft(
        version=draft,
        editor=other_liaison,
        expected_revision=draft.revision,
        **(texts | change),
    )

    assert saved.revision == draft.revision + 1
    assert other_liaison in saved.editors.all()


def test_a_save_from_a_stale_form_is_refused_and_changes_nothing(
    description, liaison, other_liaison
):
    draft = start_draft(description=description, author=liaison)
    opened_at = draft.revision
    save_draft(
        version=draft,
        editor=other_liaison,
        expected_revision=opened_at,
        text="Omar's text.",
        translations={"es": ("El texto de Omar.", "")},
    )

    with pytest.raises(StaleEdit, match="omar saved this draft after you opened it"):
        save_draft(
            version=draft,
            editor=liaison,
            expected_revision=opened_at,
            text="Lena's text.",
            translations={"es": ("El texto de Lena.", "")},
        )

    draft.refresh_from_db()
    assert draft.text == "Omar's text."
    assert draft.revision == opened_at + 1
    assert draft.last_edited_by == other_liaison
    assert draft.translation("es").text == "El texto de Omar."


def test_a_published_version_cannot_be_saved(description, liaison):
    published = description.published_version

    with pytest.raises(TransitionError, match="no longer be edited"):
        save_draft(
            version=published,
            editor=liaison,
            expected_revision=published.revision,
            text="Rewritten in place.",
        )

    published.refresh_from_db()
    assert published.text == PUBLISHED_TEXT
    assert published.status == Status.PUBLISHED


def test_editing_after_publishing_starts_a_new_draft(description, liaison, reviewer):
    publish_version(version=submit_plain_draft(description, liaison), reviewer=reviewer)

    draft = start_draft(description=description, author=liaison)

    assert draft.number == 3
    assert draft.text == PLAIN_TEXT
    assert description.published_version.number == 2


# --- Submission --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, code",
    [
        (
            "Inspectors went to {foo} and fixed the heat. Call 311 if it stops.",
            "unknown_placeholder",
        ),
        ("Inspectors went to the building and fixed the heat.", "missing_next_step"),
        ("", "empty"),
    ],
    ids=["unknown-placeholder", "no-next-step", "empty"],
)
def test_submission_is_blocked_by_a_plain_language_error(
    description, liaison, text, code
):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft, editor=liaison, expected_revision=draft.revision, text=text
    )

    with pytest.raises(SubmissionBlocked) as blocked:
        submit_version(version=draft, actor=liaison)

    assert [finding.code for finding in blocked.value.findings] == [code]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    assert len(history(draft)) == 1


def test_submission_is_blocked_by_an_unknown_placeholder_in_a_translation(
    description, liaison
):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=liaison,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
        translations={"es": ("Los inspectores fueron a {direccion}.", "")},
    )

    with pytest.raises(SubmissionBlocked) as blocked:
        submit_version(version=draft, actor=liaison)

    assert [finding.subject for finding in blocked.value.findings] == ["{direccion}"]
    assert "Español" in str(blocked.value)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_plain_text_is_sent_for_review(description, liaison):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=liaison,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
        sms_text=PLAIN_SMS,
    )

    submitted = submit_version(version=draft, actor=liaison)

    assert submitted.status == Status.SUBMITTED
    assert submitted.submitted_at is not None
    assert submitted.revision == draft.revision + 1
    assert history(submitted)[-1] == ("draft", "submitted", "lena", "")


# --- Review ------------------------------------------------------------------------


def test_publishing_retires_the_previous_version_and_records_both(
    description, liaison, reviewer
):
    previous = description.published_version
    submitted = submit_plain_draft(description, liaison)

    publish_version(version=submitted, reviewer=reviewer, comment="Clear next step.")

    previous.refresh_from_db()
    submitted.refresh_from_db()
    assert previous.status == Status.RETIRED
    assert previous.retired_at is not None
    assert history(previous) == [
        ("published", "retired", "rita", "Replaced by version 2")
    ]
    assert submitted.status == Status.PUBLISHED
    assert submitted.published_at == previous.retired_at
    assert submitted.reviewed_by == reviewer
    assert history(submitted)[-1] == (
        "submitted",
        "published",
        "rita",
        "Clear next step.",
    )
    assert description.published_version == submitted


@pytest.mark.parametrize(
    "author, last_editor, approver",
    [
        ("reviewer", "liaison", "reviewer"),
        ("liaison", "reviewer", "reviewer"),
    ],
    ids=["author", "last-editor"],
)
def test_whoever_wrote_or_last_edited_a_version_cannot_publish_it(
    request, description, author, last_editor, approver
):
    author, last_editor, approver = (
        request.getfixturevalue(name) for name in (author, last_editor, approver)
    )
    draft = start_draft(description=description, author=author)
    draft = save_draft(
        version=draft,
        editor=last_editor,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
    )
    submitted = submit_version(version=draft, actor=last_editor)

    with pytest.raises(TransitionError, match="someone else must approve it"):
        publish_version(version=submitted, reviewer=approver)

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert description.published_version.number == 1


def test_a_reviewer_who_edited_a_version_earlier_cannot_publish_it(
    description, liaison, reviewer
):
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft,
        editor=reviewer,
        expected_revision=draft.revision,
        text=PLAIN_TEXT,
    )
    draft = save_draft(
        version=draft, editor=liaison, expected_revision=draft.revision, text=PLAIN_TEXT
    )
    submitted = submit_version(version=draft, actor=liaison)

    with pytest.raises(TransitionError, match="someone else must approve it"):
        publish_version(version=submitted, reviewer=reviewer)

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_returning_a_version_needs_a_comment(description, liaison, reviewer, comment):
    submitted = submit_plain_draft(description, liaison)

    with pytest.raises(TransitionError, match="Say what needs to change"):
        return_version(version=submitted, reviewer=reviewer, comment=comment)

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED


def test_returning_a_version_hands_it_back_with_the_comment(
    description, liaison, reviewer
):
    submitted = submit_plain_draft(description, liaison)

    returned = return_version(
        version=submitted, reviewer=reviewer, comment=" Say when the heat came back. "
    )

    assert returned.status == Status.RETURNED
    assert returned.reviewed_by == reviewer
    assert history(returned)[-1] == (
        "submitted",
        "returned",
        "rita",
        "Say when the heat came back.",
    )
    assert description.working_version == returned


def test_editing_a_returned_version_makes_it_a_draft(description, liaison, reviewer):
    returned = return_version(
        version=submit_plain_draft(description, liaison),
        reviewer=reviewer,
        comment="Say when the heat came back.",
    )

    edited = save_draft(
        version=returned,
        editor=liaison,
        expected_revision=returned.revision,
        text=PLAIN_TEXT + " The heat came back on Monday.",
    )

    assert edited.status == Status.DRAFT
    assert history(edited)[-1] == (
        "returned",
        "draft",
        "lena",
        "Edited after it was returned",
    )


@pytest.mark.parametrize("step", ["publish", "return"])
def test_only_a_submitted_version_can_be_reviewed(description, liaison, reviewer, step):
    draft = start_draft(description=description, author=liaison)
    review = {
        "publish": lambda: publish_version(version=draft, reviewer=reviewer),
        "return": lambda: return_version(
            version=draft, reviewer=reviewer, comment="Not ready."
        ),
    }[step]

    with pytest.raises(TransitionError, match="Only a submitted version"):
        review()

    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_each_step_writes_exactly_one_transition(description, liaison, reviewer):
    previous = description.published_version
    draft = start_draft(description=description, author=liaison)
    draft = save_draft(
        version=draft, editor=liaison, expected_revision=draft.revision, text=PLAIN_TEXT
    )
    submitted = submit_version(version=draft, actor=liaison)
    returned = return_version(version=submitted, reviewer=reviewer, comment="Shorter.")
    edited = save_draft(
        version=returned,
        editor=liaison,
        expected_revision=returned.revision,
        text=PLAIN_TEXT,
        sms_text=PLAIN_SMS,
    )
    edited = save_draft(
        version=edited,
        editor=liaison,
        expected_revision=edited.revision,
        text=PLAIN_TEXT,
        sms_text="We fixed the heat. Call 311 if it goes out again.",
    )
    resubmitted = submit_version(version=edited, actor=liaison)

    publish_version(version=resubmitted, reviewer=reviewer)

    assert history(draft) == [
        ("", "draft", "lena", "Started from version 1"),
        ("draft", "submitted", "lena", ""),
        ("submitted", "returned", "rita", "Shorter."),
        ("returned", "draft", "lena", "Edited after it was returned"),
        ("draft", "submitted", "lena", ""),
        ("submitted", "published", "rita", ""),
    ]
    assert history(previous) == [
        ("published", "retired", "rita", "Replaced by version 2")
    ]


@pytest.mark.parametrize("step", ["start", "save", "submit", "publish", "return"])
def test_staff_of_another_agency_cannot_take_a_step(
    django_user_model, description, liaison, dot, step
):
    outsider = staff(django_user_model, "otto", Role.REVIEWER, dot)
    submitted = submit_plain_draft(description, liaison)
    act = {
        "start": lambda: start_draft(description=description, author=outsider),
        "save": lambda: save_draft(
            version=submitted,
            editor=outsider,
            expected_revision=submitted.revision,
            text="Rewritten by another agency.",
        ),
        "submit": lambda: submit_version(version=submitted, actor=outsider),
        "publish": lambda: publish_version(version=submitted, reviewer=outsider),
        "return": lambda: return_version(
            version=submitted, reviewer=outsider, comment="Not yours."
        ),
    }[step]

    with pytest.raises(TransitionError, match="belongs to another agency"):
        act()

    submitted.refresh_from_db()
    assert submitted.status == Status.SUBMITTED
    assert submitted.text == PLAIN_TEXT
    assert len(history(submitted)) == 2


# --- What residents were told ------------------------------------------------------


@pytest.fixture
def closed_request(hpd, description) -> ServiceRequest:
    return ServiceRequest.objects.create(
        unique_key=70000001,
        status=ServiceRequest.Status.CLOSED,
        closed_at=datetime(2024, 1, 5, 15, 0, tzinfo=UTC),
        agency=hpd,
        resolution_text=PUBLISHED_TEXT,
        resolution_description=description,
    )


def test_closure_records_the_published_version_and_language(
    description, closed_request
):
    told = record_resolutions_told(
        requests=ServiceRequest.objects.filter(pk=closed_request.pk), language="es"
    )

    notice = ResolutionNotice.objects.get()
    assert told == 1
    assert notice.service_request == closed_request
    assert notice.version == description.published_version
    assert notice.language == "es"
    assert notice.closed_at == closed_request.closed_at


def test_a_later_publish_does_not_change_what_a_resident_was_told(
    hpd, description, closed_request, liaison, reviewer
):
    first = description.published_version
    record_resolutions_told(
        requests=ServiceRequest.objects.filter(pk=closed_request.pk)
    )
    second = publish_version(
        version=submit_plain_draft(description, liaison), reviewer=reviewer
    )
    later = ServiceRequest.objects.create(
        unique_key=70000002,
        status=ServiceRequest.Status.CLOSED,
        closed_at=timezone.now(),
        agency=hpd,
        resolution_description=description,
    )

    record_resolutions_told(requests=ServiceRequest.objects.filter(pk=later.pk))

    told = dict(
        ResolutionNotice.objects.values_list("service_request_id", "version_id")
    )
    assert told == {closed_request.pk: first.pk, later.pk: second.pk}
    assert ResolutionNotice.objects.get(
        service_request=closed_request
    ).version.text == (PUBLISHED_TEXT)


def test_a_request_whose_description_has_nothing_published_is_not_recorded(
    hpd, liaison
):
    unpublished = ResolutionDescription.objects.create(agency=hpd, title="New")
    start_draft(description=unpublished, author=liaison)
    closed = ServiceRequest.objects.create(
        unique_key=70000003,
        status=ServiceRequest.Status.CLOSED,
        closed_at=timezone.now(),
        agency=hpd,
        resolution_description=unpublished,
    )

    told = record_resolutions_told(requests=ServiceRequest.objects.filter(pk=closed.pk))

    assert told == 0
    assert not ResolutionNotice.objects.exists()


# --- Legacy texts ------------------------------------------------------------------

HEAT = (
    "The Department of Housing Preservation and Development’s inspector found the "
    "heat restored."
)
# The same sentence as the combined NYC file holds it: UTF-8 read as Windows-1252,
# with doubled and trailing spaces.
HEAT_MOJIBAKE = HEAT.encode().decode("cp1252").replace(" found ", "  found ") + "  "
HEAT_BROKEN_LINE = HEAT.replace(" the heat", "\nthe heat")
CLOSED = "The Department of Housing Preservation and Development closed the complaint."


def write_csv(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    """Rows of (unique key, agency, resolution description)."""
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["Unique Key", "Agency", "Resolution Description"])
        writer.writerows(rows)
    return path


def description_of(unique_key: int) -> ResolutionDescription:
    return ServiceRequest.objects.get(unique_key=unique_key).resolution_description


@pytest.fixture
def imported(tmp_path):
    """HPD requests with the heat text (clean and mangled), one with another text,
    and a DOT request with the same heat text."""
    path = write_csv(
        tmp_path / "first.csv",
        [
            ("1", "HPD", HEAT),
            ("2", "HPD", HEAT_MOJIBAKE),
            ("3", "HPD", CLOSED),
            ("4", "DOT", HEAT),
        ],
    )
    import_service_requests(path=path)


def test_grouping_moves_the_texts_and_their_requests_to_the_description(
    imported, reviewer
):
    heat, closed, dot_heat = description_of(1), description_of(3), description_of(4)
    heat_text = LegacyText.objects.get(agency="HPD", description=heat)

    moved = group_legacy_texts(legacy_texts=[heat_text], into=closed, actor=reviewer)

    assert moved == 2
    assert [description_of(key) for key in (1, 2, 3, 4)] == [
        closed,
        closed,
        closed,
        dot_heat,
    ]
    heat_text.refresh_from_db()
    assert heat_text.description == closed
    assert LegacyText.objects.get(agency="DOT").description == dot_heat


def test_a_later_import_of_a_grouped_text_maps_to_the_description(
    imported, reviewer, tmp_path
):
    closed = description_of(3)
    group_legacy_texts(
        legacy_texts=LegacyText.objects.filter(
            agency="HPD", description=description_of(1)
        ),
        into=closed,
        actor=reviewer,
    )
    descriptions_before = ResolutionDescription.objects.count()
    path = write_csv(
        tmp_path / "second.csv",
        [("5", "HPD", HEAT_BROKEN_LINE), ("6", "HPD", HEAT_MOJIBAKE)],
    )

    import_service_requests(path=path)

    assert description_of(5) == description_of(6) == closed
    assert ResolutionDescription.objects.count() == descriptions_before


def test_texts_are_grouped_only_within_one_agency(imported, city_admin):
    dot_heat_text = LegacyText.objects.get(agency="DOT")
    hpd_closed = description_of(3)

    with pytest.raises(TransitionError, match="within one agency"):
        group_legacy_texts(
            legacy_texts=[dot_heat_text], into=hpd_closed, actor=city_admin
        )

    dot_heat_text.refresh_from_db()
    assert dot_heat_text.description == description_of(4)
    assert description_of(4).agency_id == "DOT"


def test_staff_cannot_group_texts_into_another_agencys_description(
    imported, django_user_model, dot
):
    dot_reviewer = staff(django_user_model, "dana", Role.REVIEWER, dot)
    hpd_heat_text = LegacyText.objects.get(agency="HPD", description=description_of(1))

    with pytest.raises(TransitionError, match="another agency"):
        group_legacy_texts(
            legacy_texts=[hpd_heat_text], into=description_of(3), actor=dot_reviewer
        )

    assert description_of(1) != description_of(3)


def test_a_liaison_cannot_group_texts_since_it_changes_what_residents_are_told(
    imported, django_user_model, hpd
):
    liaison = staff(django_user_model, "lee", Role.LIAISON, hpd)
    heat_text = LegacyText.objects.get(agency="HPD", description=description_of(1))

    with pytest.raises(TransitionError, match="permission"):
        group_legacy_texts(
            legacy_texts=[heat_text], into=description_of(3), actor=liaison
        )

    assert description_of(1) != description_of(3)


def test_grouping_is_written_in_the_history_of_both_descriptions(imported, reviewer):
    heat, closed = description_of(1), description_of(3)
    heat_text = LegacyText.objects.get(agency="HPD", description=heat)

    group_legacy_texts(legacy_texts=[heat_text], into=closed, actor=reviewer)

    into_entry = DescriptionTransition.objects.get(version__description=closed)
    source_entry = DescriptionTransition.objects.get(version__description=heat)
    assert into_entry.actor == source_entry.actor == reviewer
    assert into_entry.from_status == into_entry.to_status
    assert "2 request(s) moved here" in into_entry.comment
    assert closed.title in source_entry.comment


def test_each_source_description_records_how_many_of_its_own_texts_left(
    imported, reviewer, tmp_path
):
    import_service_requests(
        path=write_csv(tmp_path / "more.csv", [("7", "HPD", "Boiler repaired.")])
    )
    heat, closed, boiler = description_of(1), description_of(3), description_of(7)
    texts = list(LegacyText.objects.filter(description__in=[heat, boiler]))
    from_heat = sum(text.description_id == heat.pk for text in texts)

    group_legacy_texts(legacy_texts=texts, into=closed, actor=reviewer)

    boiler_entry = DescriptionTransition.objects.get(version__description=boiler)
    heat_entry = DescriptionTransition.objects.get(version__description=heat)
    into_entry = DescriptionTransition.objects.get(version__description=closed)
    assert boiler_entry.comment.startswith("1 legacy text(s) moved")
    assert heat_entry.comment.startswith(f"{from_heat} legacy text(s) moved")
    assert into_entry.comment.startswith(f"{from_heat + 1} legacy text(s) grouped")
