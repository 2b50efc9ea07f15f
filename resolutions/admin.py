from django.contrib import admin
from django.http import HttpRequest

from agencies.admin import count_of
from agencies.models import ServiceRequest
from resolutions.models import DescriptionVersion, LegacyText, ResolutionDescription


class DescriptionVersionInline(admin.StackedInline):
    model = DescriptionVersion
    fields = [
        "number",
        "status",
        "is_legacy",
        "text",
        "sms_text",
        "change_note",
        "published_at",
    ]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class LegacyTextInline(admin.TabularInline):
    model = LegacyText
    fields = ["text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name = "legacy NYC text"
    verbose_name_plural = "legacy NYC texts this description covers"

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(ResolutionDescription)
class ResolutionDescriptionAdmin(admin.ModelAdmin):
    list_display = ["title", "agency", "outcome", "request_count"]
    list_filter = ["agency", "outcome"]
    search_fields = ["title", "legacy_texts__text"]
    list_select_related = ["agency"]
    fields = ["agency", "title", "outcome", "complaint_types"]
    autocomplete_fields = ["complaint_types"]
    inlines = [DescriptionVersionInline, LegacyTextInline]

    def get_queryset(self, request: HttpRequest):
        return (
            super()
            .get_queryset(request)
            .annotate(request_count=count_of(ServiceRequest, "resolution_description"))
        )

    @admin.display(description="service requests", ordering="request_count")
    def request_count(self, description: ResolutionDescription) -> int:
        return description.request_count

    def get_readonly_fields(self, request: HttpRequest, obj=None) -> list[str]:
        return ["agency"] if obj else []
