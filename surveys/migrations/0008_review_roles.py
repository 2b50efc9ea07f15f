"""Supervisors and city administrators get the review queue's permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from agencies.roles import sync_role_groups


def grant_review_permissions(apps, schema_editor):
    # Permissions are normally created after all migrations have run; the groups
    # need work_reviewcase, declared by 0006, now.
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
    dependencies = [("surveys", "0007_review")]

    operations = [
        migrations.RunPython(grant_review_permissions, migrations.RunPython.noop)
    ]
