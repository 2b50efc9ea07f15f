from django import forms
from django.conf import settings

from resolutions.models import DescriptionVersion, ResolutionDescription

TRANSLATED_LANGUAGES = [
    (code, name) for code, name in settings.LANGUAGES if code != "en"
]


class DescriptionForm(forms.ModelForm):
    """A description's own fields; its complaint types are its agency's only."""

    class Meta:
        model = ResolutionDescription
        fields = ["agency", "title", "outcome", "complaint_types"]

    def clean_complaint_types(self):
        complaint_types = self.cleaned_data["complaint_types"]
        agency = (
            self.instance.agency
            if self.instance.pk
            else self.cleaned_data.get("agency")
        )
        if agency is None:
            return complaint_types
        foreign = [c for c in complaint_types if c.agency_id != agency.pk]
        if foreign:
            raise forms.ValidationError(
                "A description covers its own agency's complaint types only; "
                "%(names)s belong to another agency.",
                params={
                    "names": ", ".join(f"{c.name} ({c.agency_id})" for c in foreign)
                },
            )
        return complaint_types


class DraftForm(forms.Form):
    """The editor of a working version: English texts and every translation."""

    revision = forms.IntegerField(widget=forms.HiddenInput)
    text = forms.CharField(
        label="Text for the web page and email",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 80}),
        required=False,
        help_text=(
            "Say what your agency did and what the resident can do next, in plain "
            "words. You can use {agency_name}, {closed_date}, {address}, "
            "{complaint_type} and {request_number}."
        ),
    )
    sms_text = forms.CharField(
        label="Text for SMS",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        required=False,
        help_text="Keep it within two SMS segments; the survey link is added after it.",
    )
    change_note = forms.CharField(
        label="What changed and why",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        required=False,
        help_text="For the reviewer and for whoever edits this next.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for code, name in TRANSLATED_LANGUAGES:
            direction = "rtl" if code in settings.LANGUAGES_BIDI else "ltr"
            attrs = {"lang": code, "dir": direction, "cols": 80}
            self.fields[f"text_{code}"] = forms.CharField(
                label=f"{name}: web and email",
                required=False,
                widget=forms.Textarea(attrs={**attrs, "rows": 4}),
            )
            self.fields[f"sms_{code}"] = forms.CharField(
                label=f"{name}: SMS",
                required=False,
                widget=forms.Textarea(attrs={**attrs, "rows": 2}),
            )

    @classmethod
    def initial_for(cls, version: DescriptionVersion) -> dict:
        initial = {
            "revision": version.revision,
            "text": version.text,
            "sms_text": version.sms_text,
            "change_note": version.change_note,
        }
        for translation in version.translations.all():
            initial[f"text_{translation.language}"] = translation.text
            initial[f"sms_{translation.language}"] = translation.sms_text
        return initial

    def translations(self) -> dict[str, tuple[str, str]]:
        return {
            code: (self.cleaned_data[f"text_{code}"], self.cleaned_data[f"sms_{code}"])
            for code, _ in TRANSLATED_LANGUAGES
        }

    def translation_fields(self):
        for code, name in TRANSLATED_LANGUAGES:
            yield name, self[f"text_{code}"], self[f"sms_{code}"]


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="What needs to change",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="The author sees this beside the draft.",
    )


class GroupLegacyTextsForm(forms.Form):
    description = forms.ModelChoiceField(
        queryset=ResolutionDescription.objects.none(),
        label="Put the selected texts under",
        help_text=(
            "Requests imported with these texts, and every later import of them, will "
            "use this description's published plain-language version."
        ),
    )

    def __init__(self, *args, descriptions, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["description"].queryset = descriptions
