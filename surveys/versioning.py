"""The life of a survey version: drafting, review and publishing.

Surveys are versioned like resolution descriptions. Every edit and change of
status goes through one function here, whichever interface asks (admin page,
command, test), so each is checked and recorded as a SurveyTransition. A
published version never changes: residents' responses point at it.
"""

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from resolutions import plain_language
from surveys.models import (
    Choice,
    ChoiceTranslation,
    Question,
    QuestionTranslation,
    Survey,
    SurveyTransition,
    SurveyVersion,
    SurveyVersionTranslation,
)
from surveys.scales import SCALES

logger = logging.getLogger(__name__)

Status = SurveyVersion.Status
Kind = Question.Kind

TRANSLATED_LANGUAGES = [
    (code, name) for code, name in settings.LANGUAGES if code != "en"
]

# Response rows copy these answers for queues and dashboards (surveys.responses),
# and an SMS reply digit answers the first question on the agreement scale.
HEADLINE_KINDS = {
    "satisfaction": Kind.AGREEMENT,
    "fixed": Kind.YES_NO,
    "reopen": Kind.YES_NO,
}


class TransitionError(Exception):
    """A step the rules do not allow; the message is written for the staff member."""


class SubmissionBlocked(TransitionError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"Fix these before submitting: {'; '.join(problems)}")


@dataclass(frozen=True)
class TranslationGap:
    """One English string of a version and the languages it is not translated into."""

    label: str
    english: str
    missing: list[str]  # language names


def _require(user, permission: str) -> None:
    if not user.has_perm(permission):
        raise TransitionError("You do not have permission to do that.")


def _locked(version: SurveyVersion) -> SurveyVersion:
    return SurveyVersion.objects.select_for_update().get(pk=version.pk)


def _record(
    version: SurveyVersion, from_status: str, actor, comment: str = ""
) -> SurveyTransition:
    logger.info(
        "survey %s version %s: %s -> %s by user %s",
        version.survey_id,
        version.number,
        from_status or "new",
        version.status,
        getattr(actor, "pk", None),
    )
    return SurveyTransition.objects.create(
        version=version,
        from_status=from_status,
        to_status=version.status,
        actor=actor,
        comment=comment,
    )


def has_worked_on(version: SurveyVersion, user) -> bool:
    """Whether the user started, edited or submitted the version."""
    return (
        user.pk == version.author_id
        or version.transitions.filter(
            actor=user, to_status__in=[Status.DRAFT, Status.SUBMITTED]
        ).exists()
    )


@transaction.atomic
def start_survey_draft(*, survey: Survey, author) -> SurveyVersion:
    """The survey's working version, starting one from the published version if none.

    The new draft copies the published questions, their choices, show-when
    conditions and every translation. There is at most one working version per
    survey, so two administrators who start editing at once share one draft.
    """
    _require(author, "surveys.change_surveyversion")
    Survey.objects.select_for_update().get(pk=survey.pk)
    working = survey.versions.filter(status__in=SurveyVersion.WORKING_STATUSES).first()
    if working is not None:
        return working

    published = survey.published_version
    last_number = survey.versions.aggregate(last=Max("number"))["last"] or 0
    draft = SurveyVersion.objects.create(
        survey=survey,
        number=last_number + 1,
        status=Status.DRAFT,
        title=published.title if published else survey.name,
        introduction=published.introduction if published else "",
        author=author,
    )
    if published is not None:
        _copy_contents(published, draft)
    _record(
        draft,
        "",
        author,
        comment=f"Started from version {published.number}" if published else "",
    )
    return draft


def _copy_contents(source: SurveyVersion, target: SurveyVersion) -> None:
    SurveyVersionTranslation.objects.bulk_create(
        SurveyVersionTranslation(
            version=target,
            language=t.language,
            title=t.title,
            introduction=t.introduction,
        )
        for t in source.translations.all()
    )
    originals = list(
        source.questions.prefetch_related("translations", "choices__translations")
    )
    copies: dict[int, Question] = {}
    for original in originals:
        copies[original.pk] = Question.objects.create(
            version=target,
            position=original.position,
            key=original.key,
            kind=original.kind,
            prompt=original.prompt,
            help_text=original.help_text,
            is_required=original.is_required,
            max_length=original.max_length,
            show_when_values=list(original.show_when_values),
        )
    for original in originals:
        copy = copies[original.pk]
        # Conditions point at the copied question, never back into the source.
        if original.show_when_question_id in copies:
            copy.show_when_question = copies[original.show_when_question_id]
            copy.save(update_fields=["show_when_question"])
        QuestionTranslation.objects.bulk_create(
            QuestionTranslation(
                question=copy,
                language=t.language,
                prompt=t.prompt,
                help_text=t.help_text,
            )
            for t in original.translations.all()
        )
        for choice in original.choices.all():
            choice_copy = Choice.objects.create(
                question=copy,
                position=choice.position,
                value=choice.value,
                label=choice.label,
            )
            ChoiceTranslation.objects.bulk_create(
                ChoiceTranslation(
                    choice=choice_copy, language=t.language, label=t.label
                )
                for t in choice.translations.all()
            )


@transaction.atomic
def record_survey_edit(
    *,
    version: SurveyVersion,
    editor,
    change: str,
    expected_revision: int | None = None,
) -> SurveyVersion:
    """Allow an edit of a working version and record who made it.

    Call it in the transaction that saves the edit, before saving: the version
    is locked, and an edit of a version submitted or published since the form
    was opened is refused, so the transaction rolls back. So is an edit from a
    form opened at `expected_revision` when someone has saved the version since:
    saving it would silently undo their changes. A returned version becomes a
    draft again. Everyone recorded here is barred from approving it.
    """
    _require(editor, "surveys.change_surveyversion")
    current = _locked(version)
    if not current.is_editable:
        raise TransitionError(
            f"Version {current.number} is {current.get_status_display().lower()} and "
            "can no longer be edited."
        )
    if expected_revision is not None and current.revision != expected_revision:
        last = current.transitions.select_related("actor").order_by("-pk").first()
        by = f" by {last.actor}" if last and last.actor else ""
        raise TransitionError(
            f"Version {current.number} was saved{by} after you opened this page, so "
            "your changes were not saved. Open it again to see theirs, then redo "
            "yours."
        )
    previous_status = current.status
    current.status = Status.DRAFT
    current.revision += 1
    current.save(update_fields=["status", "revision"])
    _record(current, previous_status, editor, comment=change)
    return current


def survey_version_problems(version: SurveyVersion) -> list[str]:
    """What stops the version from being submitted, as the editor should read it."""
    problems: list[str] = []
    if not version.title.strip():
        problems.append("Give the survey a title.")
    questions = list(
        version.questions.select_related("show_when_question").prefetch_related(
            "choices"
        )
    )
    if not questions:
        problems.append("Add at least one question.")
        return problems

    keys = [question.key for question in questions]
    for key in sorted({key for key in keys if keys.count(key) > 1}):
        problems.append(f"Two questions have the key “{key}”; keys must differ.")
    first = questions[0]
    if first.kind != Kind.AGREEMENT:
        problems.append(
            "The first question must use the five-point agreement scale: residents "
            "answer it by text message with one digit."
        )

    for question in questions:
        problems.extend(_question_problems(question, version))
    return problems


def markup_problems(version: SurveyVersion) -> list[str]:
    """Every text residents read, in every language, must be plain text.

    Checked on submission, apart from survey_version_problems, so that the
    version pages need not read every translation for it.
    """
    texts = []
    for label, english, translated in _version_texts(version):
        texts.append((label, english))
        texts += [(f"{label} ({code})", text) for code, text in translated.items()]
    return [
        f"{label}: “{tag[:40]}” is HTML. Residents see texts as written, so they "
        "would see the tag itself; write plain text."
        for label, text in texts
        if (tag := plain_language.find_markup(text))
    ]


def _question_problems(question: Question, version: SurveyVersion) -> list[str]:
    name = f"Question {question.position} (“{question.key}”)"
    problems: list[str] = []
    choices = list(question.choices.all())
    if not question.prompt.strip():
        problems.append(f"{name} has no question text.")
    if question.key in HEADLINE_KINDS and question.kind != HEADLINE_KINDS[question.key]:
        kind_label = Kind(HEADLINE_KINDS[question.key]).label.lower()
        problems.append(
            f"{name}: the key “{question.key}” is kept for a {kind_label} question, "
            "because reports read its answers; choose another key."
        )

    if question.kind in (Kind.SINGLE, Kind.MULTIPLE):
        if len(choices) < 2:
            problems.append(f"{name} needs at least two choices.")
        values = [choice.value for choice in choices]
        if len(set(values)) != len(values):
            problems.append(f"{name} offers the same choice value twice.")
        if any(not choice.label.strip() for choice in choices):
            problems.append(f"{name} has a choice without a label.")
    elif choices:
        problems.append(
            f"{name} is a “{question.get_kind_display()}” question, which uses a "
            "fixed scale; remove its choices."
        )
    if question.kind == Kind.TEXT and not question.max_length:
        problems.append(f"{name} is free text and needs a most-characters limit.")

    condition = question.show_when_question
    if condition is None:
        if question.show_when_values:
            problems.append(
                f"{name} lists answers to show it for, but no question they answer."
            )
        return problems
    if condition.version_id != version.pk or condition.position >= question.position:
        problems.append(
            f"{name} can only depend on an earlier question of this survey."
        )
        return problems
    valid = allowed_answer_values(condition)
    if condition.kind == Kind.TEXT:
        problems.append(f"{name} cannot depend on a free-text answer.")
    elif not question.show_when_values:
        problems.append(
            f"{name} depends on question {condition.position} but lists no answers; "
            f"choose from: {', '.join(valid)}."
        )
    else:
        wrong = [value for value in question.show_when_values if value not in valid]
        if wrong:
            problems.append(
                f"{name}: {', '.join(map(str, wrong))} is not an answer of question "
                f"{condition.position}; choose from: {', '.join(valid)}."
            )
    return problems


def allowed_answer_values(question: Question) -> list[str]:
    """The stored values an answer to the question can have (none for free text)."""
    if question.kind in SCALES:
        return [point.value for point in SCALES[question.kind]]
    return [choice.value for choice in question.choices.all()]


def missing_translations(version: SurveyVersion) -> list[TranslationGap]:
    """Each English string of the version and the languages it lacks.

    Residents who chose a missing language see that string in English.
    """
    names = dict(TRANSLATED_LANGUAGES)
    gaps: list[TranslationGap] = []
    for label, english, translated in _version_texts(version):
        if not english.strip():
            continue
        missing = [
            names[code] for code in names if not translated.get(code, "").strip()
        ]
        if missing:
            gaps.append(TranslationGap(label, english, missing))
    return gaps


def _version_texts(
    version: SurveyVersion,
) -> Iterator[tuple[str, str, dict[str, str]]]:
    """Each text residents read: its label for the editor, the English, and the
    translations by language code."""
    version_translations = list(version.translations.all())
    yield "Title", version.title, {t.language: t.title for t in version_translations}
    yield (
        "Introduction",
        version.introduction,
        {t.language: t.introduction for t in version_translations},
    )
    questions = version.questions.prefetch_related(
        "translations", "choices__translations"
    )
    for question in questions:
        name = f"Question {question.position} (“{question.key}”)"
        translations = list(question.translations.all())
        yield name, question.prompt, {t.language: t.prompt for t in translations}
        yield (
            f"{name}: help text",
            question.help_text,
            {t.language: t.help_text for t in translations},
        )
        for choice in question.choices.all():
            yield (
                f"{name}: choice “{choice.value}”",
                choice.label,
                {t.language: t.label for t in choice.translations.all()},
            )


@transaction.atomic
def submit_survey_version(*, version: SurveyVersion, actor) -> SurveyVersion:
    """Send a draft for review, if it is complete enough to be answered.

    Missing translations do not block it: the review page lists them.
    """
    _require(actor, "surveys.submit_surveyversion")
    current = _locked(version)
    if not current.is_editable:
        raise TransitionError(
            f"Only a draft can be submitted; version {current.number} is "
            f"{current.get_status_display().lower()}."
        )
    problems = survey_version_problems(current) + markup_problems(current)
    if problems:
        raise SubmissionBlocked(problems)

    previous_status = current.status
    current.status = Status.SUBMITTED
    current.submitted_at = timezone.now()
    current.save(update_fields=["status", "submitted_at"])
    _record(current, previous_status, actor)
    return current


@transaction.atomic
def return_survey_version(
    *, version: SurveyVersion, reviewer, comment: str
) -> SurveyVersion:
    """Send a submitted version back to its editors with the reviewer's comment."""
    _require(reviewer, "surveys.review_surveyversion")
    if not comment.strip():
        raise TransitionError("Say what needs to change when returning a version.")
    current = _locked(version)
    if current.status != Status.SUBMITTED:
        raise TransitionError("Only a submitted version can be returned.")

    current.status = Status.RETURNED
    current.reviewed_by = reviewer
    current.save(update_fields=["status", "reviewed_by"])
    _record(current, Status.SUBMITTED, reviewer, comment=comment.strip())
    return current


@transaction.atomic
def publish_survey_version(
    *, version: SurveyVersion, reviewer, comment: str = ""
) -> SurveyVersion:
    """Publish a submitted version and retire the one it replaces, together.

    Nobody approves a version they started, edited or submitted. Invitations
    made from now on open the new version; those already made keep theirs.
    """
    _require(reviewer, "surveys.review_surveyversion")
    current = _locked(version)
    if current.status != Status.SUBMITTED:
        raise TransitionError("Only a submitted version can be published.")
    if has_worked_on(current, reviewer):
        raise TransitionError(
            "You started, edited or submitted this version; someone else must "
            "approve it."
        )

    now = timezone.now()
    for previous in SurveyVersion.objects.select_for_update().filter(
        survey_id=current.survey_id, status=Status.PUBLISHED
    ):
        previous.status = Status.RETIRED
        previous.retired_at = now
        previous.save(update_fields=["status", "retired_at"])
        _record(
            previous,
            Status.PUBLISHED,
            reviewer,
            comment=f"Replaced by version {current.number}",
        )

    current.status = Status.PUBLISHED
    current.published_at = now
    current.reviewed_by = reviewer
    current.save(update_fields=["status", "published_at", "reviewed_by"])
    _record(current, Status.SUBMITTED, reviewer, comment=comment.strip())
    return current
