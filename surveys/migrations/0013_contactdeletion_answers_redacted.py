"""Deletion records count the free-text answers that lost personal details."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0012_survey_version_revision"),
    ]

    operations = [
        migrations.AddField(
            model_name="contactdeletion",
            name="answers_redacted",
            field=models.PositiveIntegerField(
                default=0,
                help_text="Free-text answers of theirs that lost an email address, "
                "phone number or street address they typed.",
            ),
        ),
    ]
