"""Surveys in admin: editing and reviewing versions, and the records of who was asked.

Every case goes through real admin URLs with the test client, as staff would.
"""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.models import Agency, ServiceRequest, StaffMembership
from config.testing.staff import staff
from surveys.addresses import address_digest
from surveys.models import (
    ChoiceTranslation,
    Contact,
    Invitation,
    Message,
    OptOut,
    QuestionTranslation,
    Response,
    SurveyTransition,
    SurveyVersion,
)
from surveys.publication.redaction import redact_comment
from surveys.responses import record_response
from surveys.versioning import (
    has_worked_on,
    return_survey_version,
    start_survey_draft,
    submit_survey_version,
)

pytestmark = pytest.mark.django_db

Role = StaffMembership.Role
Status = SurveyVersion.Status


def url(view: str, obj) -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def page(response) -> str:
    return response.content.decode()


def form_data(response) -> dict:
    """What the browser would post back from an admin change form, unchanged.

    Only the inputs on the page are posted, as a browser would.
    """
    data = {}
    on_page = set(re.findall(r'name="([^"]+)"', page(response)))

    def add(form):
        for name, field in form.fields.items():
            bound = form[name]
            value = field.prepare_value(bound.value())
            if value is None or value is False:
                continue
            if bound.html_name in on_page:
                data[bound.html_name] = "on" if value is True else value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        add(inline.formset.management_form)
        for form in inline.formset.forms:
            add(form)
    return data


def form_prefix(response, model) -> str:
    return next(
        inline.formset.prefix
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is model
    )


@pytest.fixture
def log_in(client, django_user_model):
    def log_in(user):
        client.force_login(user)
        return user

    return log_in


@pytest.fixture
def draft(survey, city_admin) -> SurveyVersion:
    return start_survey_draft(survey=survey, author=city_admin)


# --- Editing a survey ----------------------------------------------------------------


def test_starting_a_version_from_the_survey_page_opens_the_copy(
    client, log_in, survey, city_admin
):
    log_in(city_admin)

    response = client.post(url("draft", survey))

    draft = survey.versions.get(status=Status.DRAFT)
    assert response.status_code == 302
    assert response.url == url("change", draft)
    assert draft.questions.count() == 6


def test_the_survey_page_offers_a_new_version_only_to_editors(
    client, log_in, survey, city_admin, liaison
):
    log_in(city_admin)
    assert "Start a new version" in page(client.get(url("change", survey)))

    log_in(liaison)
    response = client.get(url("change", survey))
    assert response.status_code == 200
    assert "Start a new version" not in page(response)


def test_agency_staff_cannot_start_a_version(client, log_in, survey, liaison):
    log_in(liaison)

    client.post(url("draft", survey))

    assert survey.versions.count() == 1


def test_saving_the_draft_form_changes_it_and_records_the_editor(
    client, log_in, draft, second_city_admin
):
    log_in(second_city_admin)
    data = form_data(client.get(url("change", draft)))
    data["title"] = "How did the city do?"

    response = client.post(url("change", draft), data)

    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == "How did the city do?"
    assert draft.questions.count() == 6
    assert draft.translations.count() == 10
    edit = SurveyTransition.objects.filter(version=draft).last()
    assert (edit.actor, edit.from_status, edit.to_status) == (
        second_city_admin,
        "draft",
        "draft",
    )
    assert edit.comment == "Edited title"


def test_saving_the_version_page_keeps_the_questions_conditions(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    data = form_data(client.get(url("change", draft)))
    data["change_note"] = "Clearer introduction."

    client.post(url("change", draft), data)

    reasons = draft.questions.get(key="dissatisfied_reasons")
    assert reasons.show_when_question.key == "satisfaction"
    assert reasons.show_when_values == ["disagree", "strongly_disagree"]
    assert draft.questions.get(key="comment").max_length == 1000


def test_saving_the_version_page_unchanged_records_nothing(
    client, log_in, draft, city_admin, second_city_admin
):
    log_in(second_city_admin)
    response = client.get(url("change", draft))
    revision = draft.revision

    client.post(url("change", draft), form_data(response))

    draft.refresh_from_db()
    assert draft.revision == revision
    assert not draft.transitions.filter(actor=second_city_admin).exists()
    assert not has_worked_on(draft, second_city_admin)


def test_a_returned_version_saved_unchanged_leaves_its_reviewer_free_to_publish(
    client, log_in, draft, city_admin, second_city_admin
):
    submitted = submit_survey_version(version=draft, actor=city_admin)
    returned = return_survey_version(
        version=submitted, reviewer=second_city_admin, comment="Shorter."
    )
    log_in(second_city_admin)
    response = client.get(url("change", returned))

    client.post(url("change", returned), form_data(response))

    returned.refresh_from_db()
    assert returned.status == SurveyVersion.Status.RETURNED
    assert not has_worked_on(returned, second_city_admin)


def test_a_question_is_added_on_the_version_page(client, log_in, draft, city_admin):
    log_in(city_admin)
    response = client.get(url("change", draft))
    data = form_data(response)
    questions = form_prefix(response, type(draft.questions.first()))
    data.update(
        {
            f"{questions}-TOTAL_FORMS": "7",
            f"{questions}-6-position": "7",
            f"{questions}-6-key": "called_back",
            f"{questions}-6-kind": "yes_no",
            f"{questions}-6-prompt": "Did someone call you back?",
        }
    )

    response = client.post(url("change", draft), data)

    assert response.status_code == 302
    added = draft.questions.get(key="called_back")
    assert (added.position, added.kind, added.is_required) == (7, "yes_no", False)


def question_rows(response, draft) -> dict[str, str]:
    """The form prefix of each question's row on the version page, by key."""
    prefix = form_prefix(response, type(draft.questions.first()))
    formset = next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    )
    return {form.instance.key: form.prefix for form in formset.forms}


def test_two_questions_swap_places_in_one_save(client, log_in, draft, city_admin):
    log_in(city_admin)
    response = client.get(url("change", draft))
    data = form_data(response)
    rows = question_rows(response, draft)
    data[f"{rows['explanation_clear']}-position"] = "5"
    data[f"{rows['reopen']}-position"] = "4"

    response = client.post(url("change", draft), data)

    assert response.status_code == 302
    assert [q.key for q in draft.questions.order_by("position")] == [
        "satisfaction",
        "dissatisfied_reasons",
        "fixed",
        "reopen",
        "explanation_clear",
        "comment",
    ]


def test_a_question_others_depend_on_is_not_removed_silently(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    response = client.get(url("change", draft))
    data = form_data(response)
    data[f"{question_rows(response, draft)['satisfaction']}-DELETE"] = "on"

    response = client.post(url("change", draft), data)

    assert response.status_code == 200
    assert "which you are removing" in page(response)
    assert draft.questions.count() == 6


def test_a_question_is_removed_with_the_question_that_depends_on_it(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    response = client.get(url("change", draft))
    data = form_data(response)
    rows = question_rows(response, draft)
    data[f"{rows['satisfaction']}-DELETE"] = "on"
    data[f"{rows['dissatisfied_reasons']}-DELETE"] = "on"
    data[f"{rows['fixed']}-position"] = "1"

    response = client.post(url("change", draft), data)

    assert response.status_code == 302
    assert [(q.position, q.key) for q in draft.questions.all()][:2] == [
        (1, "fixed"),
        (4, "explanation_clear"),
    ]


def test_choice_labels_are_translated_on_the_question_page(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    question = draft.questions.get(key="dissatisfied_reasons")
    response = client.get(url("change", question))
    data = form_data(response)
    choices = form_prefix(response, type(question.choices.first()))
    other = [choice.value for choice in question.choices.all()].index("other")
    data[f"{choices}-{other}-label_es"] = "Otra cosa"
    data[f"{choices}-{other}-label_ar"] = ""

    response = client.post(url("change", question), data)

    assert response.status_code == 302
    labels = dict(
        ChoiceTranslation.objects.filter(
            choice__question=question, choice__value="other"
        ).values_list("language", "label")
    )
    assert labels["es"] == "Otra cosa"
    assert "ar" not in labels
    assert len(labels) == 9


def test_the_show_when_question_offers_only_earlier_questions_of_the_version(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    question = draft.questions.get(key="fixed")

    response = client.get(url("change", question))

    offered = response.context["adminform"].form.fields["show_when_question"].queryset
    assert [q.key for q in offered] == ["satisfaction", "dissatisfied_reasons"]
    assert all(q.version_id == draft.pk for q in offered)


def test_a_show_when_condition_is_typed_as_comma_separated_answers(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    question = draft.questions.get(key="reopen")
    response = client.get(url("change", question))
    data = form_data(response)
    data["show_when_question"] = str(draft.questions.get(key="fixed").pk)
    data["show_when_values"] = "no, not_sure"

    client.post(url("change", question), data)

    question.refresh_from_db()
    assert question.show_when_question.key == "fixed"
    assert question.show_when_values == ["no", "not_sure"]


# --- Published versions never change -------------------------------------------------


def test_the_published_version_page_is_read_only(client, log_in, survey, city_admin):
    log_in(city_admin)

    response = client.get(url("change", survey.published_version))

    assert response.status_code == 200
    assert 'name="_save"' not in page(response)
    assert "never change" in page(response)


def test_a_post_to_the_published_version_changes_nothing(
    client, log_in, survey, city_admin, draft
):
    published = survey.published_version
    log_in(city_admin)
    # The post a draft's form would send, aimed at the published version.
    data = form_data(client.get(url("change", draft)))
    data["title"] = "Rewritten after the fact"

    response = client.post(url("change", published), data)

    assert response.status_code == 403
    published.refresh_from_db()
    assert published.title == "How did we do?"
    assert published.status == Status.PUBLISHED
    assert not published.transitions.exists()


def test_a_post_to_a_published_question_changes_nothing(
    client, log_in, survey, city_admin
):
    question = survey.published_version.questions.get(key="comment")
    log_in(city_admin)

    response = client.post(
        url("change", question),
        {"position": 6, "key": "comment", "kind": "text", "prompt": "Changed?"},
    )

    assert response.status_code == 403
    question.refresh_from_db()
    assert question.prompt == "Is there anything else you want to tell us?"


def test_published_questions_and_versions_cannot_be_deleted(
    client, log_in, survey, city_admin
):
    published = survey.published_version
    question = published.questions.get(key="comment")
    log_in(city_admin)

    assert client.post(url("delete", question), {"post": "yes"}).status_code == 403
    assert client.post(url("delete", published), {"post": "yes"}).status_code == 403
    assert published.questions.filter(key="comment").exists()


def test_an_edit_of_a_version_submitted_meanwhile_is_refused(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    data = form_data(client.get(url("change", draft)))
    submit_survey_version(version=draft, actor=city_admin)
    data["title"] = "Too late"

    response = client.post(url("change", draft), data)

    assert response.status_code == 403
    draft.refresh_from_db()
    assert draft.title == "How did we do?"


def test_a_save_from_a_page_opened_before_someone_elses_save_is_refused(
    client, log_in, draft, city_admin, second_city_admin
):
    log_in(city_admin)
    stale = form_data(client.get(url("change", draft)))
    log_in(second_city_admin)
    theirs = form_data(client.get(url("change", draft)))
    theirs["title"] = "Tell us how we did"
    assert client.post(url("change", draft), theirs).status_code == 302

    log_in(city_admin)
    stale["title"] = "How did we do today?"
    response = client.post(url("change", draft), stale, follow=True)

    draft.refresh_from_db()
    assert draft.title == "Tell us how we did"
    assert "was saved by cleo after you opened this page" in page(response)
    # Opened again, the page saves.
    fresh = form_data(client.get(url("change", draft)))
    fresh["title"] = "How did we do today?"
    assert client.post(url("change", draft), fresh).status_code == 302
    draft.refresh_from_db()
    assert draft.title == "How did we do today?"


def test_a_question_saved_from_a_stale_page_is_refused(
    client, log_in, draft, city_admin
):
    log_in(city_admin)
    question = draft.questions.get(key="comment")
    question_url = reverse("admin:surveys_question_change", args=[question.pk])
    stale = form_data(client.get(question_url))
    version_page = form_data(client.get(url("change", draft)))
    version_page["change_note"] = "Clearer introduction."
    client.post(url("change", draft), version_page)

    stale["prompt"] = "Anything else?"
    client.post(question_url, stale)

    question.refresh_from_db()
    assert question.prompt != "Anything else?"


# --- Review --------------------------------------------------------------------------


def test_submit_return_and_publish_through_the_pages(
    client, log_in, draft, city_admin, second_city_admin, survey
):
    log_in(city_admin)
    response = client.post(url("submit", draft))
    assert response.url == url("review", draft)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert "someone else must review it" in page(client.get(url("review", draft)))

    log_in(second_city_admin)
    client.post(url("review", draft), {"return": "1", "comment": "Shorter title."})
    draft.refresh_from_db()
    assert draft.status == Status.RETURNED

    log_in(city_admin)
    client.post(url("submit", draft))
    log_in(second_city_admin)
    assert "Approve and publish" in page(client.get(url("review", draft)))
    client.post(url("review", draft), {"publish": "1"})

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert survey.versions.get(number=1).status == Status.RETIRED


def test_the_editor_cannot_publish_their_own_version_by_posting(
    client, log_in, draft, city_admin
):
    submit_survey_version(version=draft, actor=city_admin)
    log_in(city_admin)

    response = client.post(url("review", draft), {"publish": "1"}, follow=True)

    assert "someone else must approve it" in page(response)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_a_blocked_submission_says_what_to_fix(client, log_in, draft, city_admin):
    draft.questions.filter(key="comment").update(max_length=None)
    log_in(city_admin)

    response = client.post(url("submit", draft), follow=True)

    assert "needs a most-characters limit" in page(response)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_the_review_page_lists_missing_translations(
    client, log_in, draft, city_admin, second_city_admin
):
    QuestionTranslation.objects.filter(
        question__version=draft, question__key="fixed", language__in=["ht", "ur"]
    ).delete()
    submit_survey_version(version=draft, actor=city_admin)
    log_in(second_city_admin)

    response = client.get(url("review", draft))

    gaps = [(gap.label, gap.missing) for gap in response.context["gaps"]]
    assert gaps == [("Question 3 (“fixed”)", ["Kreyòl ayisyen", "اردو"])]
    assert "Kreyòl ayisyen, اردو" in page(response)
    assert "Publishing is allowed with these gaps" in page(response)


def test_agency_staff_cannot_publish(
    client, log_in, draft, city_admin, django_user_model
):
    submit_survey_version(version=draft, actor=city_admin)
    reviewer = staff(
        django_user_model, "rita", Role.REVIEWER, Agency.objects.get(code="HPD")
    )
    log_in(reviewer)

    response = client.post(url("review", draft), {"publish": "1"}, follow=True)

    assert "permission" in page(response)
    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


# --- Preview -------------------------------------------------------------------------


def test_the_preview_shows_the_version_in_the_chosen_language(
    client, log_in, survey, liaison
):
    log_in(liaison)

    response = client.get(url("preview", survey.published_version), {"language": "es"})

    assert "¿Cómo lo hicimos?" in page(response)
    assert "¿Se resolvió el problema?" in page(response)
    assert "El problema no se resolvió" in page(response)
    assert response.context["survey"].fallback_count == 0


def test_the_preview_marks_english_fallbacks_and_reads_right_to_left_in_arabic(
    client, log_in, draft, city_admin
):
    QuestionTranslation.objects.filter(
        question__version=draft, question__key="fixed", language="ar"
    ).delete()
    log_in(city_admin)

    response = client.get(url("preview", draft), {"language": "ar"})

    assert 'lang="ar" dir="rtl"' in page(response)
    assert "كيف كان أداؤنا؟" in page(response)
    assert 'class="fallback" lang="en" dir="ltr">Was the problem fixed? *' in page(
        response
    )
    assert response.context["survey"].fallback_count == 1


# --- Records: fixtures ---------------------------------------------------------------

EMAIL = {"HPD": "jane.doe@example.org", "DSNY": "sam.smith@example.net"}
PHONE = {"HPD": "+12125550123", "DSNY": "+17185559876"}


def make_records(agency_code: str, first_key: int, count: int, survey) -> list:
    """`count` closed requests of the agency, each with an email and an SMS invitation."""
    agency = Agency.objects.get(code=agency_code)
    version = survey.published_version
    invitations = []
    for n in range(count):
        key = first_key + n
        request = ServiceRequest.objects.create(
            unique_key=key,
            status=ServiceRequest.Status.CLOSED,
            closed_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC),
            agency=agency,
        )
        contact = Contact.objects.create(
            service_request=request,
            email=EMAIL[agency_code],
            phone_as_given=PHONE[agency_code][2:],
            phone_e164=PHONE[agency_code],
            language="es" if n % 2 else "en",
            email_consent=True,
            sms_consent=True,
        )
        email = Invitation.objects.create(
            service_request=request,
            contact=contact,
            channel="email",
            status=Invitation.Status.SENT,
            language=contact.language,
            survey_version=version,
            sent_at=timezone.now(),
            address_digest=address_digest("email", contact.email),
        )
        Message.objects.create(
            invitation=email,
            purpose=Message.Purpose.INVITATION,
            status=Message.Status.DELIVERED,
            send_after=timezone.now(),
            provider_message_id=f"esp-{key}",
            subject="How did we do?",
            body=f"Your request {key} was closed. Tell us how we did: [survey link]",
        )
        sms = Invitation.objects.create(
            service_request=request,
            contact=contact,
            channel="sms",
            status=Invitation.Status.SKIPPED,
            skip_reason=Invitation.SkipReason.OTHER_CHANNEL,
            notes="Email is preferred.",
            language=contact.language,
            survey_version=version,
        )
        record_response(
            invitation=email,
            answers={"satisfaction": "disagree", "fixed": "no", "comment": f"No {key}"},
            language=contact.language,
            channel="email",
        )
        invitations += [email, sms]
    return invitations


@pytest.fixture
def records(survey) -> dict[str, list[Invitation]]:
    return {
        "HPD": make_records("HPD", 70000001, 2, survey),
        "DSNY": make_records("DSNY", 90000001, 2, survey),
    }


@pytest.fixture
def supervisor(django_user_model, hpd):
    return staff(django_user_model, "sue", Role.SUPERVISOR, hpd)


@pytest.fixture
def dsny_supervisor(django_user_model, dsny):
    return staff(django_user_model, "dan", Role.SUPERVISOR, dsny)


# --- Records: agency scope -----------------------------------------------------------


@pytest.mark.parametrize("model", [Invitation, Message, Response, Contact])
def test_agency_staff_list_only_their_agencys_records(
    client, log_in, records, liaison, model
):
    log_in(liaison)

    response = client.get(changelist(model))

    assert response.status_code == 200
    assert "70000001" in page(response)
    assert "90000001" not in page(response)


def test_a_city_administrator_lists_every_agencys_invitations(
    client, log_in, records, city_admin
):
    log_in(city_admin)

    response = client.get(changelist(Invitation))

    assert "70000001" in page(response)
    assert "90000001" in page(response)


def test_another_agencys_records_cannot_be_opened_by_url(
    client, log_in, records, liaison
):
    dsny_invitation = records["DSNY"][0]
    log_in(liaison)

    for obj in (
        dsny_invitation,
        dsny_invitation.messages.get(),
        dsny_invitation.response,
        dsny_invitation.contact,
    ):
        response = client.get(url("change", obj), follow=True)
        assert "90000001" not in page(response)
        assert "doesn’t exist" in page(response)


def test_the_agency_filter_offers_only_the_viewers_agency(
    client, log_in, records, liaison
):
    log_in(liaison)

    response = client.get(changelist(Invitation))

    choices = [
        choice["display"]
        for spec in response.context["cl"].filter_specs
        if spec.title == "agency"
        for choice in spec.choices(response.context["cl"])
    ]
    assert choices == ["All", "HPD"]


# --- Records: contact details --------------------------------------------------------


def test_liaisons_see_contact_details_masked(client, log_in, records, liaison):
    log_in(liaison)
    invitation = records["HPD"][0]

    listing = page(client.get(changelist(Contact)))
    detail = page(client.get(url("change", invitation.contact)))
    invitation_page = page(client.get(url("change", invitation)))

    for shown in (listing, detail, invitation_page):
        assert "jane.doe@example.org" not in shown
        assert "+12125550123" not in shown
        assert "2125550123" not in shown
    assert "j•••@example.org" in listing
    assert "+1 ••• ••• 0123" in listing
    assert "j•••@example.org" in invitation_page


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.CITY_ADMIN])
def test_supervisors_and_city_administrators_see_contact_details(
    client, log_in, records, django_user_model, role
):
    agency = None if role == Role.CITY_ADMIN else Agency.objects.get(code="HPD")
    log_in(staff(django_user_model, "caller", role, agency))

    listing = page(client.get(changelist(Contact)))
    invitation_page = page(client.get(url("change", records["HPD"][0])))

    assert "jane.doe@example.org" in listing
    assert "+12125550123" in listing
    assert "jane.doe@example.org" in invitation_page


def test_a_supervisor_sees_no_other_agencys_contacts(
    client, log_in, records, supervisor
):
    log_in(supervisor)

    listing = page(client.get(changelist(Contact)))

    assert "sam.smith@example.net" not in listing


def test_liaisons_cannot_search_by_email_or_phone(client, log_in, records, liaison):
    log_in(liaison)

    by_email = client.get(changelist(Contact), {"q": "jane.doe@example.org"})
    by_phone = client.get(changelist(Contact), {"q": "+12125550123"})
    by_request = client.get(changelist(Contact), {"q": "70000002"})

    assert by_email.context["cl"].result_count == 0
    assert by_phone.context["cl"].result_count == 0
    assert [c.service_request_id for c in by_request.context["cl"].result_list] == [
        70000002
    ]


@pytest.mark.parametrize(
    "number", ["+12125550123", "2125550123", "(212) 555-0123", "212-555-0123"]
)
def test_supervisors_find_a_resident_by_phone_in_any_format(
    client, log_in, records, supervisor, number
):
    log_in(supervisor)

    response = client.get(changelist(Contact), {"q": number})

    assert {c.service_request_id for c in response.context["cl"].result_list} == {
        70000001,
        70000002,
    }


@pytest.mark.parametrize("model", [Invitation, Message, Response, Contact])
@pytest.mark.parametrize("term", ["²", "١٢", "99999999999999999999999"])
def test_a_search_for_a_number_no_request_can_have_finds_nothing(
    client, log_in, records, supervisor, model, term
):
    log_in(supervisor)

    response = client.get(changelist(model), {"q": term})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_a_survey_version_filter_too_large_to_exist_finds_nothing(
    client, log_in, records, supervisor
):
    log_in(supervisor)

    response = client.get(changelist(Response), {"version": "9" * 25})

    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_supervisors_find_a_resident_by_email(client, log_in, records, supervisor):
    log_in(supervisor)

    response = client.get(changelist(Contact), {"q": "Jane.Doe@example.org"})

    assert response.context["cl"].result_count == 2


@pytest.mark.parametrize(
    "lookup",
    ["email__startswith", "phone_e164__contains", "phone_as_given__startswith"],
)
def test_liaisons_cannot_filter_contacts_by_address_in_the_url(
    client, log_in, records, liaison, lookup
):
    log_in(liaison)

    response = client.get(changelist(Contact), {lookup: "j"})

    assert response.status_code == 400


def test_liaisons_cannot_filter_invitations_by_address_in_the_url(
    client, log_in, records, liaison
):
    log_in(liaison)

    response = client.get(changelist(Invitation), {"contact__email__startswith": "j"})

    assert response.status_code == 400


def test_addresses_in_provider_errors_are_masked_for_liaisons(
    client, log_in, records, liaison, supervisor
):
    invitation = records["HPD"][0]
    invitation.messages.update(
        status=Message.Status.FAILED,
        error="Provider: +12125550123 is not a mobile number; wrote to jane.doe@example.org",
    )

    log_in(liaison)
    masked = page(client.get(url("change", invitation)))
    log_in(supervisor)
    shown = page(client.get(url("change", invitation)))

    assert "+1 ••• ••• 0123 is not a mobile number" in masked
    assert "j•••@example.org" in masked
    assert "jane.doe@example.org" not in masked
    assert "+12125550123 is not a mobile number" in shown


def test_addresses_typed_into_comments_are_masked_for_liaisons(
    client, log_in, records, liaison, supervisor
):
    response_row = records["HPD"][0].response
    typed = (
        "Call me on 212-555-0199 or 330-1234, write to maria.g at gmail dot com"
        " or john[dot]smith[at]gmail[dot]com. SSN 123 45 6789, 45 W 4th St apt 3C"
    )
    response_row.answers.filter(question__key="comment").update(text=typed)

    log_in(liaison)
    masked = page(client.get(url("change", response_row)))
    log_in(supervisor)
    shown = page(client.get(url("change", response_row)))

    assert redact_comment(typed) in masked
    for detail in ("0199", "330-1234", "maria", "john", "6789", "45 W 4th", "3C"):
        assert detail not in masked
    assert typed in shown


# --- Records: what the pages show ----------------------------------------------------


def test_an_invitation_shows_its_notes_and_the_message_that_was_sent(
    client, log_in, records, liaison
):
    email, sms = records["HPD"][:2]
    log_in(liaison)

    email_page = page(client.get(url("change", email)))
    sms_page = page(client.get(url("change", sms)))

    assert "Your request 70000001 was closed. Tell us how we did: [survey link]" in (
        email_page
    )
    assert "esp-70000001" in email_page
    assert "Delivered" in email_page
    assert "See answers" in email_page
    assert email.token not in email_page
    assert "Email is preferred." in sms_page
    assert "Another channel is preferred" in sms_page


def test_a_response_shows_its_answers_and_version(client, log_in, records, liaison):
    response_row = records["HPD"][0].response
    log_in(liaison)

    shown = page(client.get(url("change", response_row)))

    assert "I am satisfied with how my request was handled." in shown
    assert "disagree" in shown
    assert "No 70000001" in shown
    assert "Resolution satisfaction v1" in shown


def test_records_cannot_be_changed_or_deleted(client, log_in, records, city_admin):
    invitation = records["HPD"][0]
    log_in(city_admin)

    changed = client.post(url("change", invitation), {"status": "expired"})
    deleted = client.post(url("delete", invitation), {"post": "yes"})

    assert (changed.status_code, deleted.status_code) == (403, 403)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED


def test_opt_outs_show_only_a_digest_prefix_and_only_to_city_administrators(
    client, log_in, city_admin, liaison, supervisor
):
    digest = address_digest("email", "jane.doe@example.org")
    optout = OptOut.objects.create(
        channel="email", address_digest=digest, source="staff"
    )

    log_in(city_admin)
    listing = page(client.get(changelist(OptOut)))
    detail = page(client.get(url("change", optout)))
    found = client.get(changelist(OptOut), {"q": "JANE.DOE@example.org "})

    assert f"{digest[:8]}…" in listing
    assert digest not in listing
    assert digest not in detail
    assert found.context["cl"].result_count == 1
    for user in (liaison, supervisor):
        log_in(user)
        assert client.get(changelist(OptOut)).status_code == 403


# --- Records: filters ----------------------------------------------------------------


def shown_keys(response) -> list[int]:
    rows = response.context["cl"].result_list
    return sorted(
        getattr(row, "service_request_id", None) or row.invitation.service_request_id
        for row in rows
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "skipped"}, [70000001, 70000002, 90000001, 90000002]),
        ({"channel__exact": "email", "agency": "DSNY"}, [90000001, 90000002]),
        ({"language": "es", "channel__exact": "sms"}, [70000002, 90000002]),
        (
            {"skip_reason__exact": "other_channel", "agency": "HPD"},
            [70000001, 70000002],
        ),
        ({"status__exact": "answered", "agency": "HPD", "language": "en"}, [70000001]),
    ],
)
def test_invitation_filters(client, log_in, records, city_admin, params, expected):
    log_in(city_admin)

    response = client.get(changelist(Invitation), params)

    assert shown_keys(response) == expected


def test_response_filters(client, log_in, records, city_admin, survey):
    Response.objects.filter(invitation__service_request_id=90000002).update(
        is_complete=False, channel="sms"
    )
    log_in(city_admin)

    def keys(params):
        return shown_keys(client.get(changelist(Response), params))

    version = survey.published_version
    assert keys({"version": version.pk}) == [70000001, 70000002, 90000001, 90000002]
    assert keys({"complete": "no"}) == [90000002]
    assert keys({"channel__exact": "sms"}) == [90000002]
    assert keys({"agency": "HPD", "language": "es"}) == [70000002]


def test_the_response_list_shows_simulated_responses(
    client, log_in, records, city_admin
):
    Response.objects.filter(invitation__service_request_id=70000001).update(
        is_simulated=True
    )
    log_in(city_admin)

    response = client.get(changelist(Response), {"is_simulated__exact": "1"})

    assert shown_keys(response) == [70000001]


# --- Records: list pages do not query per row ----------------------------------------


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


@pytest.mark.parametrize("model", [Invitation, Message, Response, Contact])
def test_list_pages_make_the_same_queries_for_one_row_or_many(
    client, log_in, survey, city_admin, model, django_assert_max_num_queries
):
    make_records("HPD", 70000001, 1, survey)
    log_in(city_admin)
    with_one = count_queries(client, changelist(model))

    make_records("HPD", 70000101, 8, survey)

    with django_assert_max_num_queries(with_one):
        response = client.get(changelist(model))
    assert len(response.context["cl"].result_list) >= 9


def test_the_survey_version_pages_do_not_query_per_question(
    client, log_in, draft, city_admin, django_assert_max_num_queries
):
    question = draft.questions.get(key="dissatisfied_reasons")
    log_in(city_admin)

    # Six questions, ten translations each, six choices with nine to ten labels.
    with django_assert_max_num_queries(20):
        client.get(url("change", draft))
    with django_assert_max_num_queries(14):
        client.get(url("change", question))
    with django_assert_max_num_queries(12):
        client.get(url("preview", draft), {"language": "ko"})
