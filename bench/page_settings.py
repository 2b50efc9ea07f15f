"""Settings of the survey page benchmark's server: the site's own, plus a bare view.

Only bench/survey_page_bench.py uses this module; the bare view never exists on
the real site.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.page_urls"
# The hashed-name manifest needs a collectstatic first; looking a name up in it
# costs the same as the plain storage does, so the figures do not change.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
