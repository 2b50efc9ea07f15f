"""A survey version in one language, as a resident would read it.

Each string falls back to English where the version has no translation, and
says so, so a reviewer sees exactly what residents of that language get.
"""

from dataclasses import dataclass, field

from django.utils import translation

from surveys.models import Question, SurveyVersion
from surveys.scales import SCALES


@dataclass
class Text:
    value: str
    is_fallback: bool = False


@dataclass
class PreviewQuestion:
    question: Question
    prompt: Text
    help_text: Text
    options: list[tuple[str, Text]] = field(default_factory=list)
    condition: str = ""


@dataclass
class PreviewSurvey:
    language: str
    title: Text
    introduction: Text
    questions: list[PreviewQuestion]

    @property
    def fallback_count(self) -> int:
        texts = [self.title, self.introduction]
        for question in self.questions:
            texts += [question.prompt, question.help_text]
            texts += [label for _, label in question.options]
        return sum(text.is_fallback for text in texts)


def _pick(english: str, translated: str | None, language: str) -> Text:
    if language == "en" or not english:
        return Text(english)
    if translated:
        return Text(translated)
    return Text(english, is_fallback=True)


def preview_version(version: SurveyVersion, language: str) -> PreviewSurvey:
    version_translation = next(
        (t for t in version.translations.all() if t.language == language), None
    )
    questions = []
    by_pk = {}
    for question in version.questions.prefetch_related(
        "translations", "choices__translations"
    ):
        by_pk[question.pk] = question
        qt = next(
            (t for t in question.translations.all() if t.language == language), None
        )
        if question.kind in SCALES:
            # Scale labels come from the site's message catalogues, never the survey.
            with translation.override(language):
                options = [
                    (point.value, Text(str(point.label)))
                    for point in SCALES[question.kind]
                ]
        else:
            options = [
                (
                    choice.value,
                    _pick(
                        choice.label,
                        next(
                            (
                                t.label
                                for t in choice.translations.all()
                                if t.language == language
                            ),
                            None,
                        ),
                        language,
                    ),
                )
                for choice in question.choices.all()
            ]
        condition = ""
        if question.show_when_question_id in by_pk:
            shown_for = ", ".join(question.show_when_values)
            condition = (
                f"Shown only when question {by_pk[question.show_when_question_id].position}"
                f" is answered {shown_for}."
            )
        questions.append(
            PreviewQuestion(
                question=question,
                prompt=_pick(question.prompt, qt.prompt if qt else None, language),
                help_text=_pick(
                    question.help_text, qt.help_text if qt else None, language
                ),
                options=options,
                condition=condition,
            )
        )
    return PreviewSurvey(
        language=language,
        title=_pick(
            version.title,
            version_translation.title if version_translation else None,
            language,
        ),
        introduction=_pick(
            version.introduction,
            version_translation.introduction if version_translation else None,
            language,
        ),
        questions=questions,
    )
