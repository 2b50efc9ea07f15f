"""The life of a survey version, through the services every interface calls."""

import pytest

from surveys.models import (
    Choice,
    ChoiceTranslation,
    Question,
    QuestionTranslation,
    SurveyTransition,
    SurveyVersion,
    SurveyVersionTranslation,
)
from surveys.versioning import (
    SubmissionBlocked,
    TransitionError,
    missing_translations,
    publish_survey_version,
    record_survey_edit,
    return_survey_version,
    start_survey_draft,
    submit_survey_version,
    survey_version_problems,
)

pytestmark = pytest.mark.django_db

Status = SurveyVersion.Status
Kind = Question.Kind

SEEDED_KEYS = [
    "satisfaction",
    "dissatisfied_reasons",
    "fixed",
    "explanation_clear",
    "reopen",
    "comment",
]


def history(version: SurveyVersion) -> list[tuple[str, str, str, str]]:
    return list(
        SurveyTransition.objects.filter(version=version).values_list(
            "from_status", "to_status", "actor__username", "comment"
        )
    )


def contents(version: SurveyVersion) -> dict:
    """Everything a resident could read in a version, without ids."""
    questions = version.questions.prefetch_related(
        "translations", "choices__translations"
    )
    return {
        "title": version.title,
        "introduction": version.introduction,
        "translations": sorted(
            version.translations.values_list("language", "title", "introduction")
        ),
        "questions": [
            (
                q.position,
                q.key,
                q.kind,
                q.prompt,
                q.help_text,
                q.is_required,
                q.max_length,
                q.show_when_question.key if q.show_when_question else None,
                q.show_when_values,
                sorted(
                    (t.language, t.prompt, t.help_text) for t in q.translations.all()
                ),
                [
                    (
                        c.position,
                        c.value,
                        c.label,
                        sorted((t.language, t.label) for t in c.translations.all()),
                    )
                    for c in q.choices.all()
                ],
            )
            for q in questions
        ],
    }


# --- Drafts ------------------------------------------------------------------------


def test_start_survey_draft_copies_questions_choices_conditions_and_translations(
    survey, city_admin
):
    published = survey.published_version

    draft = start_survey_draft(survey=survey, author=city_admin)

    assert (draft.number, draft.status, draft.author) == (2, Status.DRAFT, city_admin)
    assert contents(draft) == contents(published)
    assert [q.key for q in draft.questions.all()] == SEEDED_KEYS
    assert draft.translations.count() == 10
    assert history(draft) == [("", "draft", "carmen", "Started from version 1")]


def test_the_copied_condition_points_at_the_copied_question(survey, city_admin):
    draft = start_survey_draft(survey=survey, author=city_admin)

    reasons = draft.questions.get(key="dissatisfied_reasons")

    assert reasons.show_when_question.version == draft
    assert reasons.show_when_question == draft.questions.get(key="satisfaction")
    assert reasons.show_when_values == ["disagree", "strongly_disagree"]


def test_the_copy_shares_no_rows_with_the_published_version(survey, city_admin):
    published = survey.published_version
    draft = start_survey_draft(survey=survey, author=city_admin)

    draft_question = draft.questions.get(key="dissatisfied_reasons")
    draft_question.prompt = "Why not?"
    draft_question.save()
    draft_question.choices.filter(value="other").delete()
    QuestionTranslation.objects.filter(question__version=draft).delete()

    published_question = published.questions.get(key="dissatisfied_reasons")
    assert published_question.prompt.startswith("Why are you not satisfied?")
    assert published_question.choices.filter(value="other").exists()
    assert QuestionTranslation.objects.filter(question__version=published).count() > 0


def test_a_second_start_returns_the_open_draft(survey, city_admin, second_city_admin):
    first = start_survey_draft(survey=survey, author=city_admin)

    second = start_survey_draft(survey=survey, author=second_city_admin)

    assert second == first
    assert survey.versions.count() == 2


def test_a_survey_with_nothing_published_starts_an_empty_draft(survey, city_admin):
    new = type(survey).objects.create(name="Noise follow-up")

    draft = start_survey_draft(survey=new, author=city_admin)

    assert (draft.number, draft.title, draft.questions.count()) == (
        1,
        "Noise follow-up",
        0,
    )


def test_agency_staff_may_not_start_a_survey_draft(survey, liaison):
    with pytest.raises(TransitionError, match="permission"):
        start_survey_draft(survey=survey, author=liaison)

    assert survey.versions.count() == 1


# --- The review cycle ----------------------------------------------------------------


def test_draft_submit_return_edit_submit_publish(survey, city_admin, second_city_admin):
    first = survey.published_version
    draft = start_survey_draft(survey=survey, author=city_admin)

    submit_survey_version(version=draft, actor=city_admin)
    return_survey_version(
        version=draft, reviewer=second_city_admin, comment="Shorter intro, please."
    )
    draft.refresh_from_db()
    assert (draft.status, draft.reviewed_by) == (Status.RETURNED, second_city_admin)

    record_survey_edit(version=draft, editor=city_admin, change="Shortened the intro")
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT
    submit_survey_version(version=draft, actor=city_admin)
    publish_survey_version(version=draft, reviewer=second_city_admin, comment="Good.")

    draft.refresh_from_db()
    first.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_at is not None
    assert survey.published_version == draft
    assert (first.status, first.retired_at is not None) == (Status.RETIRED, True)
    assert history(draft) == [
        ("", "draft", "carmen", "Started from version 1"),
        ("draft", "submitted", "carmen", ""),
        ("submitted", "returned", "cleo", "Shorter intro, please."),
        ("returned", "draft", "carmen", "Shortened the intro"),
        ("draft", "submitted", "carmen", ""),
        ("submitted", "published", "cleo", "Good."),
    ]
    assert history(first)[-1] == (
        "published",
        "retired",
        "cleo",
        "Replaced by version 2",
    )


def test_nobody_publishes_a_version_they_started(survey, city_admin):
    draft = start_survey_draft(survey=survey, author=city_admin)
    submit_survey_version(version=draft, actor=city_admin)

    with pytest.raises(TransitionError, match="someone else must approve"):
        publish_survey_version(version=draft, reviewer=city_admin)

    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED
    assert survey.published_version.number == 1


def test_nobody_publishes_a_version_they_edited(
    survey, city_admin, second_city_admin, django_user_model
):
    draft = start_survey_draft(survey=survey, author=city_admin)
    record_survey_edit(version=draft, editor=second_city_admin, change="Typo")
    submit_survey_version(version=draft, actor=city_admin)

    with pytest.raises(TransitionError, match="someone else must approve"):
        publish_survey_version(version=draft, reviewer=second_city_admin)

    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_a_reviewer_who_only_returned_a_version_may_publish_it(
    survey, city_admin, second_city_admin
):
    draft = start_survey_draft(survey=survey, author=city_admin)
    submit_survey_version(version=draft, actor=city_admin)
    return_survey_version(version=draft, reviewer=second_city_admin, comment="Check.")
    submit_survey_version(version=draft, actor=city_admin)

    publish_survey_version(version=draft, reviewer=second_city_admin)

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_returning_needs_a_comment(survey, city_admin, second_city_admin):
    draft = start_survey_draft(survey=survey, author=city_admin)
    submit_survey_version(version=draft, actor=city_admin)

    with pytest.raises(TransitionError, match="what needs to change"):
        return_survey_version(version=draft, reviewer=second_city_admin, comment=" ")

    draft.refresh_from_db()
    assert draft.status == Status.SUBMITTED


def test_only_a_submitted_version_is_published(survey, city_admin, second_city_admin):
    draft = start_survey_draft(survey=survey, author=city_admin)

    with pytest.raises(TransitionError, match="Only a submitted version"):
        publish_survey_version(version=draft, reviewer=second_city_admin)

    assert survey.published_version.number == 1


# --- Published versions do not change ------------------------------------------------


def test_a_published_version_cannot_be_edited(survey, city_admin):
    published = survey.published_version

    with pytest.raises(TransitionError, match="can no longer be edited"):
        record_survey_edit(version=published, editor=city_admin, change="Reword")

    published.refresh_from_db()
    assert published.status == Status.PUBLISHED
    assert not published.transitions.exists()


def test_a_submitted_version_cannot_be_edited_until_returned(survey, city_admin):
    draft = start_survey_draft(survey=survey, author=city_admin)
    submit_survey_version(version=draft, actor=city_admin)

    with pytest.raises(TransitionError, match="submitted for review"):
        record_survey_edit(version=draft, editor=city_admin, change="One more change")


def test_a_published_version_cannot_be_submitted_again(survey, city_admin):
    with pytest.raises(TransitionError, match="Only a draft"):
        submit_survey_version(version=survey.published_version, actor=city_admin)


# --- Checks before submitting --------------------------------------------------------


@pytest.fixture
def draft(survey, city_admin) -> SurveyVersion:
    return start_survey_draft(survey=survey, author=city_admin)


def test_the_seeded_survey_has_no_problems(draft):
    assert survey_version_problems(draft) == []


def test_a_version_needs_a_question(draft, city_admin):
    draft.questions.update(show_when_question=None)
    draft.questions.all().delete()

    with pytest.raises(SubmissionBlocked) as blocked:
        submit_survey_version(version=draft, actor=city_admin)

    assert blocked.value.problems == ["Add at least one question."]
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_a_choice_question_needs_two_choices(draft):
    Choice.objects.filter(question__version=draft).exclude(value="other").delete()

    assert survey_version_problems(draft) == [
        "Question 2 (“dissatisfied_reasons”) needs at least two choices."
    ]


def test_a_free_text_question_needs_a_length_limit(draft):
    draft.questions.filter(key="comment").update(max_length=None)

    assert survey_version_problems(draft) == [
        "Question 6 (“comment”) is free text and needs a most-characters limit."
    ]


def test_a_condition_must_use_answers_of_its_question(draft):
    draft.questions.filter(key="dissatisfied_reasons").update(
        show_when_values=["disagree", "unhappy"]
    )

    assert survey_version_problems(draft) == [
        "Question 2 (“dissatisfied_reasons”): unhappy is not an answer of question 1; "
        "choose from: strongly_agree, agree, neutral, disagree, strongly_disagree."
    ]


def test_a_condition_on_a_choice_question_uses_its_choice_values(draft):
    comment = draft.questions.get(key="comment")
    comment.show_when_question = draft.questions.get(key="dissatisfied_reasons")
    comment.show_when_values = ["other"]
    comment.save()

    assert survey_version_problems(draft) == []

    comment.show_when_values = ["agree"]
    comment.save()
    assert survey_version_problems(draft) == [
        "Question 6 (“comment”): agree is not an answer of question 2; choose from: "
        "not_fixed, too_slow, unclear, wrong_reason, no_contact, other."
    ]


def test_a_condition_must_point_at_an_earlier_question(draft):
    satisfaction = draft.questions.get(key="satisfaction")
    fixed = draft.questions.get(key="fixed")
    explanation = draft.questions.get(key="explanation_clear")
    explanation.show_when_question = satisfaction
    explanation.show_when_values = ["agree"]
    explanation.save()
    fixed.show_when_question = explanation
    fixed.show_when_values = ["agree"]
    fixed.save()

    assert survey_version_problems(draft) == [
        "Question 3 (“fixed”) can only depend on an earlier question of this survey."
    ]


def test_a_condition_must_stay_inside_the_version(draft, survey):
    published_question = survey.published_version.questions.get(key="satisfaction")
    draft.questions.filter(key="fixed").update(
        show_when_question=published_question, show_when_values=["agree"]
    )

    assert survey_version_problems(draft) == [
        "Question 3 (“fixed”) can only depend on an earlier question of this survey."
    ]


def test_a_condition_needs_answers(draft):
    draft.questions.filter(key="dissatisfied_reasons").update(show_when_values=[])

    assert survey_version_problems(draft)[0].startswith(
        "Question 2 (“dissatisfied_reasons”) depends on question 1 but lists no answers"
    )


def test_the_first_question_is_the_agreement_scale_sms_replies_answer(draft):
    draft.questions.filter(key="satisfaction").update(key="happy", kind=Kind.YES_NO)

    assert survey_version_problems(draft)[0] == (
        "The first question must use the five-point agreement scale: residents "
        "answer it by text message with one digit."
    )


def test_reports_keys_keep_their_kind(draft):
    draft.questions.filter(key="fixed").update(kind=Kind.AGREEMENT)

    assert survey_version_problems(draft) == [
        "Question 3 (“fixed”): the key “fixed” is kept for a yes / no / not sure "
        "question, because reports read its answers; choose another key."
    ]


def test_a_scale_question_may_not_carry_choices(draft):
    fixed = draft.questions.get(key="fixed")
    Choice.objects.create(question=fixed, position=1, value="maybe", label="Maybe")

    assert survey_version_problems(draft) == [
        "Question 3 (“fixed”) is a “Yes / no / not sure” question, which uses a "
        "fixed scale; remove its choices."
    ]


# --- Translations --------------------------------------------------------------------


def test_the_seeded_survey_is_fully_translated(draft):
    assert missing_translations(draft) == []


def test_missing_translations_are_listed_per_string_and_language(draft):
    QuestionTranslation.objects.filter(
        question__version=draft, question__key="fixed", language__in=["es", "ko"]
    ).delete()
    ChoiceTranslation.objects.filter(
        choice__question__version=draft, choice__value="other", language="ar"
    ).delete()
    SurveyVersionTranslation.objects.filter(version=draft, language="pl").update(
        introduction=""
    )

    gaps = [(gap.label, gap.missing) for gap in missing_translations(draft)]

    assert gaps == [
        ("Introduction", ["Polski"]),
        ("Question 2 (“dissatisfied_reasons”): choice “other”", ["العربية"]),
        ("Question 3 (“fixed”)", ["Español", "한국어"]),
    ]


def test_a_version_with_missing_translations_can_still_be_published(
    draft, city_admin, second_city_admin
):
    QuestionTranslation.objects.filter(question__version=draft, language="ht").delete()

    submit_survey_version(version=draft, actor=city_admin)
    publish_survey_version(version=draft, reviewer=second_city_admin)

    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_html_in_any_text_residents_read_blocks_submission(draft, city_admin):
    question = draft.questions.get(key="comment")
    QuestionTranslation.objects.update_or_create(
        question=question, language="es", defaults={"prompt": "<b>¿Algo más?</b>"}
    )
    choice = Choice.objects.filter(question__version=draft).first()
    choice.label = '<img src=x onerror="alert(1)">'
    choice.save()

    with pytest.raises(SubmissionBlocked) as blocked:
        submit_survey_version(version=draft, actor=city_admin)

    assert blocked.value.problems == [
        f"Question {choice.question.position} (“{choice.question.key}”): choice "
        f'“{choice.value}”: “<img src=x onerror="alert(1)">” is HTML. Residents '
        "see texts as written, so they would see the tag itself; write plain text.",
        f"Question {question.position} (“comment”) (es): “<b>” is HTML. Residents "
        "see texts as written, so they would see the tag itself; write plain text.",
    ]
