from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from agencies.admin import AgencyScopedAdminMixin, ReadOnlyAdminMixin, count_of
from agencies.models import ServiceRequest
from agencies.roles import scope_to_user
from config.numbers import stored_number
from resolutions import plain_language, services
from resolutions.diff import word_diff
from resolutions.forms import (
    TRANSLATED_LANGUAGES,
    DescriptionForm,
    DraftForm,
    GroupLegacyTextsForm,
    ReturnForm,
)
from resolutions.models import (
    DescriptionTransition,
    DescriptionVersion,
    LegacyText,
    ResolutionDescription,
)
from resolutions.rendering import resident_text, sample_request_for

Status = DescriptionVersion.Status


def _translation_count():
    counted = (
        DescriptionVersion.objects.filter(
            description=OuterRef("pk"), status=Status.PUBLISHED
        )
        .annotate(total=Count("translations"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class LegacyTextInline(admin.TabularInline):
    model = LegacyText
    fields = ["text"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "legacy NYC text"
    verbose_name_plural = "legacy NYC texts this description replaces"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ResolutionDescription)
class ResolutionDescriptionAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    list_display = [
        "title",
        "agency",
        "outcome",
        "state",
        "translations",
        "request_count",
    ]
    list_filter = ["agency", "outcome", "is_example"]
    search_fields = ["title", "legacy_texts__text"]
    list_select_related = ["agency"]
    form = DescriptionForm
    fields = ["agency", "title", "outcome", "complaint_types", "is_example"]
    autocomplete_fields = ["complaint_types"]
    readonly_fields = ["is_example"]
    inlines = [LegacyTextInline]
    change_form_template = "admin/resolutions/description_change_form.html"

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(
                request_count=count_of(ServiceRequest, "resolution_description"),
                translation_count=_translation_count(),
                working_count=Count(
                    "versions",
                    filter=Q(versions__status__in=DescriptionVersion.WORKING_STATUSES),
                ),
            )
        )

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        if obj is None:
            return self.readonly_fields
        fields = [*self.readonly_fields, "agency"]
        # What a description says happened sets review priorities and the
        # dashboards' outcome figures: once it exists, changing it is a
        # reviewer's decision, as publishing its text is.
        if not request.user.has_perm("resolutions.review_descriptionversion"):
            fields.append("outcome")
        return fields

    @admin.display(description="service requests", ordering="request_count")
    def request_count(self, description: ResolutionDescription) -> int:
        return description.request_count

    @admin.display(description="translations", ordering="translation_count")
    def translations(self, description: ResolutionDescription) -> str:
        return f"{description.translation_count} of {len(TRANSLATED_LANGUAGES)}"

    @admin.display(description="being edited")
    def state(self, description: ResolutionDescription) -> str:
        return "draft open" if description.working_count else ""

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        name = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path(
                "<path:object_id>/draft/", wrap(self.draft_view), name=f"{name}_draft"
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

    def _description(
        self, request: HttpRequest, object_id: str
    ) -> ResolutionDescription:
        description = self.get_object(request, object_id)
        if description is None:
            # Another agency's description is indistinguishable from a missing one.
            raise PermissionDenied
        return description

    def _url(self, view: str, description: ResolutionDescription) -> str:
        return reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}",
            args=[description.pk],
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        description = self.get_object(request, object_id)
        extra_context = extra_context or {}
        if description is not None:
            versions = list(
                description.versions.select_related(
                    "author", "reviewed_by"
                ).prefetch_related("translations")
            )
            extra_context.update(
                versions=versions,
                published=next(
                    (v for v in versions if v.status == Status.PUBLISHED), None
                ),
                working=next(
                    (
                        v
                        for v in versions
                        if v.status in DescriptionVersion.WORKING_STATUSES
                    ),
                    None,
                ),
                transitions=DescriptionTransition.objects.filter(
                    version__description=description
                ).select_related("version", "actor"),
                draft_url=self._url("draft", description),
                review_url=self._url("review", description),
                preview_url=self._url("preview", description),
                can_review=request.user.has_perm(
                    "resolutions.review_descriptionversion"
                ),
                can_edit=request.user.has_perm("resolutions.change_descriptionversion"),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def draft_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Edit the working version; saving from a stale form is refused."""
        description = self._description(request, object_id)
        if not request.user.has_perm("resolutions.change_descriptionversion"):
            raise PermissionDenied
        working = description.working_version

        if request.method == "POST" and "start" in request.POST:
            try:
                services.start_draft(description=description, author=request.user)
            except services.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(self._url("draft", description))

        form = None
        findings: list[plain_language.Finding] = []
        if working is not None and request.method == "POST":
            form = DraftForm(request.POST)
            if form.is_valid():
                findings = plain_language.check_version(
                    form.cleaned_data["text"],
                    form.cleaned_data["sms_text"],
                    max_grade=settings.PLAIN_LANGUAGE_MAX_GRADE,
                )
                response = self._save_draft(request, description, working, form)
                if response is not None:
                    return response
        elif working is not None:
            form = DraftForm(initial=DraftForm.initial_for(working))
            findings = plain_language.check_version(
                working.text,
                working.sms_text,
                max_grade=settings.PLAIN_LANGUAGE_MAX_GRADE,
            )

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Edit “{description.title}”",
            "description": description,
            "working": working,
            "published": description.published_version,
            "form": form,
            "findings": findings,
            "sms": plain_language.sms_segments(
                form["sms_text"].value() if form is not None else ""
            )
            if form is not None
            else None,
            "change_url": reverse(
                f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                args=[description.pk],
            ),
            "preview_url": self._url("preview", description),
        }
        return TemplateResponse(request, "admin/resolutions/draft.html", context)

    def _save_draft(self, request, description, working, form) -> HttpResponse | None:
        if "check" in request.POST:
            return None
        try:
            revision = working.revision
            version = services.save_draft(
                version=working,
                editor=request.user,
                expected_revision=form.cleaned_data["revision"],
                text=form.cleaned_data["text"],
                sms_text=form.cleaned_data["sms_text"],
                change_note=form.cleaned_data["change_note"],
                translations=form.translations(),
            )
            if "submit" in request.POST:
                services.submit_version(version=version, actor=request.user)
                self.message_user(
                    request,
                    f"Version {version.number} was sent for review.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(
                    reverse(
                        f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
                        args=[description.pk],
                    )
                )
        except services.StaleEdit as error:
            form.add_error(None, str(error))
            return None
        except services.TransitionError as error:
            self.message_user(request, str(error), messages.ERROR)
            return HttpResponseRedirect(self._url("draft", description))
        if version.revision == revision:
            self.message_user(
                request,
                f"Nothing changed in draft version {version.number}, so nothing was "
                "saved.",
                messages.INFO,
            )
        else:
            self.message_user(
                request, f"Draft version {version.number} saved.", messages.SUCCESS
            )
        return HttpResponseRedirect(self._url("draft", description))

    def review_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Compare the submitted version with the published one; publish or return it."""
        description = self._description(request, object_id)
        submitted = description.versions.filter(status=Status.SUBMITTED).first()
        published = description.published_version
        return_form = ReturnForm(request.POST or None)

        if request.method == "POST" and submitted is not None:
            try:
                if "publish" in request.POST:
                    services.publish_version(version=submitted, reviewer=request.user)
                    self.message_user(
                        request,
                        f"Version {submitted.number} is published; residents get it from now on.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", description))
                if return_form.is_valid():
                    services.return_version(
                        version=submitted,
                        reviewer=request.user,
                        comment=return_form.cleaned_data["comment"],
                    )
                    self.message_user(
                        request,
                        f"Version {submitted.number} was returned.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(self._url("change", description))
            except services.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return HttpResponseRedirect(self._url("review", description))

        comparisons = []
        if submitted is not None:
            comparisons.append(
                (
                    "English: web and email",
                    *word_diff(published.text if published else "", submitted.text),
                )
            )
            comparisons.append(
                (
                    "English: SMS",
                    *word_diff(
                        published.sms_text if published else "", submitted.sms_text
                    ),
                )
            )
            for code, name in TRANSLATED_LANGUAGES:
                old = published.translation(code) if published else None
                new = submitted.translation(code)
                if old or new:
                    comparisons.append(
                        (
                            name,
                            *word_diff(
                                old.text if old else "", new.text if new else ""
                            ),
                        )
                    )

        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Review “{description.title}”",
            "description": description,
            "submitted": submitted,
            "published": published,
            "comparisons": comparisons,
            "findings": plain_language.check_version(
                submitted.text,
                submitted.sms_text,
                max_grade=settings.PLAIN_LANGUAGE_MAX_GRADE,
            )
            if submitted
            else [],
            "return_form": return_form,
            "can_review": request.user.has_perm(
                "resolutions.review_descriptionversion"
            ),
            "is_own": submitted is not None
            and (
                request.user.pk in (submitted.author_id, submitted.last_edited_by_id)
                or submitted.editors.filter(pk=request.user.pk).exists()
            ),
            "change_url": self._url("change", description),
            "preview_url": self._url("preview", description),
        }
        return TemplateResponse(request, "admin/resolutions/review.html", context)

    def preview_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The version as a resident will see it: web page, email and SMS."""
        description = self._description(request, object_id)
        versions = description.versions.prefetch_related("translations")
        version_id = stored_number(request.GET.get("version", ""))
        version = (
            get_object_or_404(versions, pk=version_id)
            if version_id is not None
            else description.working_version or description.published_version
        )
        languages = dict(settings.LANGUAGES)
        language = request.GET.get("language", "en")
        if language not in languages:
            language = "en"
        sample = sample_request_for(description)
        rendered = (
            resident_text(version, language, sample) if version and sample else None
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview “{description.title}”",
            "description": description,
            "version": version,
            "sample": sample,
            "rendered": rendered,
            "language": language,
            "language_name": languages[language],
            "languages": settings.LANGUAGES,
            "is_rtl": (rendered.language if rendered else language)
            in settings.LANGUAGES_BIDI,
            "sms": plain_language.sms_segments(rendered.sms_text) if rendered else None,
            "change_url": self._url("change", description),
        }
        return TemplateResponse(request, "admin/resolutions/preview.html", context)


@admin.register(DescriptionVersion)
class DescriptionVersionAdmin(
    AgencyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin
):
    """Every version in one list, for the review queue and bulk steps."""

    agency_field = "description__agency"
    list_display = [
        "description_link",
        "number",
        "status",
        "is_legacy",
        "author",
        "submitted_at",
        "published_at",
    ]
    list_filter = ["status", "is_legacy", "description__agency"]
    search_fields = ["description__title", "text"]
    list_select_related = ["description", "author"]
    actions = ["submit_selected", "publish_selected"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("resolutions.view_descriptionversion")

    @admin.display(description="description", ordering="description__title")
    def description_link(self, version: DescriptionVersion) -> str:
        url = reverse(
            "admin:resolutions_resolutiondescription_change",
            args=[version.description_id],
        )
        return format_html('<a href="{}">{}</a>', url, version.description.title)

    def _bulk(self, request, queryset, step, done: str) -> None:
        succeeded = 0
        for version in queryset:
            try:
                step(version)
                succeeded += 1
            except services.TransitionError as error:
                self.message_user(
                    request,
                    f"{version.description.title} v{version.number}: {error}",
                    messages.ERROR,
                )
        if succeeded:
            self.message_user(
                request, f"{succeeded} version(s) {done}.", messages.SUCCESS
            )

    def has_submit_permission(self, request) -> bool:
        return request.user.has_perm("resolutions.submit_descriptionversion")

    def has_review_permission(self, request) -> bool:
        return request.user.has_perm("resolutions.review_descriptionversion")

    @admin.action(
        description="Submit selected drafts for review", permissions=["submit"]
    )
    def submit_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda version: services.submit_version(
                version=version, actor=request.user
            ),
            "submitted",
        )

    @admin.action(
        description="Publish selected submitted versions", permissions=["review"]
    )
    def publish_selected(self, request, queryset):
        self._bulk(
            request,
            queryset,
            lambda version: services.publish_version(
                version=version, reviewer=request.user
            ),
            "published",
        )


@admin.register(LegacyText)
class LegacyTextAdmin(AgencyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["text", "agency", "description_link", "request_count"]
    list_filter = ["agency"]
    search_fields = ["text"]
    list_select_related = ["agency", "description"]
    actions = ["group_selected"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("resolutions.view_legacytext")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                request_count=count_of(
                    ServiceRequest, "resolution_description", outer="description"
                )
            )
        )

    @admin.display(
        description="requests under its description", ordering="request_count"
    )
    def request_count(self, legacy: LegacyText) -> int:
        return legacy.request_count

    @admin.display(description="description", ordering="description__title")
    def description_link(self, legacy: LegacyText) -> str:
        url = reverse(
            "admin:resolutions_resolutiondescription_change",
            args=[legacy.description_id],
        )
        return format_html('<a href="{}">{}</a>', url, legacy.description.title)

    def has_group_permission(self, request) -> bool:
        # Grouping changes what residents are told: a reviewer's decision.
        return request.user.has_perm("resolutions.review_descriptionversion")

    @admin.action(
        description="Group selected texts under one description…", permissions=["group"]
    )
    def group_selected(self, request, queryset):
        agencies = set(queryset.values_list("agency_id", flat=True))
        if len(agencies) != 1:
            self.message_user(
                request, "Select texts of one agency only.", messages.ERROR
            )
            return None
        descriptions = scope_to_user(
            ResolutionDescription.objects.filter(agency_id=agencies.pop()), request.user
        )
        form = GroupLegacyTextsForm(
            request.POST if "apply" in request.POST else None, descriptions=descriptions
        )
        if form.is_valid():
            try:
                moved = services.group_legacy_texts(
                    legacy_texts=queryset,
                    into=form.cleaned_data["description"],
                    actor=request.user,
                )
            except services.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
                return None
            self.message_user(
                request,
                f"{queryset.count()} text(s) grouped; {moved} request(s) moved.",
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Group legacy texts under one description",
            "form": form,
            "texts": queryset,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/resolutions/group_legacy.html", context)
