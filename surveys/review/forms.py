"""Forms of the review queue and case pages."""

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import BigIntegerField, Q

from agencies.models import Agency, ComplaintType, ServiceRequest, StaffMembership
from agencies.roles import agency_code_of, scope_to_user, sees_all_agencies
from resolutions.models import ResolutionDescription
from surveys.models import ReviewCase
from surveys.review.services import STAFF_RESOLUTIONS, eligible_assignees

AGE_CHOICES = [
    ("", "Any age"),
    ("2", "Opened over 2 days ago"),
    ("5", "Opened over 5 days ago"),
    ("10", "Opened over 10 days ago"),
    ("30", "Opened over 30 days ago"),
]
STATUS_CHOICES = [
    ("open", "Open"),
    ("closed", "Closed"),
    ("all", "Open and closed"),
]


def _username(user) -> str:
    return user.get_username()


def people_for(user):
    """Whom the queue can be filtered by: the user's agency's supervisors and the
    city administrators, who may hold its cases; everyone who works cases for
    city-wide staff."""
    role = StaffMembership.Role
    supervisors = Q(membership__role=role.SUPERVISOR)
    if not sees_all_agencies(user):
        supervisors &= Q(membership__agency_id=agency_code_of(user))
    return (
        get_user_model()
        .objects.filter(supervisors | Q(membership__role=role.CITY_ADMIN))
        .filter(is_active=True)
        .order_by("username")
    )


def assignees_for(user):
    """Whom the user may give the ticked cases: their agency's supervisors; every
    supervisor, and themselves, for a city administrator. Each case is checked
    again against its own agency (surveys.review.services.assign_case)."""
    if not sees_all_agencies(user):
        return eligible_assignees(agency_id=agency_code_of(user), actor=user)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(membership__role=StaffMembership.Role.SUPERVISOR) | Q(pk=user.pk))
        .order_by("username")
    )


class AssigneeField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return _username(obj)


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; bad values are ignored."""

    request_number = forms.IntegerField(
        required=False, min_value=1, label="Request number"
    )
    status = forms.ChoiceField(required=False, choices=STATUS_CHOICES)
    agency = forms.ModelChoiceField(
        required=False, queryset=Agency.objects.none(), empty_label="All agencies"
    )
    complaint_type = forms.ModelChoiceField(
        required=False,
        queryset=ComplaintType.objects.none(),
        empty_label="All complaint types",
    )
    borough = forms.ChoiceField(
        required=False,
        choices=[("", "All boroughs"), *ServiceRequest.Borough.choices],
    )
    outcome = forms.ChoiceField(
        required=False,
        label="Outcome told",
        choices=[("", "Any outcome"), *ResolutionDescription.Outcome.choices],
    )
    resolution = forms.ChoiceField(
        required=False,
        label="Closed as",
        choices=[("", "Any"), *ReviewCase.Resolution.choices],
    )
    assignee = forms.ChoiceField(required=False, label="Assigned to")
    older_than_days = forms.TypedChoiceField(
        required=False,
        label="Age",
        choices=AGE_CHOICES,
        coerce=int,
        empty_value=None,
    )
    overdue = forms.BooleanField(required=False, label="Overdue only")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.sees_all = sees_all_agencies(user)
        if self.sees_all:
            self.fields["agency"].queryset = Agency.objects.all()
        else:
            del self.fields["agency"]
        # Only the complaint types of the viewer's agency; all for city-wide staff.
        self.fields["complaint_type"].queryset = scope_to_user(
            ComplaintType.objects.all(), user
        ).select_related("agency")
        self.fields["assignee"].choices = [
            ("", "Anyone"),
            ("me", "Me"),
            ("none", "Nobody"),
            *((str(person.pk), _username(person)) for person in people_for(user)),
        ]

    def values(self) -> dict:
        """The valid filters; a filter with a bad value is left out."""
        if self.is_bound:
            self.is_valid()
        return {
            name: value
            for name, value in getattr(self, "cleaned_data", {}).items()
            if value not in (None, "", False)
        }


class AssignForm(forms.Form):
    assignee = AssigneeField(
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody",
        label="Assign to",
    )

    def __init__(self, *args, agency_id: str | None, actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = eligible_assignees(
            agency_id=agency_id, actor=actor
        )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Internal note",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        help_text="Only staff read notes; residents never see them.",
    )


class CloseForm(forms.Form):
    resolution = forms.ChoiceField(
        label="What was done",
        choices=[
            choice
            for choice in ReviewCase.Resolution.choices
            if choice[0] in STAFF_RESOLUTIONS
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Details",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text='Required for "No action possible": say why.',
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("resolution") == ReviewCase.Resolution.NO_ACTION_POSSIBLE
            and not (cleaned.get("note") or "").strip()
        ):
            self.add_error("note", "Say why no action is possible.")
        return cleaned


# Far more than a queue page ticks; a post beyond it was not made from the queue.
MAX_TICKED = 1000


class CaseIdsField(forms.Field):
    """The ticked case ids. Which of them the user may assign is decided by
    surveys.review.selectors.selected_cases, so one case of another agency or one
    closed meanwhile does not refuse the rest."""

    widget = forms.MultipleHiddenInput
    default_error_messages = {"invalid": "Choose cases from the queue."}

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        if not isinstance(value, list | tuple) or len(value) > MAX_TICKED:
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        try:
            ids = {int(item) for item in value}
        except (TypeError, ValueError):
            raise forms.ValidationError(
                self.error_messages["invalid"], "invalid"
            ) from None
        # Beyond the id column's range the database would fail, not answer.
        if not all(0 < pk <= BigIntegerField.MAX_BIGINT for pk in ids):
            raise forms.ValidationError(self.error_messages["invalid"], "invalid")
        return sorted(ids)


class BulkAssignForm(forms.Form):
    cases = CaseIdsField(label="Cases")
    assignee = AssigneeField(
        queryset=get_user_model().objects.none(),
        empty_label="Choose a person",
        label="Assign selected to",
    )

    def __init__(self, *args, user, **kwargs):
        # The queue's filters have an "assignee" too: ids must differ on the page.
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees_for(user)
