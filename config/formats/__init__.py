"""Date formats for the site's languages that Django ships none for.

Without them Urdu and Haitian Creole dates fall back to the American
"January 3, 2027" order, with translated month names in it.
"""

from django.utils.translation import gettext_noop

# Django ships no Haitian Creole catalogue, so the month names that dates spell
# out are translated in the project's own (locale/ht); marked here so that
# makemessages keeps them.
MONTH_NAMES = (
    gettext_noop("January"),
    gettext_noop("February"),
    gettext_noop("March"),
    gettext_noop("April"),
    gettext_noop("May"),
    gettext_noop("June"),
    gettext_noop("July"),
    gettext_noop("August"),
    gettext_noop("September"),
    gettext_noop("October"),
    gettext_noop("November"),
    gettext_noop("December"),
)
