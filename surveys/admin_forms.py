"""Admin forms for editing a survey version, written for the staff who fill them."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import F

from surveys.models import (
    Choice,
    ChoiceTranslation,
    Question,
    QuestionTranslation,
    SurveyVersion,
    SurveyVersionTranslation,
)
from surveys.scales import SCALES
from surveys.versioning import TRANSLATED_LANGUAGES


def _scale_values(kind: str) -> str:
    return ", ".join(point.value for point in SCALES[kind])


SHOW_WHEN_HELP = (
    "The answers, separated by commas, that make this question appear. Agreement "
    f"scale: {_scale_values('agreement')}. Yes / no: {_scale_values('yes_no')}. "
    "Choice questions: the values of their choices."
)


class AnswerValuesField(forms.CharField):
    """A list of stored answer values, typed as one comma-separated line."""

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]


class LoadedRevisionForm(forms.ModelForm):
    """Carries the version's revision as it was when the page was opened, so that
    saving over someone else's later save is refused (versioning.record_survey_edit).
    """

    loaded_revision = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        version = self.version()
        if version is not None:
            self.fields["loaded_revision"].initial = version.revision

    def version(self) -> SurveyVersion | None:
        raise NotImplementedError


class SurveyVersionForm(LoadedRevisionForm):
    class Meta:
        model = SurveyVersion
        fields = ["title", "introduction", "change_note"]

    def version(self) -> SurveyVersion | None:
        return self.instance if self.instance.pk else None


class QuestionForm(LoadedRevisionForm):
    show_when_values = AnswerValuesField(
        label="Show when answered", required=False, help_text=SHOW_WHEN_HELP
    )

    class Meta:
        model = Question
        fields = [
            "position",
            "key",
            "kind",
            "prompt",
            "help_text",
            "is_required",
            "max_length",
            "show_when_question",
            "show_when_values",
        ]
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 2, "cols": 80, "dir": "auto"}),
            "help_text": forms.Textarea(attrs={"rows": 2, "cols": 80, "dir": "auto"}),
        }

    def version(self) -> SurveyVersion | None:
        return self.instance.version if self.instance.version_id else None


class QuestionRowForm(forms.ModelForm):
    """A question as one row of its version's page; the rest is on its own page."""

    class Meta:
        model = Question
        fields = ["position", "key", "kind", "prompt", "is_required", "max_length"]
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 2, "cols": 50, "dir": "auto"}),
            "max_length": forms.NumberInput(attrs={"style": "width: 6em"}),
            "position": forms.NumberInput(attrs={"style": "width: 4em"}),
        }


# Far above any real position, so rows can pass through it while being reordered.
_REORDER_OFFSET = 10000


class QuestionFormSet(forms.BaseInlineFormSet):
    """A version's questions, which can be reordered and removed in one save."""

    def clean(self) -> None:
        super().clean()
        removed = [form.instance for form in self.deleted_forms if form.instance.pk]
        dependants = Question.objects.filter(show_when_question__in=removed).exclude(
            pk__in=[question.pk for question in removed]
        )
        for dependant in dependants:
            raise ValidationError(
                f"Question “{dependant.key}” is shown depending on "
                f"“{dependant.show_when_question.key}”, which you are removing. "
                "Change or clear its “show when” first."
            )

    def save(self, commit: bool = True):
        # Each position is unique within a version and rows are saved one at a
        # time, so swapping two questions would collide halfway: move the rows
        # that change or go out of the way first.
        moving = [
            form.instance.pk
            for form in self.initial_forms
            if form in self.deleted_forms or "position" in form.changed_data
        ]
        if commit and moving:
            Question.objects.filter(pk__in=moving).update(
                position=F("position") + _REORDER_OFFSET
            )
        return super().save(commit)


class LanguageForm(forms.ModelForm):
    """A translation row: the language is one of the city's ten, text in its direction."""

    language = forms.ChoiceField(choices=[("", "---------"), *TRANSLATED_LANGUAGES])


class VersionTranslationForm(LanguageForm):
    class Meta:
        model = SurveyVersionTranslation
        fields = ["language", "title", "introduction"]
        widgets = {
            "title": forms.TextInput(attrs={"size": 40, "dir": "auto"}),
            "introduction": forms.Textarea(
                attrs={"rows": 2, "cols": 60, "dir": "auto"}
            ),
        }


class QuestionTranslationForm(LanguageForm):
    class Meta:
        model = QuestionTranslation
        fields = ["language", "prompt", "help_text"]
        widgets = {
            "prompt": forms.Textarea(attrs={"rows": 2, "cols": 60, "dir": "auto"}),
            "help_text": forms.Textarea(attrs={"rows": 2, "cols": 60, "dir": "auto"}),
        }


def label_field_name(language: str) -> str:
    return f"label_{language.replace('-', '_')}"


class _ChoiceFormBase(forms.ModelForm):
    """A choice with its label in English and, on the same form, every translation."""

    class Meta:
        model = Choice
        fields = ["position", "value", "label"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            for translation in self.instance.translations.all():
                name = label_field_name(translation.language)
                if name in self.fields:
                    self.initial.setdefault(name, translation.label)

    def save_translations(self) -> None:
        """Store the translated labels; an emptied label removes that translation."""
        for code, _ in TRANSLATED_LANGUAGES:
            label = self.cleaned_data.get(label_field_name(code), "").strip()
            if label:
                ChoiceTranslation.objects.update_or_create(
                    choice=self.instance, language=code, defaults={"label": label}
                )
            else:
                ChoiceTranslation.objects.filter(
                    choice=self.instance, language=code
                ).delete()


# The translated labels must be declared on the class for admin to accept them
# in an inline's fieldsets.
ChoiceForm = type(
    "ChoiceForm",
    (_ChoiceFormBase,),
    {
        label_field_name(code): forms.CharField(
            label=name,
            max_length=200,
            required=False,
            widget=forms.TextInput(attrs={"size": 40, "lang": code, "dir": "auto"}),
        )
        for code, name in TRANSLATED_LANGUAGES
    },
)


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What needs to change",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="The editors see this on the version's page.",
    )
