"""Settings for the 311 close-the-loop site.

Everything that differs between a laptop, CI and production comes from the
environment; `.env.example` lists every variable. With nothing set, the site runs
for development on SQLite with Celery tasks executed in-process.
"""

import re
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from config.env import env_bool, env_int, env_list, env_str
from config.languages import register_haitian_creole

register_haitian_creole()

BASE_DIR = Path(__file__).resolve().parent.parent

_DEVELOPMENT_SECRET_KEY = "development-only-insecure-key-never-use-in-production"  # noqa: S105 (refused when DEBUG is off)

DEBUG = env_bool("DJANGO_DEBUG", True)
SECRET_KEY = env_str("DJANGO_SECRET_KEY", _DEVELOPMENT_SECRET_KEY)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
_DATABASE_URL = env_str("DATABASE_URL")

if not DEBUG:
    # Same bar as Django's deployment check: long, and not one character repeated.
    if (
        SECRET_KEY == _DEVELOPMENT_SECRET_KEY
        or len(SECRET_KEY) < 40
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            "DJANGO_SECRET_KEY must be set to a random value of 40+ characters "
            "when DJANGO_DEBUG is off."
        )
    if not env_list("DJANGO_ALLOWED_HOSTS") or "*" in ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "DJANGO_ALLOWED_HOSTS must list the site's host names when DJANGO_DEBUG is "
            "off ('*' is refused)."
        )
    if not _DATABASE_URL:
        raise ImproperlyConfigured("DATABASE_URL must be set when DJANGO_DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "anymail",
    "agencies",
    "resolutions",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# Keep PostgreSQL connections open between requests: opening one per request
# costs more than the request itself on simple pages.
DATABASES = {
    "default": dj_database_url.parse(
        _DATABASE_URL or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 600, minimum=0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Writers take the lock when their transaction starts, and wait for it, so two
    # residents posting at the same moment queue instead of failing with
    # "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
# With psycopg 3, PostgreSQL keeps the plan of the survey link's look-up once it
# has run this many times on a connection (surveys/linkquery.py; Django's own
# queries are not prepared). 0, the default as in Django, turns it off: set it
# only when no transaction-pooling proxy (PgBouncer before 1.21) sits between
# the site and PostgreSQL.
DATABASE_PREPARE_THRESHOLD = env_int("DATABASE_PREPARE_THRESHOLD", 0, minimum=0)
if DATABASE_PREPARE_THRESHOLD and "postgresql" in DATABASES["default"]["ENGINE"]:
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
        DATABASE_PREPARE_THRESHOLD
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Staff pages outside admin (review queue, dashboards) share admin's login.
LOGIN_URL = "admin:login"

LANGUAGE_CODE = "en"
# English and New York City's ten designated citywide languages (Local Law 30).
LANGUAGES = [
    ("en", "English"),
    ("es", "Español"),
    ("zh-hans", "中文"),
    ("ru", "Русский"),
    ("bn", "বাংলা"),
    ("ht", "Kreyòl ayisyen"),
    ("ko", "한국어"),
    ("ar", "العربية"),
    ("ur", "اردو"),
    ("fr", "Français"),
    ("pl", "Polski"),
]
TIME_ZONE = "America/New_York"
USE_I18N = True
# Date formats for the languages Django has none for (Urdu, Haitian Creole).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# Celery. Without a broker, tasks run in-process as they are called, so the
# site works with nothing else installed.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Celery's Django fix-up (celery.fixups.django) closes the database connection
# before and after every task unless this is set; it reads the key
# CELERY_DB_REUSE_MAX, which is this setting's name. Reconnecting for every task
# halved the sending benchmark (26 against 58 messages/s, README). Connections
# are still closed every 2 x this many tasks.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000, minimum=0)
# How often the dashboards' figures are rebuilt; the pages say how fresh they are.
DASHBOARD_REFRESH_SECONDS = env_int("DASHBOARD_REFRESH_SECONDS", 600, minimum=60)
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "dispatch-due-survey-messages": {
        "task": "surveys.tasks.dispatch_due_messages",
        "schedule": 60.0,
    },
    # Daily at 03:30 New York time, when no survey is being sent.
    "purge-expired-contacts": {
        "task": "surveys.tasks.purge_expired_contacts",
        "schedule": crontab(hour=3, minute=30),
    },
    # A request reported again after a closure raises its open review case.
    "refresh-review-priorities": {
        "task": "surveys.tasks.refresh_review_priorities",
        "schedule": 15 * 60.0,
    },
    "refresh-dashboard-figures": {
        "task": "surveys.tasks.refresh_dashboard_figures",
        "schedule": float(DASHBOARD_REFRESH_SECONDS),
    },
    # Early on the first of the month, New York time: last month's open data.
    "publish-open-data": {
        "task": "surveys.tasks.publish_previous_month",
        "schedule": crontab(minute=30, hour=4, day_of_month=1),
    },
}

# The staff API's OpenAPI schema (/api/v1/schema/) and its Swagger UI
# (/api/v1/docs/), whose scripts come from the site's own static files.
REST_FRAMEWORK = {"DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema"}
SPECTACULAR_SETTINGS = {
    "TITLE": "311 Closing the Loop: staff API",
    "DESCRIPTION": (
        "The city's 311 system creates, updates and closes service requests here, "
        "with their residents' contact details. Each calling system is an "
        "integration with its own token, sent as `Authorization: Token <token>`."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# The public address of the site: survey and unsubscribe links in messages start
# with it. Links always use the site's own domain, never a link shortener.
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

# Who Open311 clients should ask about the API, as its discovery document says.
OPEN311_CONTACT = env_str(
    "OPEN311_CONTACT", "Call 311, or write through https://portal.311.nyc.gov."
)

# Email goes through django-anymail in production: set EMAIL_BACKEND to a provider's
# backend (e.g. anymail.backends.postmark.EmailBackend) and ANYMAIL_* to its keys.
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "311 <no-reply@311.example.org>")
ANYMAIL = {
    # Shared secret the provider's tracking webhooks send as basic auth,
    # "user:password". Webhook calls without it are refused.
    "WEBHOOK_SECRET": env_str("ANYMAIL_WEBHOOK_SECRET") or None,
    "POSTMARK_SERVER_TOKEN": env_str("ANYMAIL_POSTMARK_SERVER_TOKEN") or None,
    "MAILGUN_API_KEY": env_str("ANYMAIL_MAILGUN_API_KEY") or None,
    "MAILGUN_WEBHOOK_SIGNING_KEY": env_str("ANYMAIL_MAILGUN_WEBHOOK_SIGNING_KEY")
    or None,
    "SENDGRID_API_KEY": env_str("ANYMAIL_SENDGRID_API_KEY") or None,
}

# Text messages: surveys.sms.TwilioBackend in production; the console backend
# prints them, the memory backend keeps them for tests.
SMS_BACKEND = env_str("SMS_BACKEND", "surveys.sms.ConsoleBackend")
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN")
# A Messaging Service SID (MG...) or a sending number in E.164.
TWILIO_FROM = env_str("TWILIO_FROM")
# Where surveys.sms.FileBackend writes texts (tests with a real worker, benchmark).
SMS_FILE_PATH = Path(env_str("SMS_FILE_PATH", str(BASE_DIR / "var" / "sms")))
# Where Django's file email backend writes mail, if EMAIL_BACKEND names it.
EMAIL_FILE_PATH = Path(env_str("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mail")))

# Surveys after closure. Delays are held in the database and sent by the beat
# dispatcher, never as long broker countdowns.
SURVEY_DELAY_MINUTES = env_int("SURVEY_DELAY_MINUTES", 0, minimum=0)
# Closures older than this (e.g. an import of old data) get no survey.
SURVEY_MAX_CLOSURE_AGE_DAYS = env_int("SURVEY_MAX_CLOSURE_AGE_DAYS", 14, minimum=1)
# Text messages only between these local hours (America/New_York).
SURVEY_SMS_FIRST_HOUR = env_int("SURVEY_SMS_FIRST_HOUR", 9, minimum=0)
SURVEY_SMS_LAST_HOUR = env_int("SURVEY_SMS_LAST_HOUR", 20, minimum=1)
if not SURVEY_SMS_FIRST_HOUR < SURVEY_SMS_LAST_HOUR <= 24:
    raise ImproperlyConfigured(
        "SURVEY_SMS_FIRST_HOUR must be before SURVEY_SMS_LAST_HOUR, which is at "
        "most 24."
    )
# At most one survey per email address or number in this many days.
SURVEY_FREQUENCY_DAYS = env_int("SURVEY_FREQUENCY_DAYS", 30, minimum=0)
# "email" or "sms": the channel used when a resident gave both.
SURVEY_PREFERRED_CHANNEL = env_str("SURVEY_PREFERRED_CHANNEL", "email")
if SURVEY_PREFERRED_CHANNEL not in ("email", "sms"):
    raise ImproperlyConfigured("SURVEY_PREFERRED_CHANNEL must be email or sms.")
# One reminder this many days after the invitation if there is no answer (0: none).
SURVEY_REMINDER_DAYS = env_int("SURVEY_REMINDER_DAYS", 3, minimum=0)
# Survey links stop working this many days after the invitation is sent.
SURVEY_LINK_DAYS = env_int("SURVEY_LINK_DAYS", 30, minimum=1)
# A message a worker claimed this long ago and never finished is settled by the
# dispatcher (see surveys.sending). Must exceed the send task's 60 s time limit.
SURVEY_SEND_LEASE_SECONDS = env_int("SURVEY_SEND_LEASE_SECONDS", 300, minimum=120)
# Residents' contact details are deleted this many days after their survey is over
# (answered, expired or not sent), or after their request closed if never invited.
SURVEY_CONTACT_RETENTION_DAYS = env_int("SURVEY_CONTACT_RETENTION_DAYS", 90, minimum=1)
# Key of the digests that opt-outs are kept as; changing it forgets every opt-out.
SURVEY_ADDRESS_KEY = env_str("SURVEY_ADDRESS_KEY") or SECRET_KEY

# Supervisor review. A case is due this many New York business days after it
# opens (weekends and US federal and New York State holidays excluded).
REVIEW_DEADLINE_BUSINESS_DAYS = env_int("REVIEW_DEADLINE_BUSINESS_DAYS", 5, minimum=1)
# A new request of the same complaint type at the same address within this many
# days of the closure puts the case ahead of others.
REVIEW_REPEAT_DAYS = env_int("REVIEW_REPEAT_DAYS", 30, minimum=1)
# A request closed within this many hours of its creation with an outcome such as
# "no violation found" or "could not access" is a fast closure.
REVIEW_FAST_CLOSURE_HOURS = env_int("REVIEW_FAST_CLOSURE_HOURS", 24, minimum=1)

# Key of the digests that staff API tokens are stored as; changing it makes every
# integration's token stop working (issue new ones with create_integration).
API_TOKEN_KEY = env_str("API_TOKEN_KEY") or SECRET_KEY

# Cache. The survey page's rate limits count here: with Redis (REDIS_CACHE_URL) the
# counts are shared by every worker; without it each process counts on its own,
# which is fine for development but lets N workers allow N times the limit.
REDIS_CACHE_URL = env_str("REDIS_CACHE_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_CACHE_URL,
    }
    if REDIS_CACHE_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}


def _env_rate(name: str, default: str) -> str:
    """A django-ratelimit rate such as "20/h" or "60/10m", checked at startup."""
    value = env_str(name, default)
    if not re.fullmatch(r"[1-9]\d*/\d*[smhd]", value):
        raise ImproperlyConfigured(
            f"{name} must be a rate such as 20/h or 60/10m, not {value!r}"
        )
    return value


# How often the survey and unsubscribe pages may be used, per link (token) and per
# client address. Over a limit, residents get a polite "try again later" (429).
# Reading gets more room than posting: mail scanners open every link of a message.
SURVEY_RATE_POST_PER_TOKEN = _env_rate("SURVEY_RATE_POST_PER_TOKEN", "20/h")
SURVEY_RATE_POST_PER_IP = _env_rate("SURVEY_RATE_POST_PER_IP", "100/h")
SURVEY_RATE_GET_PER_TOKEN = _env_rate("SURVEY_RATE_GET_PER_TOKEN", "120/h")
SURVEY_RATE_GET_PER_IP = _env_rate("SURVEY_RATE_GET_PER_IP", "600/h")
# Reverse proxies in front of the site that append the client's address to
# X-Forwarded-For (e.g. 1 behind one load balancer). 0: the connection's address.
SURVEY_PROXY_HOPS = env_int("SURVEY_PROXY_HOPS", 0, minimum=0)
# If the cache cannot be reached, serve residents rather than refuse them all.
RATELIMIT_FAIL_OPEN = True
# A form refused for a missing or stale CSRF token gets a page residents understand.
CSRF_FAILURE_VIEW = "surveys.views.form_not_sent"

# Resolution texts above this US school grade get a plain-language warning.
PLAIN_LANGUAGE_MAX_GRADE = float(env_int("PLAIN_LANGUAGE_MAX_GRADE", 8, minimum=1))

# Where `import_311` writes the rows it could not load, one CSV per file.
IMPORT_REJECTS_DIR = Path(
    env_str("IMPORT_REJECTS_DIR", str(BASE_DIR / "var" / "imports"))
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "filters": {"mask_survey_tokens": {"()": "config.logfilters.MaskSurveyTokens"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_survey_tokens"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Django's own handlers for these print unmasked paths, and print warnings
        # a second time: send them to the root's masked handler only.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
    },
}

# Open data (surveys.publication). k: any published count or group of responses
# smaller than this is suppressed.
OPEN_DATA_MIN_GROUP_SIZE = env_int("OPEN_DATA_MIN_GROUP_SIZE", 11, minimum=2)
# Published files are written here once and never changed.
OPEN_DATA_DIR = BASE_DIR / env_str("OPEN_DATA_DIR", "var/open-data")
