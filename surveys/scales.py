"""The fixed answer scales of agreement and yes / no questions.

Stored values never depend on the language or the reading direction; labels are
translated with the site's message catalogues. Agreement scores follow NYC's
resolution satisfaction survey: 0-100 in steps of 25.
"""

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class ScalePoint:
    value: str
    label: Promise
    score: int | None = None


AGREEMENT = (
    ScalePoint("strongly_agree", _("Strongly agree"), 100),
    ScalePoint("agree", _("Agree"), 75),
    ScalePoint("neutral", _("Neither agree nor disagree"), 50),
    ScalePoint("disagree", _("Disagree"), 25),
    ScalePoint("strongly_disagree", _("Strongly disagree"), 0),
)

# The answers a supervisor's review queue treats as dissatisfied.
DISSATISFIED = frozenset({"disagree", "strongly_disagree"})

YES_NO = (
    ScalePoint("yes", _("Yes")),
    ScalePoint("no", _("No")),
    ScalePoint("not_sure", _("Not sure")),
)

SCALES = {"agreement": AGREEMENT, "yes_no": YES_NO}


def score_of(value: str) -> int | None:
    return next((p.score for p in AGREEMENT if p.value == value), None)


# A one-digit SMS reply answers the first (agreement) question: 5 is the most
# satisfied, as residents expect from a rating. The invitation text states it.
SMS_REPLY_DIGITS = {
    "5": "strongly_agree",
    "4": "agree",
    "3": "neutral",
    "2": "disagree",
    "1": "strongly_disagree",
}
