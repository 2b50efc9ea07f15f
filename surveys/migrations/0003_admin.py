"""Who may see contact details, and the role groups' survey permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

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
        ("surveys", "0002_default_survey"),
        ("agencies", "0006_role_groups"),
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
        migrations.RunPython(grant_survey_permissions, migrations.RunPython.noop),
    ]
