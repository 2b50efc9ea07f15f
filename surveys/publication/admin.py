"""Admin for open data: city administrators review comments; releases are listed.

A reviewer sees only the redacted text, never the comment as the resident wrote
it nor which request it came from.
"""

from django.contrib import admin, messages
from django.http import HttpRequest

from agencies.admin import ReadOnlyAdminMixin
from surveys.models import CommentReview, Release
from surveys.publication.comments import review_comments

REVIEW_PERMISSION = "surveys.review_commentreview"


@admin.register(CommentReview)
class CommentReviewAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["redacted_text", "status", "created_at", "reviewed_by"]
    list_filter = ["status"]
    fields = ["redacted_text", "status", "reviewed_by", "reviewed_at", "created_at"]
    readonly_fields = fields
    actions = ["approve", "withhold"]
    list_per_page = 50

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        if not request.user.has_perm(REVIEW_PERMISSION):
            actions.pop("approve", None)
            actions.pop("withhold", None)
        return actions

    @admin.action(description="Approve the selected comments for open data")
    def approve(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, approve=True)

    @admin.action(description="Withhold the selected comments from open data")
    def withhold(self, request: HttpRequest, queryset) -> None:
        self._review(request, queryset, approve=False)

    def _review(self, request: HttpRequest, queryset, *, approve: bool) -> None:
        if not request.user.has_perm(REVIEW_PERMISSION):
            self.message_user(request, "You cannot review comments.", messages.ERROR)
            return
        changed = review_comments(
            reviews=queryset, approve=approve, reviewer=request.user
        )
        self.message_user(
            request,
            f"{changed} comment(s) {'approved' if approve else 'withheld'}.",
            messages.SUCCESS,
        )


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "kind",
        "published_at",
        "rows_published",
        "rows_withheld",
        "cells_suppressed",
        "withdrawn_at",
    ]
    list_filter = ["is_demo"]
    exclude = ["summary"]
