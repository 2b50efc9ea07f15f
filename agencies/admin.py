from django.contrib import admin, messages
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.utils.html import format_html_join

from agencies import services
from agencies.integrations import revoke_integration
from agencies.models import (
    Agency,
    ComplaintType,
    ImportRun,
    Integration,
    ServiceRequest,
    ServiceRequestChange,
    StaffMembership,
)
from agencies.quality import Flag
from agencies.roles import agency_code_of, scope_to_user, sees_all_agencies
from config.numbers import stored_number
from resolutions.models import ResolutionNotice


def count_of(model, field: str, outer: str = "pk") -> Coalesce:
    """A per-row count as a correlated subquery, computed only for the rows shown."""
    counted = (
        model.objects.filter(**{field: OuterRef(outer)})
        .order_by()
        .values(field)
        .annotate(total=Count("*"))
        .values("total")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


class AgencyScopedAdminMixin:
    """Staff see and change only their agency's records; city administrators see all.

    Scoping the queryset also covers typed-in URLs: another agency's object is
    "not found" for the admin, as if it did not exist.
    """

    agency_field = "agency"

    def get_queryset(self, request: HttpRequest):
        return scope_to_user(
            super().get_queryset(request), request.user, self.agency_field
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not sees_all_agencies(request.user):
            agency = agency_code_of(request.user)
            if db_field.related_model is Agency:
                kwargs["queryset"] = Agency.objects.filter(code=agency)
            elif db_field.related_model is ComplaintType:
                kwargs["queryset"] = ComplaintType.objects.filter(agency=agency)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.related_model is ComplaintType and not sees_all_agencies(
            request.user
        ):
            kwargs["queryset"] = ComplaintType.objects.filter(
                agency=agency_code_of(request.user)
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """Imported records are changed by imports and the 311 integration, not by hand."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Agency)
class AgencyAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    agency_field = "code"
    list_display = ["code", "name", "request_count"]
    search_fields = ["code", "name"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(request_count=count_of(ServiceRequest, "agency"))
        )

    @admin.display(description="service requests", ordering="request_count")
    def request_count(self, agency: Agency) -> int:
        return agency.request_count

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["code"] if obj else []


@admin.register(ComplaintType)
class ComplaintTypeAdmin(AgencyScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "agency", "request_count"]
    list_filter = ["agency"]
    search_fields = ["name"]
    readonly_fields = ["agency", "name"]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .select_related("agency")
            .annotate(request_count=count_of(ServiceRequest, "complaint_type"))
        )

    @admin.display(description="service requests", ordering="request_count")
    def request_count(self, complaint_type: ComplaintType) -> int:
        return complaint_type.request_count

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class FlagFilter(admin.SimpleListFilter):
    title = "data-quality flag"
    parameter_name = "flag"

    def lookups(self, request, model_admin):
        return [("any", "Any flag"), *[(flag.code, flag.label) for flag in Flag]]

    def queryset(self, request, queryset):
        if self.value() == "any":
            return queryset.exclude(quality_flags=0)
        flag = next((flag for flag in Flag if flag.code == self.value()), None)
        return queryset.flagged(flag) if flag else queryset


class ServiceRequestChangeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ServiceRequestChange
    fields = ["changed_at", "import_run", "integration", "changed_fields"]
    readonly_fields = fields
    extra = 0
    verbose_name = "change from a later import or the 311 integration"
    verbose_name_plural = "changes from later imports or the 311 integration"

    @admin.display(description="changes")
    def changed_fields(self, change: ServiceRequestChange):
        return format_html_join(
            "\n",
            "<div><strong>{}</strong>: {} → {}</div>",
            ((field, old, new) for field, (old, new) in sorted(change.changes.items())),
        )


class ResolutionNoticeInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ResolutionNotice
    fields = ["closed_at", "language", "version_told", "told_text", "recorded_at"]
    readonly_fields = fields
    extra = 0
    verbose_name = "what the resident was told"
    verbose_name_plural = "what the resident was told at closure (frozen)"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("version__description")

    @admin.display(description="version")
    def version_told(self, notice: ResolutionNotice) -> str:
        version = notice.version
        legacy = " (legacy NYC text)" if version.is_legacy else ""
        return f"{version.description.title}, version {version.number}{legacy}"

    @admin.display(description="text")
    def told_text(self, notice: ResolutionNotice) -> str:
        translation = notice.version.translation(notice.language)
        return translation.text if translation else notice.version.text


@admin.register(ServiceRequest)
class ServiceRequestAdmin(AgencyScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "unique_key",
        "created_at",
        "agency",
        "complaint_type",
        "status",
        "closed_at",
        "borough",
        "incident_address",
        "flag_count",
    ]
    list_filter = [
        "agency",
        "status",
        "borough",
        FlagFilter,
        ("closed_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["agency", "complaint_type"]
    search_fields = ["incident_address"]
    search_help_text = "A request number, or part of the incident address."
    show_full_result_count = False
    list_per_page = 50
    inlines = [ResolutionNoticeInline, ServiceRequestChangeInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "unique_key",
                    "status",
                    "agency",
                    "agency_name",
                    "complaint_type",
                    "descriptor",
                    "additional_details",
                    "channel",
                ]
            },
        ),
        (
            "Dates (New York time)",
            {"fields": ["created_at", "closed_at", "due_at", "resolution_updated_at"]},
        ),
        (
            "Resolution",
            {"fields": ["resolution_text", "resolution_description"]},
        ),
        (
            "Location",
            {
                "fields": [
                    "incident_address",
                    "street_name",
                    "city",
                    "borough",
                    "incident_zip",
                    "community_board",
                    "bbl",
                    "location_type",
                    "latitude",
                    "longitude",
                ]
            },
        ),
        (
            "Data quality",
            {"fields": ["flag_list", "raw_values", "imported_at", "updated_at"]},
        ),
    ]

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term.isascii() and term.isdigit():
            number = stored_number(term)
            found = (
                queryset.none()
                if number is None
                else queryset.filter(unique_key=number)
            )
            return found, False
        return super().get_search_results(request, queryset, term)

    @admin.display(description="flags")
    def flag_count(self, service_request: ServiceRequest) -> int | str:
        return len(service_request.flags) or ""

    @admin.display(description="data-quality flags")
    def flag_list(self, service_request: ServiceRequest):
        return (
            format_html_join(
                "\n", "<div>{}</div>", ((flag.label,) for flag in service_request.flags)
            )
            or "None"
        )


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "started_at",
        "source",
        "status",
        "rows_read",
        "inserted",
        "updated",
        "unchanged",
        "duplicates",
        "rejected",
    ]
    list_filter = ["status"]
    readonly_fields = [field.name for field in ImportRun._meta.fields]


@admin.register(StaffMembership)
class StaffMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "agency"]
    list_filter = ["role", "agency"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]

    def save_model(self, request, obj, form, change):
        # The role decides the user's permission group: one function keeps them in step.
        services.set_membership(user=obj.user, role=obj.role, agency=obj.agency)

    def delete_model(self, request, obj):
        services.end_membership(user=obj.user)

    def delete_queryset(self, request, queryset):
        for membership in queryset:
            services.end_membership(user=membership.user)


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    """City administrators see and revoke integrations; tokens come from a command.

    `manage.py create_integration NAME [--agency CODE]` prints a new token once;
    only its digest is stored, so no page can show it.
    """

    list_display = ["name", "agency", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "agency"]
    search_fields = ["name"]
    fields = [
        "name",
        "agency",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    readonly_fields = fields
    actions = ["revoke"]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and sees_all_agencies(request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        # Changes keep the integration that made them; revoke instead.
        return False

    @admin.action(description="Revoke the selected integrations' tokens")
    def revoke(self, request: HttpRequest, queryset) -> None:
        revoked = sum(
            revoke_integration(integration=integration) for integration in queryset
        )
        self.message_user(
            request, f"{revoked} integration(s) revoked.", messages.SUCCESS
        )
