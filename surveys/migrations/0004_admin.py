"""Who may see contact details, the role groups' survey permissions, and help texts."""

from django.contrib.auth.management import create_permissions
from django.db import migrations, models

from agencies.roles import sync_role_groups


def grant_survey_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the groups
    # need them now, including view_contact_details declared just above.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    missing = sync_role_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    )
    if missing:
        raise RuntimeError(f"Role permissions that do not exist: {missing}")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_feedback"),
        ("agencies", "0007_integration"),
        ("resolutions", "0003_version_editors"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="contact",
            options={
                "permissions": [
                    (
                        "view_contact_details",
                        "Can see residents' email addresses and phone numbers",
                    )
                ]
            },
        ),
        migrations.AlterField(
            model_name="choice",
            name="label",
            field=models.CharField(
                help_text="The answer as residents read it, in English.",
                max_length=200,
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="help_text",
            field=models.TextField(
                blank=True,
                help_text="Optional; shown under the question in smaller type.",
            ),
        ),
        migrations.AlterField(
            model_name="question",
            name="is_required",
            field=models.BooleanField(
                default=False,
                help_text="Residents cannot send the survey without answering.",
            ),
        ),
        migrations.AlterField(
            model_name="surveyversion",
            name="change_note",
            field=models.TextField(
                blank=True,
                help_text="What changed and why, for the reviewer and whoever edits next.",
            ),
        ),
        migrations.RunPython(grant_survey_permissions, migrations.RunPython.noop),
    ]
