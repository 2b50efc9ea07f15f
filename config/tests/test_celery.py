"""The Celery app reads the settings it is meant to read."""

from django.conf import settings

from config.celery import app


def test_the_django_fixup_sees_the_connection_reuse_setting():
    # celery.fixups.django reads this exact key; a misspelt setting would leave
    # workers reconnecting to the database for every task.
    assert app.conf.get("CELERY_DB_REUSE_MAX") == settings.CELERY_DB_REUSE_MAX
    assert settings.CELERY_DB_REUSE_MAX > 0


def test_beat_dispatches_due_survey_messages_every_minute():
    app.loader.import_default_modules()  # what a worker does on start
    entry = app.conf.beat_schedule["dispatch-due-survey-messages"]

    assert entry["task"] == "surveys.tasks.dispatch_due_messages"
    assert entry["schedule"] == 60.0
    assert entry["task"] in app.tasks
