from django.db import migrations

from agencies.nyc import AGENCY_NAMES


def seed_agencies(apps, schema_editor):
    Agency = apps.get_model("agencies", "Agency")
    for code, name in AGENCY_NAMES.items():
        Agency.objects.get_or_create(code=code, defaults={"name": name})


class Migration(migrations.Migration):
    dependencies = [("agencies", "0002_initial")]

    operations = [migrations.RunPython(seed_agencies, migrations.RunPython.noop)]
