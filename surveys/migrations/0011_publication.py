"""Open data: comment reviews and releases; city administrators review comments."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from agencies.roles import sync_role_groups

PUBLICATION_PERMISSIONS = {
    "surveys.view_commentreview",
    "surveys.review_commentreview",
    "surveys.view_release",
}


def grant_publication_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations have run; city
    # administrators' group needs the comment review ones now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    missing = sync_role_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    )
    if PUBLICATION_PERMISSIONS & set(missing):
        raise RuntimeError(f"Role permissions that do not exist: {missing}")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0010_dashboard_permissions"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="CommentReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "redacted_text",
                    models.TextField(
                        help_text="The comment as it would be published, personal details removed."
                    ),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[
                            ("pending", "Awaiting review"),
                            ("approved", "Approved for publication"),
                            ("withheld", "Withheld"),
                        ],
                        default="pending",
                        max_length=10,
                    ),
                ),
                ("reviewed_at", models.DateTimeField(blank=True, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "answer",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="comment_review",
                        to="surveys.answer",
                    ),
                ),
                (
                    "reviewed_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "permissions": [
                    (
                        "review_commentreview",
                        "Can approve or withhold residents' comments for open data",
                    )
                ],
            },
        ),
        migrations.CreateModel(
            name="Release",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True,
                        primary_key=True,
                        serialize=False,
                        verbose_name="ID",
                    ),
                ),
                (
                    "month",
                    models.DateField(help_text="The first day of the month published."),
                ),
                ("number", models.PositiveIntegerField()),
                (
                    "is_demo",
                    models.BooleanField(
                        default=False,
                        help_text="Includes simulated answers; never real residents.",
                    ),
                ),
                (
                    "note",
                    models.TextField(
                        blank=True, help_text="What a correction changes, and why."
                    ),
                ),
                (
                    "min_group_size",
                    models.PositiveSmallIntegerField(
                        help_text="k: counts and groups below this were suppressed."
                    ),
                ),
                ("rows_published", models.PositiveIntegerField(default=0)),
                (
                    "rows_generalised",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Rows with some attributes replaced by 'suppressed'.",
                    ),
                ),
                (
                    "rows_withheld",
                    models.PositiveIntegerField(
                        default=0,
                        help_text="Responses left out: their group stayed below k.",
                    ),
                ),
                ("comments_published", models.PositiveIntegerField(default=0)),
                ("cells_suppressed", models.PositiveIntegerField(default=0)),
                (
                    "files",
                    models.JSONField(
                        default=dict,
                        help_text="Each file's name, path, size and sha256.",
                    ),
                ),
                (
                    "summary",
                    models.JSONField(
                        default=dict,
                        help_text="The published tables, for the page's charts.",
                    ),
                ),
                (
                    "published_at",
                    models.DateTimeField(default=django.utils.timezone.now),
                ),
                (
                    "corrects",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="corrections",
                        to="surveys.release",
                    ),
                ),
                (
                    "published_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-month", "is_demo", "-number"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("month", "is_demo", "number"),
                        name="release_unique_number",
                    )
                ],
            },
        ),
        migrations.RunPython(grant_publication_permissions, migrations.RunPython.noop),
    ]
