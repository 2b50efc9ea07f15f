import os
import subprocess
import sys

from django.conf import settings

from conftest import PROJECT_DIR

REAL_KEY = "k3P9-vQx2_Lr8Zt5Wm1Ny7Hb4Jd6Fc0Gs9Ae2Ru8Io5Pl3Ky7Tw"


def load_settings(**environment: str) -> subprocess.CompletedProcess:
    """Import the settings in a fresh interpreter with exactly these variables."""
    env = {"PATH": os.environ["PATH"], "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.update(environment)
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_development_starts_with_no_configuration():
    result = load_settings()

    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout


def test_production_refuses_the_development_secret_key():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_ALLOWED_HOSTS="311.example.org",
        DATABASE_URL="postgres://db.example.org/closing_the_loop",
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_key_of_one_repeated_character():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY="a" * 50,
        DJANGO_ALLOWED_HOSTS="311.example.org",
        DATABASE_URL="postgres://db.example.org/closing_the_loop",
    )

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_missing_or_wildcard_allowed_hosts():
    common = {
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": REAL_KEY,
        "DATABASE_URL": "postgres://db.example.org/closing_the_loop",
    }

    missing = load_settings(**common)
    wildcard = load_settings(**common, DJANGO_ALLOWED_HOSTS="*")

    assert "DJANGO_ALLOWED_HOSTS" in missing.stderr
    assert "DJANGO_ALLOWED_HOSTS" in wildcard.stderr


def test_production_refuses_to_run_without_a_database_url():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_ALLOWED_HOSTS="311.example.org",
    )

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_production_starts_when_configured():
    result = load_settings(
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=REAL_KEY,
        DJANGO_ALLOWED_HOSTS="311.example.org",
        DATABASE_URL="postgres://db.example.org/closing_the_loop",
    )

    assert result.returncode == 0, result.stderr


def test_a_malformed_boolean_is_refused_with_its_name():
    result = load_settings(DJANGO_DEBUG="maybe")

    assert result.returncode != 0
    assert "DJANGO_DEBUG must be true or false" in result.stderr


def test_times_are_new_york_and_stored_aware():
    assert settings.TIME_ZONE == "America/New_York"
    assert settings.USE_TZ is True


def test_tasks_run_in_process_only_without_a_broker():
    assert settings.CELERY_TASK_ALWAYS_EAGER is (not settings.CELERY_BROKER_URL)
