"""Who sees, edits and approves what in admin: each role, for its own and another agency.

Every case goes through real admin URLs with the test client, as a staff member
typing them would. Agency staff belong to HPD ("own"); DOT is the other agency. A
city administrator belongs to no agency.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, ServiceRequest, StaffMembership
from agencies.roles import group_name
from agencies.services import end_membership, set_membership
from resolutions.models import (
    DescriptionTransition,
    DescriptionVersion,
    ResolutionDescription,
)
from resolutions.services import save_draft, start_draft, submit_version

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role
Status = DescriptionVersion.Status

OWN, OTHER = "HPD", "DOT"
# Every record of an agency mentions its word, so a page leaks another agency's
# records exactly when that agency's word is on it.
WORD = {OWN: "boiler", OTHER: "pothole"}

VIEW, EDIT, APPROVE = "view", "edit", "approve"
# The agencies whose descriptions and requests each role may view, edit (write a
# draft) and approve (publish a version someone else wrote).
MATRIX = {
    Role.LIAISON: {VIEW: {OWN}, EDIT: {OWN}, APPROVE: set()},
    Role.REVIEWER: {VIEW: {OWN}, EDIT: {OWN}, APPROVE: {OWN}},
    Role.SUPERVISOR: {VIEW: {OWN}, EDIT: set(), APPROVE: set()},
    Role.CITY_ADMIN: {VIEW: {OWN, OTHER}, EDIT: {OWN, OTHER}, APPROVE: {OWN, OTHER}},
}


def cases(ability: str, *, allowed: bool) -> list:
    """(role, agency) pairs of the matrix where `ability` is allowed, or refused."""
    return [
        pytest.param(role, agency, id=f"{role}-{'own' if agency == OWN else 'other'}")
        for role, abilities in MATRIX.items()
        for agency in (OWN, OTHER)
        if (agency in abilities[ability]) == allowed
    ]


@dataclass
class Library:
    """One agency's records."""

    quiet: ResolutionDescription  # published, nobody is editing it
    drafting: ResolutionDescription  # published, with an open draft
    draft: DescriptionVersion
    pending: ResolutionDescription  # published, with a version awaiting review
    submitted: DescriptionVersion
    request: ServiceRequest


def plain_text(word: str) -> str:
    return f"Crews went to the {word} and fixed it. If it comes back, call 311."


def make_staff(django_user_model, username: str, role: str, agency_code: str | None):
    user = django_user_model.objects.create_user(username)
    agency = Agency.objects.get(code=agency_code) if agency_code else None
    set_membership(user=user, role=role, agency=agency)
    return user


def published_description(agency: Agency, word: str, title: str):
    description = ResolutionDescription.objects.create(
        agency=agency, title=f"{word.title()} {title}"
    )
    DescriptionVersion.objects.create(
        description=description,
        number=1,
        status=Status.PUBLISHED,
        text=f"The {word} was looked at. Call 311 if it happens again.",
        published_at=timezone.now(),
    )
    return description


def make_library(django_user_model, code: str) -> Library:
    agency = Agency.objects.get(code=code)
    word = WORD[code]
    author = make_staff(django_user_model, f"{code.lower()}-author", Role.LIAISON, code)

    quiet = published_description(agency, word, "inspected")
    drafting = published_description(agency, word, "being rewritten")
    draft = start_draft(description=drafting, author=author)
    pending = published_description(agency, word, "fixed")
    version = start_draft(description=pending, author=author)
    version = save_draft(
        version=version,
        editor=author,
        expected_revision=version.revision,
        text=plain_text(word),
    )
    submitted = submit_version(version=version, actor=author)
    request = ServiceRequest.objects.create(
        unique_key=80000001 if code == OWN else 80000002,
        status=ServiceRequest.Status.CLOSED,
        closed_at=datetime(2024, 1, 5, 15, 0, tzinfo=UTC),
        agency=agency,
        incident_address=f"1 {word.upper()} ROW",
        resolution_description=quiet,
    )
    return Library(quiet, drafting, draft, pending, submitted, request)


@pytest.fixture
def libraries(django_user_model) -> dict[str, Library]:
    return {code: make_library(django_user_model, code) for code in (OWN, OTHER)}


@pytest.fixture
def log_in(client, django_user_model):
    """Log the test client in as a new staff member in `role` (of HPD unless city-wide)."""

    def log_in(role: str):
        agency = None if role == Role.CITY_ADMIN else OWN
        user = make_staff(django_user_model, f"the-{role}", role, agency)
        client.force_login(user)
        return user

    return log_in


def url(view: str, obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def words_on(response) -> set[str]:
    page = response.content.decode().lower()
    return {agency for agency, word in WORD.items() if word in page}


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def form_data(form, **changes) -> dict:
    """What a browser posts for an unbound form: every field with its initial value."""
    return {name: form.initial.get(name, "") for name in form.fields} | changes


# --- View --------------------------------------------------------------------------


AGENCY_OF = {
    ResolutionDescription: lambda description: description.agency_id,
    ServiceRequest: lambda request: request.agency_id,
    DescriptionVersion: lambda version: version.description.agency_id,
}


@pytest.mark.parametrize("model", AGENCY_OF, ids=lambda model: model._meta.model_name)
@pytest.mark.parametrize("role", MATRIX)
def test_changelists_show_only_the_agencies_a_role_may_view(
    client, log_in, libraries, role, model
):
    log_in(role)

    response = client.get(changelist(model))

    assert response.status_code == 200
    listed = {AGENCY_OF[model](obj) for obj in response.context["cl"].result_list}
    assert listed == MATRIX[role][VIEW]
    assert words_on(response) == MATRIX[role][VIEW]


RECORD_PAGES = {
    "description": lambda library: url("change", library.pending),
    "history": lambda library: url("history", library.pending),
    "request": lambda library: url("change", library.request),
    "version": lambda library: url("change", library.submitted),
    "review": lambda library: url("review", library.pending),
    "preview": lambda library: url("preview", library.pending),
}


@pytest.mark.parametrize("page", RECORD_PAGES)
@pytest.mark.parametrize("role, agency", cases(VIEW, allowed=True))
def test_staff_see_the_records_of_agencies_they_may_view(
    client, log_in, libraries, role, agency, page
):
    log_in(role)

    response = client.get(RECORD_PAGES[page](libraries[agency]))

    assert response.status_code == 200
    assert words_on(response) == {agency}


CHANGE_PAGES = ["description", "history", "request", "version"]


@pytest.mark.parametrize("page", CHANGE_PAGES)
@pytest.mark.parametrize("role, agency", cases(VIEW, allowed=False))
def test_a_typed_change_url_of_another_agency_is_as_if_the_record_did_not_exist(
    client, log_in, libraries, role, agency, page
):
    log_in(role)

    response = client.get(RECORD_PAGES[page](libraries[agency]), follow=True)

    assert response.redirect_chain == [(reverse("admin:index"), 302)]
    [message] = messages_of(response)
    assert "doesn’t exist" in message
    assert words_on(response) == set()


@pytest.mark.parametrize("page", ["draft", "review", "preview"])
@pytest.mark.parametrize("role, agency", cases(VIEW, allowed=False))
def test_a_typed_url_of_another_agencys_description_view_is_forbidden(
    client, log_in, libraries, role, agency, page
):
    log_in(role)

    response = client.get(url(page, libraries[agency].pending))

    assert response.status_code == 403
    assert words_on(response) == set()


# --- Edit --------------------------------------------------------------------------


@pytest.mark.parametrize("role, agency", cases(EDIT, allowed=True))
def test_staff_who_may_edit_start_and_save_a_draft(
    client, log_in, libraries, role, agency
):
    user = log_in(role)
    description = libraries[agency].quiet
    draft_url = url("draft", description)

    started = client.post(draft_url, {"start": "Start a new draft"})
    form = client.get(draft_url).context["form"]
    saved = client.post(
        draft_url, form_data(form, text=plain_text("boiler room"), save="Save draft")
    )

    assert (started.status_code, saved.status_code) == (302, 302)
    draft = description.working_version
    assert draft.number == 2
    assert draft.text == plain_text("boiler room")
    assert (draft.author, draft.last_edited_by) == (user, user)


@pytest.mark.parametrize("role, agency", cases(EDIT, allowed=False))
def test_staff_who_may_not_edit_can_neither_start_nor_save_a_draft(
    client, log_in, libraries, role, agency
):
    log_in(role)
    library = libraries[agency]
    draft = library.draft

    started = client.post(url("draft", library.quiet), {"start": "Start a new draft"})
    saved = client.post(
        url("draft", library.drafting),
        {"revision": draft.revision, "text": "Overwritten.", "save": "Save draft"},
    )

    assert (started.status_code, saved.status_code) == (403, 403)
    assert library.quiet.working_version is None
    draft.refresh_from_db()
    assert draft.text == library.drafting.published_version.text
    assert draft.revision == 0


def new_description_form(agency: str) -> dict:
    return {
        "agency": agency,
        "title": f"{WORD[agency].title()} filled",
        "outcome": ResolutionDescription.Outcome.FIXED,
        "legacy_texts-TOTAL_FORMS": "0",
        "legacy_texts-INITIAL_FORMS": "0",
    }


@pytest.mark.parametrize("role, agency", cases(EDIT, allowed=True))
def test_staff_who_may_edit_add_a_description(client, log_in, role, agency):
    log_in(role)

    response = client.post(
        reverse("admin:resolutions_resolutiondescription_add"),
        new_description_form(agency),
    )

    assert response.status_code == 302
    assert ResolutionDescription.objects.filter(agency=agency).count() == 1


@pytest.mark.parametrize("role, agency", cases(EDIT, allowed=False))
def test_staff_who_may_not_edit_cannot_add_a_description(client, log_in, role, agency):
    log_in(role)

    response = client.post(
        reverse("admin:resolutions_resolutiondescription_add"),
        new_description_form(agency),
    )

    assert response.status_code in (200, 403)
    assert not ResolutionDescription.objects.exists()


# --- Approve -----------------------------------------------------------------------


@pytest.mark.parametrize("role, agency", cases(APPROVE, allowed=True))
def test_staff_who_may_approve_publish_a_version_someone_else_wrote(
    client, log_in, libraries, role, agency
):
    user = log_in(role)
    library = libraries[agency]

    response = client.post(url("review", library.pending), {"publish": "Approve"})

    assert response.status_code == 302
    assert response["Location"] == url("change", library.pending)
    library.submitted.refresh_from_db()
    assert library.submitted.status == Status.PUBLISHED
    assert library.submitted.reviewed_by == user


@pytest.mark.parametrize("role, agency", cases(APPROVE, allowed=False))
def test_staff_who_may_not_approve_cannot_publish(
    client, log_in, libraries, role, agency
):
    log_in(role)
    library = libraries[agency]

    response = client.post(url("review", library.pending), {"publish": "Approve"})

    assert response.status_code in (302, 403)
    assert response.get("Location") != url("change", library.pending)
    library.submitted.refresh_from_db()
    assert library.submitted.status == Status.SUBMITTED
    assert library.pending.published_version.number == 1


def test_a_reviewer_cannot_approve_a_version_they_wrote(client, log_in, libraries):
    reviewer = log_in(Role.REVIEWER)
    description = libraries[OWN].quiet
    version = start_draft(description=description, author=reviewer)
    version = save_draft(
        version=version,
        editor=reviewer,
        expected_revision=version.revision,
        text=plain_text("boiler"),
    )
    version = submit_version(version=version, actor=reviewer)

    page = client.get(url("review", description))
    response = client.post(
        url("review", description), {"publish": "Approve"}, follow=True
    )

    assert "Approve and publish" not in page.text
    assert "You wrote or edited this version" in page.text
    assert "someone else must approve it" in " ".join(messages_of(response))
    version.refresh_from_db()
    assert version.status == Status.SUBMITTED


# --- Bulk actions ------------------------------------------------------------------


@pytest.mark.parametrize("role", MATRIX)
def test_bulk_publishing_publishes_only_what_the_role_may_approve(
    client, log_in, libraries, role
):
    log_in(role)
    posted = [str(library.submitted.pk) for library in libraries.values()]

    client.post(
        changelist(DescriptionVersion),
        {"action": "publish_selected", "_selected_action": posted},
    )

    published = {
        agency
        for agency, library in libraries.items()
        if DescriptionVersion.objects.get(pk=library.submitted.pk).status
        == Status.PUBLISHED
    }
    assert published == MATRIX[role][APPROVE]


@pytest.mark.parametrize("role", [Role.LIAISON, Role.SUPERVISOR])
def test_staff_who_may_not_approve_are_refused_the_bulk_action(
    client, log_in, libraries, role
):
    log_in(role)
    submitted = libraries[OWN].submitted

    page = client.get(changelist(DescriptionVersion))
    client.post(
        changelist(DescriptionVersion),
        {"action": "publish_selected", "_selected_action": [submitted.pk]},
    )

    submitted.refresh_from_db()
    assert "publish_selected" not in page.text
    assert submitted.status == DescriptionVersion.Status.SUBMITTED


def test_bulk_publishing_is_versioned_and_audited_like_a_single_publish(
    client, log_in, libraries
):
    reviewer = log_in(Role.REVIEWER)
    library = libraries[OWN]
    previous = library.pending.published_version

    response = client.post(
        changelist(DescriptionVersion),
        {"action": "publish_selected", "_selected_action": [library.submitted.pk]},
        follow=True,
    )

    assert messages_of(response) == ["1 version(s) published."]
    previous.refresh_from_db()
    assert previous.status == Status.RETIRED
    steps = DescriptionTransition.objects.filter(actor=reviewer).values_list(
        "version", "from_status", "to_status"
    )
    assert sorted(steps) == sorted(
        [
            (previous.pk, "published", "retired"),
            (library.submitted.pk, "submitted", "published"),
        ]
    )


# --- Membership --------------------------------------------------------------------

ADMIN_LISTS = [ResolutionDescription, DescriptionVersion, ServiceRequest]


@pytest.mark.parametrize("model", ADMIN_LISTS, ids=lambda m: m._meta.model_name)
def test_staff_without_a_membership_are_refused_every_list(
    client, django_user_model, libraries, model
):
    client.force_login(django_user_model.objects.create_user("drifter", is_staff=True))

    response = client.get(changelist(model))

    assert response.status_code == 403


def test_staff_without_a_membership_are_offered_nothing_on_the_index(
    client, django_user_model, libraries
):
    client.force_login(django_user_model.objects.create_user("drifter", is_staff=True))

    response = client.get(reverse("admin:index"))

    assert response.context["app_list"] == []


@pytest.mark.parametrize("model", ADMIN_LISTS, ids=lambda m: m._meta.model_name)
def test_a_role_group_without_a_membership_sees_no_records(
    client, django_user_model, libraries, model
):
    # Someone put in a group by hand, bypassing set_membership: the group gives
    # permissions, but without an agency there is nothing in scope.
    user = django_user_model.objects.create_user("stray", is_staff=True)
    user.groups.add(Group.objects.get(name=group_name(Role.REVIEWER)))
    client.force_login(user)

    response = client.get(changelist(model))

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
    assert words_on(response) == set()


def test_ending_a_membership_takes_away_admin_access(client, log_in, libraries):
    user = log_in(Role.REVIEWER)

    end_membership(user=user)
    response = client.get(changelist(ResolutionDescription))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
    user.refresh_from_db()
    assert not user.is_staff
    assert not user.groups.exists()
    assert not StaffMembership.objects.filter(user=user).exists()


def test_a_new_role_replaces_the_group_of_the_old_one(django_user_model):
    user = make_staff(django_user_model, "lena", Role.LIAISON, OWN)

    set_membership(user=user, role=Role.REVIEWER, agency=Agency.objects.get(code=OWN))

    assert list(user.groups.values_list("name", flat=True)) == ["Agency reviewer"]


@pytest.mark.parametrize(
    "name, granted, withheld",
    [
        (
            "Agency liaison",
            [
                "view_servicerequest",
                "change_descriptionversion",
                "submit_descriptionversion",
            ],
            ["review_descriptionversion", "change_staffmembership"],
        ),
        (
            "Agency reviewer",
            ["change_descriptionversion", "review_descriptionversion"],
            ["change_staffmembership", "view_importrun"],
        ),
        (
            "Supervisor",
            ["view_resolutiondescription", "view_servicerequest"],
            ["change_descriptionversion", "submit_descriptionversion"],
        ),
        (
            "City administrator",
            ["review_descriptionversion", "change_staffmembership", "view_importrun"],
            ["delete_resolutiondescription", "delete_servicerequest"],
        ),
    ],
)
def test_the_data_migration_created_each_role_group(name, granted, withheld):
    group = Group.objects.get(name=name)

    codenames = set(group.permissions.values_list("codename", flat=True))

    assert set(granted) <= codenames
    assert not set(withheld) & codenames
