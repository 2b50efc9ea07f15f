from django.contrib.auth.management import create_permissions
from django.db import migrations

from agencies.roles import sync_role_groups

DASHBOARDS = "surveys.view_dashboards"


def grant_dashboards(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the groups
    # need view_dashboards, declared on DashboardRollup, now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    missing = sync_role_groups(
        apps.get_model("auth", "Group"), apps.get_model("auth", "Permission")
    )
    # Permissions of models that later migrations create are granted when those
    # migrations sync the groups again.
    if DASHBOARDS in missing:
        raise RuntimeError(f"Role permission that does not exist: {DASHBOARDS}")


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0009_dashboard_rollup"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(grant_dashboards, migrations.RunPython.noop),
    ]
