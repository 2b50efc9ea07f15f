from django.contrib.auth.management import create_permissions
from django.db import migrations

from agencies.roles import sync_role_groups


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the groups
    # need them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    sync_role_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agencies", "0005_staffmembership"),
        ("resolutions", "0002_descriptiontransition_descriptiontranslation_and_more"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
