"""Admin for surveys: editing and reviewing versions, and the records of who was asked.

Survey versions are edited here but every edit and change of status goes through
surveys.versioning. Invitations, messages, responses, contacts and opt-outs are
records: nobody changes them by hand, and agency staff see only their agency's.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from agencies.admin import AgencyScopedAdminMixin, ReadOnlyAdminMixin
from agencies.models import Agency
from agencies.roles import scope_to_user
from config.numbers import stored_number
from surveys import versioning
from surveys.addresses import address_digest
from surveys.admin_forms import (
    ChoiceForm,
    QuestionForm,
    QuestionFormSet,
    QuestionRowForm,
    QuestionTranslationForm,
    ReturnForm,
    SurveyVersionForm,
    VersionTranslationForm,
    label_field_name,
)
from surveys.contacts import ContactError
from surveys.masking import (
    can_see_contact_details,
    mask_email,
    mask_phone,
    redact_addresses,
)
from surveys.models import (
    Answer,
    Choice,
    Contact,
    ContactDeletion,
    Invitation,
    Message,
    OptOut,
    Question,
    QuestionTranslation,
    Response,
    Survey,
    SurveyTransition,
    SurveyVersion,
    SurveyVersionTranslation,
)
from surveys.preview import preview_version
from surveys.publication.redaction import redact_comment
from surveys.retention import (
    check_identifiers,
    contacts_with_number,
    forget_contact,
    forget_resident,
    is_possible_number,
)

Status = SurveyVersion.Status

# Admin rows of the records carry whether the viewer may see contact details, so
# display methods (which get no request) can mask.
SHOWS_DETAILS = "shows_contact_details"


def _with_detail_visibility(queryset, request: HttpRequest):
    return queryset.annotate(
        **{
            SHOWS_DETAILS: Value(
                can_see_contact_details(request.user), output_field=BooleanField()
            )
        }
    )


def _admin_url(obj, view: str = "change") -> str:
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk])


def _request_link(service_request_id: int | None) -> str:
    if service_request_id is None:
        return ""
    url = reverse("admin:agencies_servicerequest_change", args=[service_request_id])
    return format_html('<a href="{}">{}</a>', url, service_request_id)


# --- Filters -------------------------------------------------------------------------


def agency_filter(field_path: str) -> type[admin.SimpleListFilter]:
    """Filter by agency, offering only the agencies the viewer may see."""

    class AgencyFilter(admin.SimpleListFilter):
        title = "agency"
        parameter_name = "agency"

        def lookups(self, request, model_admin):
            agencies = scope_to_user(Agency.objects.all(), request.user, "code")
            return [(agency.code, agency.code) for agency in agencies.order_by("code")]

        def queryset(self, request, queryset):
            if self.value():
                return queryset.filter(**{field_path: self.value()})
            return queryset

    return AgencyFilter


class LanguageFilter(admin.SimpleListFilter):
    title = "language"
    parameter_name = "language"

    def lookups(self, request, model_admin):
        return settings.LANGUAGES

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


class SurveyVersionFilter(admin.SimpleListFilter):
    title = "survey version"
    parameter_name = "version"

    def lookups(self, request, model_admin):
        versions = SurveyVersion.objects.select_related("survey").exclude(
            status__in=SurveyVersion.WORKING_STATUSES
        )
        return [(str(v.pk), f"{v.survey.name} v{v.number}") for v in versions]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        if (version_id := stored_number(self.value())) is None:
            return queryset.none()
        return queryset.filter(survey_version_id=version_id)


class CompletenessFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "complete"

    def lookups(self, request, model_admin):
        return [
            ("yes", "Complete"),
            ("no", "Only the first question (SMS reply)"),
        ]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(is_complete=self.value() == "yes")
        return queryset


# --- Survey definitions --------------------------------------------------------------


class EditableWhileWorkingMixin:
    """An inline of a survey version that can be changed only while it is editable."""

    def _editable(self, request, obj) -> bool:
        version = obj.version if isinstance(obj, Question) else obj
        return version is not None and version.is_editable

    def has_add_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_change_permission(
            request, obj
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._editable(request, obj) and super().has_delete_permission(
            request, obj
        )


class VersionTranslationInline(EditableWhileWorkingMixin, admin.TabularInline):
    model = SurveyVersionTranslation
    form = VersionTranslationForm
    extra = 0
    ordering = ["language"]
    max_num = len(versioning.TRANSLATED_LANGUAGES)
    verbose_name = "translation of the title and introduction"
    verbose_name_plural = "translations of the title and introduction"

    def get_queryset(self, request):
        # Each row is titled with its version's name.
        return super().get_queryset(request).select_related("version__survey")


class QuestionInline(EditableWhileWorkingMixin, admin.TabularInline):
    model = Question
    form = QuestionRowForm
    formset = QuestionFormSet
    fields = [
        "position",
        "key",
        "kind",
        "prompt",
        "is_required",
        "max_length",
        "details",
    ]
    readonly_fields = ["details"]
    extra = 0
    show_change_link = False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                translation_count=Count("translations", distinct=True),
                choice_count=Count("choices", distinct=True),
            )
        )

    @admin.display(description="choices, condition, translations")
    def details(self, question: Question) -> str:
        if question.pk is None:
            return "Save first, then add choices and translations."
        parts = []
        if question.kind in (Question.Kind.SINGLE, Question.Kind.MULTIPLE):
            parts.append(f"{getattr(question, 'choice_count', 0)} choices")
        if question.show_when_question_id:
            parts.append("conditional")
        parts.append(
            f"{getattr(question, 'translation_count', 0)} of "
            f"{len(versioning.TRANSLATED_LANGUAGES)} translations"
        )
        return format_html(
            '<a href="{}">{}</a>', _admin_url(question), ", ".join(parts)
        )


class VersionEditMixin:
    """Saves of a version's contents go through versioning.record_survey_edit.

    The whole admin save is one transaction; the edit is recorded before the
    inlines are saved and refused if the version stopped being editable, which
    rolls everything back.
    """

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except versioning.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def _describe(self, form, formsets) -> str:
        parts = [
            str(form.fields[name].label or name).lower() for name in form.changed_data
        ]
        parts += [
            str(formset.model._meta.verbose_name_plural)
            for formset in formsets
            if formset.has_changed()
        ]
        return "Edited " + (", ".join(parts) if parts else "nothing")

    def _version_of(self, obj) -> SurveyVersion:
        raise NotImplementedError

    def save_related(self, request, form, formsets, change) -> None:
        version = self._version_of(form.instance)
        unchanged = not form.changed_data and not any(
            formset.has_changed() for formset in formsets
        )
        # A save that changes nothing records nothing: the editor does not join
        # the authors barred from approving, nor make others' open forms stale.
        if not (change and unchanged):
            versioning.record_survey_edit(
                version=version,
                editor=request.user,
                change=self._describe(form, formsets),
                expected_revision=form.cleaned_data.get("loaded_revision"),
            )
        super().save_related(request, form, formsets, change)


@admin.register(SurveyVersion)
class SurveyVersionAdmin(VersionEditMixin, admin.ModelAdmin):
    list_display = [
        "survey",
        "number",
        "status",
        "author",
        "reviewed_by",
        "submitted_at",
        "published_at",
    ]
    form = SurveyVersionForm
    list_filter = ["status", "survey"]
    list_select_related = ["survey", "author", "reviewed_by"]
    fields = [
        "survey",
        "number",
        "status",
        "title",
        "introduction",
        "change_note",
        "loaded_revision",
        "author",
        "reviewed_by",
        "created_at",
        "submitted_at",
        "published_at",
        "retired_at",
    ]
    readonly_fields = [
        "survey",
        "number",
        "status",
        "author",
        "reviewed_by",
        "created_at",
        "submitted_at",
        "published_at",
        "retired_at",
    ]
    inlines = [VersionTranslationInline, QuestionInline]
    change_form_template = "admin/surveys/surveyversion_change_form.html"

    def has_add_permission(self, request) -> bool:
        # A draft is started from the survey's page, copying the published version.
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or obj.is_editable
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        # Versions are append-only; responses point at published ones.
        return False

    def _version_of(self, obj) -> SurveyVersion:
        return obj

    def save_model(self, request, obj, form, change) -> None:
        # Status and dates belong to versioning; only the texts are saved here.
        obj.save(update_fields=["title", "introduction", "change_note"])

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/submit/",
                wrap(self.submit_view),
                name=f"{name}_submit",
            ),
            path(
                "<path:object_id>/review/",
                wrap(self.review_view),
                name=f"{name}_review",
            ),
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name=f"{name}_preview",
            ),
            *super().get_urls(),
        ]

    def _version(self, request: HttpRequest, object_id: str) -> SurveyVersion:
        version = self.get_object(request, object_id)
        if version is None or not self.has_view_or_change_permission(request, version):
            raise PermissionDenied
        return version

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if version is not None:
            extra_context.update(
                version=version,
                problems=versioning.survey_version_problems(version)
                if version.is_editable
                else [],
                gaps=versioning.missing_translations(version),
                transitions=version.transitions.select_related("actor"),
                can_submit=version.is_editable
                and request.user.has_perm("surveys.submit_surveyversion"),
                submit_url=_admin_url(version, "submit"),
                review_url=_admin_url(version, "review"),
                preview_url=_admin_url(version, "preview"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def submit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        version = self._version(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(_admin_url(version))
        try:
            versioning.submit_survey_version(version=version, actor=request.user)
        except versioning.SubmissionBlocked as blocked:
            self.message_user(
                request,
                "Not submitted. Fix these first: " + " ".join(blocked.problems),
                messages.ERROR,
            )
            return HttpResponseRedirect(_admin_url(version))
        except versioning.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(_admin_url(version))
        self.message_user(
            request,
            f"Version {version.number} was sent for review.",
            messages.SUCCESS,
        )
        return HttpResponseRedirect(_admin_url(version, "review"))

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Check a submitted version against the published one; publish or return it."""
        version = self._version(request, object_id)
        return_form = ReturnForm(request.POST if "return" in request.POST else None)

        if request.method == "POST":
            try:
                if "publish" in request.POST:
                    versioning.publish_survey_version(
                        version=version, reviewer=request.user
                    )
                    self.message_user(
                        request,
                        f"Version {version.number} is published; invitations made "
                        "from now on use it.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(_admin_url(version.survey))
                if return_form.is_valid():
                    versioning.return_survey_version(
                        version=version,
                        reviewer=request.user,
                        comment=return_form.cleaned_data["comment"],
                    )
                    self.message_user(
                        request,
                        f"Version {version.number} was returned to its editors.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(_admin_url(version.survey))
            except versioning.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(_admin_url(version, "review"))

        published = version.survey.published_version
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review {version}",
            "version": version,
            "published": published if published != version else None,
            "comparison": _compare(published, version),
            "problems": versioning.survey_version_problems(version),
            "gaps": versioning.missing_translations(version),
            "transitions": version.transitions.select_related("actor"),
            "return_form": return_form,
            "can_review": request.user.has_perm("surveys.review_surveyversion"),
            "is_own": versioning.has_worked_on(version, request.user),
            "preview_url": _admin_url(version, "preview"),
            "change_url": _admin_url(version),
        }
        return TemplateResponse(request, "admin/surveys/review.html", context)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as residents of one language will read it."""
        version = self._version(request, object_id)
        languages = dict(settings.LANGUAGES)
        language = request.GET.get("language", "en")
        if language not in languages:
            language = "en"
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview {version}",
            "version": version,
            "survey": preview_version(version, language),
            "language": language,
            "language_name": languages[language],
            "languages": settings.LANGUAGES,
            "is_rtl": language in settings.LANGUAGES_BIDI,
            "change_url": _admin_url(version),
        }
        return TemplateResponse(request, "admin/surveys/preview.html", context)


def _with_conditions(questions):
    return questions.select_related("show_when_question").prefetch_related("choices")


def _compare(
    published: SurveyVersion | None, version: SurveyVersion
) -> list[tuple[str, str]]:
    """Each question key with what changed since the published version."""
    if published is None or published == version:
        return []
    old = {q.key: q for q in _with_conditions(published.questions)}
    new = {q.key: q for q in _with_conditions(version.questions)}

    def shape(question: Question) -> tuple:
        return (
            question.kind,
            question.prompt,
            question.help_text,
            question.is_required,
            question.max_length,
            question.show_when_question.key if question.show_when_question else None,
            question.show_when_values,
            [(c.value, c.label) for c in question.choices.all()],
        )

    rows = []
    for key, question in new.items():
        if key not in old:
            rows.append((key, "new question"))
        elif shape(old[key]) != shape(question):
            rows.append((key, "changed"))
        elif old[key].position != question.position:
            rows.append((key, "moved"))
    rows += [(key, "removed") for key in old if key not in new]
    if (published.title, published.introduction) != (
        version.title,
        version.introduction,
    ):
        rows.insert(0, ("title and introduction", "changed"))
    return rows


class ChoiceInline(EditableWhileWorkingMixin, admin.StackedInline):
    model = Choice
    form = ChoiceForm
    extra = 0
    fieldsets = [
        (None, {"fields": [("position", "value"), "label"]}),
        (
            "Label in other languages",
            {
                "classes": ["collapse"],
                "fields": [
                    label_field_name(code)
                    for code, _ in versioning.TRANSLATED_LANGUAGES
                ],
            },
        ),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("translations")


class QuestionTranslationInline(EditableWhileWorkingMixin, admin.TabularInline):
    model = QuestionTranslation
    form = QuestionTranslationForm
    extra = 0
    ordering = ["language"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question")

    max_num = len(versioning.TRANSLATED_LANGUAGES)


@admin.register(Question)
class QuestionAdmin(VersionEditMixin, admin.ModelAdmin):
    """A question's own page: its choices, condition and translations."""

    form = QuestionForm
    list_display = ["key", "version", "position", "kind"]
    list_select_related = ["version__survey"]
    fields = [
        "version",
        "position",
        "key",
        "kind",
        "prompt",
        "help_text",
        "is_required",
        "max_length",
        "show_when_question",
        "show_when_values",
        "loaded_revision",
    ]
    readonly_fields = ["version"]
    inlines = [ChoiceInline, QuestionTranslationInline]
    change_form_template = "admin/surveys/question_change_form.html"

    def get_model_perms(self, request):
        # Reached from its version's page, not from the admin index.
        return {}

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__survey")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or obj.version.is_editable
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is not None and obj.version.is_editable
        )

    def _version_of(self, obj) -> SurveyVersion:
        return obj.version

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if obj is not None and "show_when_question" in form.base_fields:
            field = form.base_fields["show_when_question"]
            field.queryset = Question.objects.filter(
                version=obj.version, position__lt=obj.position
            ).order_by("position")
            field.label_from_instance = lambda q: f"{q.position}. {q.prompt[:70]}"
            if obj.show_when_question is not None:
                allowed = versioning.allowed_answer_values(obj.show_when_question)
                form.base_fields["show_when_values"].help_text = (
                    f"Separate answers with commas. Answers of question "
                    f"{obj.show_when_question.position}: {', '.join(allowed)}."
                )
        return form

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Choice:
            for choice_form in formset.forms:
                if (
                    choice_form.instance.pk
                    and choice_form.has_changed()
                    and choice_form not in formset.deleted_forms
                ):
                    choice_form.save_translations()

    def delete_model(self, request, obj) -> None:
        versioning.record_survey_edit(
            version=obj.version,
            editor=request.user,
            change=f"Removed question “{obj.key}”",
        )
        super().delete_model(request, obj)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        question = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if question is not None:
            extra_context["version_url"] = _admin_url(question.version)
            extra_context["version"] = question.version
        return super().change_view(request, object_id, form_url, extra_context)


def _published_number():
    return Subquery(
        SurveyVersion.objects.filter(survey=OuterRef("pk"), status=Status.PUBLISHED)
        .order_by()
        .values("number")[:1],
        output_field=IntegerField(),
    )


def _working_status():
    return Subquery(
        SurveyVersion.objects.filter(
            survey=OuterRef("pk"), status__in=SurveyVersion.WORKING_STATUSES
        )
        .order_by()
        .values("status")[:1]
    )


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["name", "is_default", "published", "being_edited"]
    fields = ["name", "is_default"]
    readonly_fields = ["is_default"]
    change_form_template = "admin/surveys/survey_change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                published_number=_published_number(), working_status=_working_status()
            )
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="published version")
    def published(self, survey: Survey) -> str:
        return f"v{survey.published_number}" if survey.published_number else "none"

    @admin.display(description="being edited")
    def being_edited(self, survey: Survey) -> str:
        if not survey.working_status:
            return ""
        return Status(survey.working_status).label

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/draft/",
                self.admin_site.admin_view(self.draft_view),
                name=f"{name}_draft",
            ),
            *super().get_urls(),
        ]

    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Open the working version, starting one from the published version if none."""
        survey = self.get_object(request, object_id)
        if survey is None:
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(_admin_url(survey))
        try:
            draft = versioning.start_survey_draft(survey=survey, author=request.user)
        except versioning.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(_admin_url(survey))
        return HttpResponseRedirect(_admin_url(draft))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        survey = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if survey is not None:
            versions = list(
                survey.versions.select_related("author", "reviewed_by").annotate(
                    response_count=Count("responses")
                )
            )
            extra_context.update(
                versions=versions,
                working=next(
                    (v for v in versions if v.status in SurveyVersion.WORKING_STATUSES),
                    None,
                ),
                published=next(
                    (v for v in versions if v.status == Status.PUBLISHED), None
                ),
                transitions=SurveyTransition.objects.filter(
                    version__survey=survey
                ).select_related("version", "actor"),
                draft_url=_admin_url(survey, "draft"),
                can_edit=request.user.has_perm("surveys.change_surveyversion"),
                can_review=request.user.has_perm("surveys.review_surveyversion"),
            )
        return super().change_view(request, object_id, form_url, extra_context)


# --- Records: who was asked, what they were sent, what they answered -----------------


class ContactDetailsMixin:
    """Shows a row's contact details in full only to staff who may call residents."""

    def _contact_text(self, obj, value: str, mask) -> str:
        return value if getattr(obj, SHOWS_DETAILS, False) else mask(value)

    def _redacted(self, obj, text: str) -> str:
        return text if getattr(obj, SHOWS_DETAILS, False) else redact_addresses(text)


class MessageInline(ContactDetailsMixin, ReadOnlyAdminMixin, admin.StackedInline):
    model = Message
    extra = 0
    fields = [
        ("purpose", "status"),
        ("send_after", "sent_at", "delivered_at"),
        ("attempts", "provider_message_id"),
        "error_shown",
        "subject",
        "body_sent",
    ]
    readonly_fields = [
        "purpose",
        "status",
        "send_after",
        "sent_at",
        "delivered_at",
        "attempts",
        "provider_message_id",
        "error_shown",
        "subject",
        "body_sent",
    ]

    def get_queryset(self, request):
        return _with_detail_visibility(super().get_queryset(request), request)

    @admin.display(description="error")
    def error_shown(self, message: Message) -> str:
        return self._redacted(message, message.error)

    @admin.display(description="text that was sent")
    def body_sent(self, message: Message) -> str:
        return format_html('<div class="sent-body">{}</div>', message.body)


class RecordAdmin(
    ContactDetailsMixin, AgencyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    """A read-only list of one agency's survey records."""

    show_full_result_count = False
    list_per_page = 50

    def get_queryset(self, request):
        return _with_detail_visibility(super().get_queryset(request), request)

    def get_search_results(self, request, queryset, search_term):
        """A request number finds its records; nothing else is searched."""
        if not search_term.strip():
            return queryset, False
        if (number := stored_number(search_term)) is not None:
            return queryset.filter(**{self.request_field: number}), False
        return queryset.none(), False

    @admin.display(description="service request", ordering="service_request_id")
    def request_link(self, obj) -> str:
        return _request_link(obj.service_request_id)


@admin.register(Invitation)
class InvitationAdmin(RecordAdmin):
    agency_field = "service_request__agency"
    request_field = "service_request_id"
    list_display = [
        "request_link",
        "agency",
        "channel",
        "status",
        "skip_reason",
        "language",
        "recipient",
        "created_at",
        "sent_at",
        "answered_at",
        "is_simulated",
    ]
    list_filter = [
        "status",
        "channel",
        agency_filter("service_request__agency"),
        LanguageFilter,
        "skip_reason",
        "is_simulated",
    ]
    search_fields = ["service_request__unique_key"]
    search_help_text = "A service request number."
    date_hierarchy = "created_at"
    fields = [
        "request_link",
        "channel",
        "status",
        "skip_reason",
        "notes_shown",
        "language",
        "recipient",
        "survey_version_link",
        "response_link",
        "is_simulated",
        "closed_at",
        "created_at",
        "sent_at",
        "expires_at",
        "answered_at",
    ]
    readonly_fields = fields
    inlines = [MessageInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("service_request", "contact", "survey_version__survey")
        )

    @admin.display(description="agency", ordering="service_request__agency")
    def agency(self, invitation: Invitation) -> str:
        return invitation.service_request.agency_id or ""

    @admin.display(description="sent to")
    def recipient(self, invitation: Invitation) -> str:
        contact = invitation.contact
        if contact is None:
            return "(contact details purged)"
        if invitation.channel == "email":
            return self._contact_text(invitation, contact.email, mask_email)
        return self._contact_text(invitation, contact.phone_e164, mask_phone)

    @admin.display(description="notes")
    def notes_shown(self, invitation: Invitation) -> str:
        return self._redacted(invitation, invitation.notes)

    @admin.display(description="survey version")
    def survey_version_link(self, invitation: Invitation) -> str:
        version = invitation.survey_version
        if version is None:
            return ""
        return format_html(
            '<a href="{}">{} v{}</a>',
            _admin_url(version),
            version.survey.name,
            version.number,
        )

    @admin.display(description="response")
    def response_link(self, invitation: Invitation) -> str:
        response = Response.objects.filter(invitation=invitation).first()
        if response is None:
            return "No response"
        return format_html('<a href="{}">{}</a>', _admin_url(response), "See answers")


@admin.register(Message)
class MessageAdmin(RecordAdmin):
    agency_field = "invitation__service_request__agency"
    request_field = "invitation__service_request_id"
    list_display = [
        "invitation_link",
        "channel",
        "purpose",
        "status",
        "send_after",
        "sent_at",
        "provider_message_id",
        "error_shown",
    ]
    list_filter = [
        "status",
        "purpose",
        "invitation__channel",
        agency_filter("invitation__service_request__agency"),
    ]
    list_select_related = ["invitation"]
    search_fields = ["invitation__service_request__unique_key"]
    search_help_text = "A service request number."
    fields = [
        "invitation_link",
        "purpose",
        "status",
        "send_after",
        "claimed_at",
        "attempts",
        "sent_at",
        "delivered_at",
        "provider_message_id",
        "error_shown",
        "subject",
        "body",
        "events",
    ]
    readonly_fields = fields

    @admin.display(description="invitation")
    def invitation_link(self, message: Message) -> str:
        return format_html(
            '<a href="{}">SR {}</a>',
            _admin_url(message.invitation),
            message.invitation.service_request_id,
        )

    @admin.display(description="channel", ordering="invitation__channel")
    def channel(self, message: Message) -> str:
        return message.invitation.get_channel_display()

    @admin.display(description="error")
    def error_shown(self, message: Message) -> str:
        return self._redacted(message, message.error)

    @admin.display(description="provider events")
    def events(self, message: Message) -> str:
        return (
            format_html_join(
                "\n",
                "<div>{} {}: {}</div>",
                (
                    (
                        event.occurred_at,
                        event.event,
                        self._redacted(message, event.description),
                    )
                    for event in message.events.all()
                ),
            )
            or "None"
        )


class AnswerInline(ContactDetailsMixin, ReadOnlyAdminMixin, admin.TabularInline):
    model = Answer
    extra = 0
    fields = ["question_asked", "values", "text_shown"]
    readonly_fields = fields

    def get_queryset(self, request):
        return _with_detail_visibility(
            super()
            .get_queryset(request)
            .select_related("question")
            .order_by("question__position"),
            request,
        )

    @admin.display(description="text")
    def text_shown(self, answer: Answer) -> str:
        # Residents are asked not to, but some type their number, email or home
        # address into comments, in every form open data's redaction knows.
        if getattr(answer, SHOWS_DETAILS, False):
            return answer.text
        return redact_comment(answer.text)

    @admin.display(description="question")
    def question_asked(self, answer: Answer) -> str:
        return f"{answer.question.position}. {answer.question.prompt}"


@admin.register(Response)
class ResponseAdmin(RecordAdmin):
    agency_field = "invitation__service_request__agency"
    request_field = "invitation__service_request_id"
    list_display = [
        "response_request",
        "agency",
        "survey_version_label",
        "channel",
        "language",
        "satisfaction",
        "fixed",
        "wants_reopen",
        "is_complete",
        "is_simulated",
        "submitted_at",
    ]
    list_filter = [
        CompletenessFilter,
        "channel",
        agency_filter("invitation__service_request__agency"),
        LanguageFilter,
        SurveyVersionFilter,
        "is_simulated",
    ]
    list_select_related = ["invitation__service_request", "survey_version__survey"]
    search_fields = ["invitation__service_request__unique_key"]
    search_help_text = "A service request number."
    date_hierarchy = "submitted_at"
    fields = [
        "response_request",
        "invitation_link",
        "survey_version_label",
        "channel",
        "language",
        "satisfaction",
        "fixed",
        "wants_reopen",
        "is_complete",
        "is_simulated",
        "submitted_at",
    ]
    readonly_fields = fields
    inlines = [AnswerInline]

    @admin.display(description="service request")
    def response_request(self, response: Response) -> str:
        return _request_link(response.invitation.service_request_id)

    @admin.display(description="agency")
    def agency(self, response: Response) -> str:
        return response.invitation.service_request.agency_id or ""

    @admin.display(description="invitation")
    def invitation_link(self, response: Response) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            _admin_url(response.invitation),
            response.invitation.get_channel_display(),
        )

    @admin.display(description="survey version", ordering="survey_version")
    def survey_version_label(self, response: Response) -> str:
        version = response.survey_version
        return f"{version.survey.name} v{version.number}"


CONTACT_FIELDS = ("email", "phone_as_given", "phone_e164")
# City administrators: forgetting a resident deletes contacts.
FORGET_PERMISSION = "surveys.delete_contact"


class ForgetResidentForm(forms.Form):
    email = forms.CharField(
        required=False,
        help_text="Every contact with this address, whatever its case, is deleted.",
    )
    phone = forms.CharField(
        required=False,
        help_text="Every contact with this number, in whatever format it was given.",
    )

    def clean(self):
        cleaned = super().clean()
        try:
            check_identifiers(
                email=cleaned.get("email", ""), phone=cleaned.get("phone", "")
            )
        except ContactError as error:
            self.add_error(error.field or None, error.message)
        return cleaned


@admin.register(Contact)
class ContactAdmin(RecordAdmin):
    agency_field = "service_request__agency"
    request_field = "service_request_id"
    list_display = [
        "request_link",
        "email_shown",
        "phone_shown",
        "phone_problem",
        "language",
        "email_consent",
        "sms_consent",
        "is_fake",
    ]
    list_filter = [
        agency_filter("service_request__agency"),
        LanguageFilter,
        "email_consent",
        "sms_consent",
        "phone_problem",
        "is_fake",
    ]
    search_fields = ["service_request__unique_key"]
    fields = [
        "request_link",
        "email_shown",
        "phone_as_given_shown",
        "phone_shown",
        "phone_problem",
        "language",
        "email_consent",
        "sms_consent",
        "is_fake",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_search_help_text(self, request) -> str:
        if can_see_contact_details(request.user):
            return "A service request number, an email address or a phone number."
        return "A service request number."

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term or not can_see_contact_details(request.user):
            return super().get_search_results(request, queryset, search_term)
        # A request number, an email address, or a phone number in any format
        # that reads as the same number, as forgetting a resident takes it.
        found = Q(email__iexact=term) | Q(phone_as_given=term)
        if is_possible_number(term):
            found |= Q(pk__in=contacts_with_number(term))
        if (number := stored_number(term)) is not None:
            found |= Q(**{self.request_field: number})
        return queryset.filter(found), False

    def lookup_allowed(self, lookup, value, request) -> bool:
        # Admin lets a URL filter on any local field; filtering by address would
        # let masked staff find out a resident's email a letter at a time.
        if lookup.split("__")[0] in CONTACT_FIELDS and not can_see_contact_details(
            request.user
        ):
            return False
        return super().lookup_allowed(lookup, value, request)

    actions = ["forget_residents"]
    change_list_template = "admin/surveys/contact_change_list.html"

    def has_forget_permission(self, request) -> bool:
        return request.user.has_perm(FORGET_PERMISSION)

    @admin.action(
        description="Forget these residents (every contact with their email or number)",
        permissions=["forget"],
    )
    def forget_residents(self, request, queryset) -> None:
        deleted = 0
        for contact_id in queryset.values_list("pk", flat=True):
            record = forget_contact(
                contact_id=contact_id,
                requested_by=request.user,
                requested_through="admin",
            )
            # None: already forgotten with an earlier resident of the list.
            if record is not None:
                deleted += record.contacts_deleted
        self.message_user(
            request, f"{deleted} contact(s) deleted; the deletion is recorded."
        )

    def get_urls(self):
        return [
            path(
                "forget/",
                self.admin_site.admin_view(self.forget_view),
                name="surveys_contact_forget",
            ),
            *super().get_urls(),
        ]

    def forget_view(self, request: HttpRequest) -> HttpResponse:
        """Forget a resident by the email address or number they write from."""
        if not self.has_forget_permission(request):
            raise PermissionDenied
        form = ForgetResidentForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            record = forget_resident(
                email=form.cleaned_data["email"],
                phone=form.cleaned_data["phone"],
                requested_by=request.user,
                requested_through="admin",
            )
            self.message_user(
                request,
                f"{record.contacts_deleted} contact(s) deleted; the deletion is "
                "recorded without the address.",
            )
            return HttpResponseRedirect(
                reverse("admin:surveys_contactdeletion_changelist")
            )
        return TemplateResponse(
            request,
            "admin/surveys/forget_resident.html",
            {
                **self.admin_site.each_context(request),
                "title": "Forget a resident",
                "opts": self.model._meta,
                "form": form,
            },
        )

    @admin.display(description="email")
    def email_shown(self, contact: Contact) -> str:
        return self._contact_text(contact, contact.email, mask_email)

    @admin.display(description="mobile number")
    def phone_shown(self, contact: Contact) -> str:
        return self._contact_text(contact, contact.phone_e164, mask_phone)

    @admin.display(description="phone as given")
    def phone_as_given_shown(self, contact: Contact) -> str:
        return self._contact_text(contact, contact.phone_as_given, mask_phone)


@admin.register(OptOut)
class OptOutAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Opt-outs are kept as digests: staff see that one exists, never the address."""

    list_display = [
        "channel",
        "digest_prefix",
        "source",
        "opted_out_at",
        "opted_back_in_at",
        "is_active",
    ]
    list_filter = [
        "channel",
        "source",
        ("opted_back_in_at", admin.EmptyFieldListFilter),
    ]
    fields = ["channel", "digest_prefix", "source", "opted_out_at", "opted_back_in_at"]
    readonly_fields = fields
    search_fields = ["channel"]
    search_help_text = "An email address or a phone number (+1…): is it opted out?"
    show_full_result_count = False

    def get_search_results(self, request, queryset, search_term):
        # The address is hashed like the stored digests and never kept.
        term = search_term.strip()
        if not term:
            return queryset, False
        channel = "email" if "@" in term else "sms"
        return queryset.filter(
            channel=channel, address_digest=address_digest(channel, term)
        ), False

    @admin.display(description="address digest")
    def digest_prefix(self, optout: OptOut) -> str:
        return f"{optout.address_digest[:8]}…"

    @admin.display(description="active", boolean=True)
    def is_active(self, optout: OptOut) -> bool:
        return optout.is_active


@admin.register(ContactDeletion)
class ContactDeletionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Deletions of contact details: when, why, by whom, how many; never whose."""

    list_display = [
        "deleted_at",
        "reason",
        "contacts_deleted",
        "answers_redacted",
        "channels",
        "requested_by",
        "requested_through",
    ]
    list_filter = ["reason"]
    fields = list_display
    readonly_fields = fields

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm(FORGET_PERMISSION)

    def has_module_permission(self, request) -> bool:
        return request.user.has_perm(
            FORGET_PERMISSION
        ) or super().has_module_permission(request)


# Open data: comment review and releases.
from surveys.publication import admin as publication_admin  # noqa: E402, F401
