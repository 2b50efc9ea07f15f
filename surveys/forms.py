"""The survey form residents answer, built from a survey version in one language.

`load_survey` turns a version's questions, choices and translations into plain
values in the language the page shows (English where a translation is missing);
`SurveyForm` validates a post against them. Published versions never change, so
their loaded form is kept in memory for a few minutes.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from string import ascii_lowercase

from django import forms
from django.utils import translation
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from surveys.memo import TimedMemo
from surveys.models import Question, SurveyVersion
from surveys.scales import SCALES

Kind = Question.Kind
CHOICE_KINDS = (Kind.AGREEMENT, Kind.YES_NO, Kind.SINGLE)
# A free-text answer without a limit of its own gets this one.
DEFAULT_TEXT_LIMIT = 1000
CACHE_SECONDS = 300

REQUIRED = {
    Kind.MULTIPLE: _("Choose at least one answer."),
    Kind.TEXT: _("Write an answer in the box."),
}
CHOOSE_ONE = _("Choose an answer.")
NOT_OFFERED = _("Choose one of the answers shown.")
TOO_LONG = _("Use at most %(limit_value)d characters. Your answer has %(show_value)d.")


@dataclass(frozen=True)
class Text:
    value: str
    # True when the page's language has no translation and English is shown.
    is_fallback: bool = False

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class Option:
    value: str
    label: Text


@dataclass(frozen=True)
class QuestionDefinition:
    key: str
    number: str
    kind: str
    prompt: Text
    help_text: Text | None
    is_required: bool
    max_length: int | None
    options: tuple[Option, ...]
    # Asked only when the question `show_when_key` got one of these answers.
    show_when_key: str = ""
    show_when_values: frozenset[str] = frozenset()
    # The words before the prompt that name that condition.
    condition: str = ""

    @property
    def is_text(self) -> bool:
        return self.kind == Kind.TEXT

    @property
    def is_multiple(self) -> bool:
        return self.kind == Kind.MULTIPLE

    @property
    def is_scale(self) -> bool:
        return self.kind == Kind.AGREEMENT


@dataclass(frozen=True)
class SurveyDefinition:
    version_id: int
    language: str
    title: Text
    introduction: Text
    questions: tuple[QuestionDefinition, ...]

    @property
    def first_question(self) -> QuestionDefinition | None:
        return self.questions[0] if self.questions else None


_surveys: TimedMemo[SurveyDefinition] = TimedMemo(seconds=CACHE_SECONDS)
IMMUTABLE = (SurveyVersion.Status.PUBLISHED, SurveyVersion.Status.RETIRED)


def load_survey(*, version_id: int, language: str) -> SurveyDefinition:
    """The version's questions in `language`, with English for missing translations."""

    def build() -> tuple[SurveyDefinition, bool]:
        version = SurveyVersion.objects.prefetch_related(
            "translations",
            "questions__translations",
            "questions__choices__translations",
        ).get(pk=version_id)
        with translation.override(language):
            return _build(version, language), version.status in IMMUTABLE

    return _surveys.get_or_build((version_id, language), build)


def _translated(translations, language: str, field: str, english: str) -> Text | None:
    found = next((t for t in translations if t.language == language), None)
    value = getattr(found, field, "") if found is not None else ""
    if value.strip():
        return Text(value)
    if not english.strip():
        return None
    return Text(english, is_fallback=language != "en")


def _build(version: SurveyVersion, language: str) -> SurveyDefinition:
    version_translations = list(version.translations.all())
    questions = sorted(version.questions.all(), key=lambda q: q.position)
    numbers = _question_numbers(questions)
    by_pk = {q.pk: q for q in questions}

    options_of: dict[int, tuple[Option, ...]] = {}
    for question in questions:
        if question.kind in SCALES:
            options_of[question.pk] = tuple(
                Option(point.value, Text(str(point.label)))
                for point in SCALES[question.kind]
            )
        else:
            options_of[question.pk] = tuple(
                Option(
                    choice.value,
                    _translated(
                        list(choice.translations.all()), language, "label", choice.label
                    ),
                )
                for choice in sorted(question.choices.all(), key=lambda c: c.position)
            )

    definitions = []
    for question in questions:
        translations = list(question.translations.all())
        condition_question = by_pk.get(question.show_when_question_id)
        definitions.append(
            QuestionDefinition(
                key=question.key,
                number=numbers[question.pk],
                kind=question.kind,
                prompt=_translated(translations, language, "prompt", question.prompt),
                help_text=_translated(
                    translations, language, "help_text", question.help_text
                ),
                is_required=question.is_required,
                max_length=(question.max_length or DEFAULT_TEXT_LIMIT)
                if question.kind == Kind.TEXT
                else None,
                options=options_of[question.pk],
                show_when_key=condition_question.key if condition_question else "",
                show_when_values=frozenset(question.show_when_values or ())
                if condition_question
                else frozenset(),
                condition=_condition_text(
                    number=numbers[condition_question.pk],
                    options=options_of[condition_question.pk],
                    values=question.show_when_values or (),
                )
                if condition_question
                else "",
            )
        )
    return SurveyDefinition(
        version_id=version.pk,
        language=language,
        title=_translated(version_translations, language, "title", version.title),
        introduction=_translated(
            version_translations, language, "introduction", version.introduction
        )
        or Text(""),
        questions=tuple(definitions),
    )


def _question_numbers(questions: list) -> dict[int, str]:
    """Numbers as residents see them: 1, 2, 3, with a question shown only for
    some answers of the one before it numbered after it, 1a, 1b. Pages with
    JavaScript hide such a question until it applies, and the numbers that stay
    on screen must not skip."""
    numbers: dict[int, str] = {}
    counted = 0
    parent_pk = None
    letters = 0
    for question in questions:
        follows_parent = (
            question.show_when_question_id is not None
            and question.show_when_question_id == parent_pk
        )
        if follows_parent and letters < len(ascii_lowercase):
            numbers[question.pk] = numbers[parent_pk] + ascii_lowercase[letters]
            letters += 1
            continue
        counted += 1
        numbers[question.pk] = str(counted)
        parent_pk, letters = question.pk, 0
    return numbers


def _condition_text(*, number: str, options: tuple[Option, ...], values) -> str:
    """E.g. 'If you chose “Disagree” or “Strongly disagree” in question 1:'."""
    quoted = [
        pgettext("an answer quoted in a sentence", "“%(answer)s”")
        % {"answer": option.label}
        for option in options
        if option.value in values
    ]
    answers = pgettext("between answers: A or B", " or ").join(quoted)
    return gettext("If you chose %(answers)s in question %(number)s:") % {
        "answers": answers,
        "number": number,
    }


class CommentField(forms.CharField):
    """Free text counted as the browser counts it.

    Browsers send each line break as CR LF but count it as one character against
    the textarea's maxlength; counting it as two would refuse text the page let
    the resident type.
    """

    def to_python(self, value):
        value = super().to_python(value)
        return value.replace("\r\n", "\n").replace("\r", "\n")


def _field_for(question: QuestionDefinition) -> forms.Field:
    # A conditional question's "required" is checked in clean(), once it is
    # known whether the question applies.
    required = question.is_required and not question.show_when_key
    if question.kind == Kind.TEXT:
        return CommentField(
            required=required,
            max_length=question.max_length,
            widget=forms.Textarea,
            error_messages={"required": REQUIRED[Kind.TEXT], "max_length": TOO_LONG},
        )
    choices = [(option.value, option.label.value) for option in question.options]
    if question.kind == Kind.MULTIPLE:
        return forms.MultipleChoiceField(
            required=required,
            choices=choices,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "required": REQUIRED[Kind.MULTIPLE],
                "invalid_choice": NOT_OFFERED,
                "invalid_list": NOT_OFFERED,
            },
        )
    return forms.ChoiceField(
        required=required,
        choices=choices,
        widget=forms.RadioSelect,
        error_messages={"required": CHOOSE_ONE, "invalid_choice": NOT_OFFERED},
    )


@dataclass(frozen=True)
class QuestionView:
    """One question as the template draws it: definition, current answer, errors."""

    question: QuestionDefinition
    selected: frozenset[str]
    text: str
    errors: tuple[str, ...]

    @property
    def html_id(self) -> str:
        return f"q-{self.question.key}"

    @property
    def first_input_id(self) -> str:
        return f"{self.html_id}-input" if self.question.is_text else f"{self.html_id}-1"


class SurveyForm(forms.Form):
    """Answers keyed by question key; `answers()` is what record_response stores."""

    def __init__(self, *args, survey: SurveyDefinition, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        for question in survey.questions:
            self.fields[question.key] = _field_for(question)

    def clean(self) -> dict:
        cleaned = super().clean()
        for question in self.survey.questions:
            if not question.show_when_key:
                continue
            if not _values(cleaned.get(question.show_when_key)) & (
                question.show_when_values
            ):
                # The condition is not met: whatever was sent for it is ignored.
                cleaned.pop(question.key, None)
                self._errors.pop(question.key, None)
            elif (
                question.is_required
                and not cleaned.get(question.key)
                and question.key not in self._errors
            ):
                self.add_error(question.key, REQUIRED.get(question.kind, CHOOSE_ONE))
        return cleaned

    def answers(self) -> dict[str, str | list[str]]:
        return {
            question.key: value
            for question in self.survey.questions
            if (value := self.cleaned_data.get(question.key)) not in (None, "", [])
        }

    def question_views(self) -> Iterator[QuestionView]:
        for question in self.survey.questions:
            value = self[question.key].value()
            yield QuestionView(
                question=question,
                selected=_values(value) if not question.is_text else frozenset(),
                text=(value or "") if question.is_text else "",
                errors=tuple(self.errors.get(question.key, ()))
                if self.is_bound
                else (),
            )


def _values(value) -> frozenset[str]:
    if value is None or value == "":
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(str(v) for v in value)


def preselected_answer(survey: SurveyDefinition, answer: str) -> dict[str, str]:
    """Initial data from an email rating link: only a valid first-question answer."""
    first = survey.first_question
    if (
        first is None
        or first.kind not in CHOICE_KINDS
        or answer not in {option.value for option in first.options}
    ):
        return {}
    return {first.key: answer}
