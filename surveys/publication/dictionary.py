"""What every published column means: the data dictionary page and the JSON."""

from django.utils.translation import gettext_lazy as _

from surveys.models import Question, Survey

# (column, type, meaning) of the rows file, before the answer columns.
ROW_COLUMNS = [
    (
        "release",
        "text",
        _(
            "The release the row belongs to, e.g. 2026-03-r1. A demo release, made "
            "of simulated answers, says demo: 2026-03-demo-r1."
        ),
    ),
    (
        "month",
        "YYYY-MM",
        _(
            "The month the resident answered, New York time. No date or time is "
            "published."
        ),
    ),
    ("agency", "text", _("The code of the agency that handled the request.")),
    (
        "complaint_type",
        "text",
        _("The request's complaint type, as NYC 311 publishes it, or suppressed."),
    ),
    (
        "borough",
        "text",
        _(
            "The borough of the request, empty when NYC did not give one, or suppressed."
        ),
    ),
    ("channel", "text", _("How the survey was sent: email or sms.")),
    (
        "language",
        "code",
        _(
            "The language the resident answered in (en, es, zh-hans, ...), or suppressed."
        ),
    ),
    (
        "outcome",
        "text",
        _(
            "What the resolution description told the resident happened (fixed, "
            "no_violation, no_access, ...), empty when unknown, or suppressed."
        ),
    ),
    (
        "resolution_description_id",
        "integer",
        _(
            "The resolution description the resident was told; 0 when none was "
            "recorded, or suppressed."
        ),
    ),
    (
        "resolution_description_version",
        "integer",
        _("The number of that description's version, or suppressed."),
    ),
    ("survey_version", "integer", _("The version of the survey that was answered.")),
    (
        "satisfaction_score",
        "0-100",
        _(
            "Agreement with 'I am satisfied with how my request was handled', "
            "scored as NYC does: 0 strongly disagree, 25, 50, 75, 100 strongly agree."
        ),
    ),
    (
        "is_complete",
        "yes/no",
        _("no when the resident answered only the first question, by text message."),
    ),
]
COMMENT_COLUMN = (
    "comment",
    "text",
    _(
        "The resident's comment, only when a city administrator reviewed it, with "
        "emails, phone numbers, street addresses and apartment numbers removed "
        "automatically before review. Otherwise empty."
    ),
)
_ANSWER_TYPES = {
    Question.Kind.AGREEMENT: "strongly_agree / agree / neutral / disagree / strongly_disagree",
    Question.Kind.YES_NO: "yes / no / not_sure",
    Question.Kind.SINGLE: "choice value",
    Question.Kind.MULTIPLE: "choice values separated by ;",
}

TABLES = [
    (
        "funnel_sent",
        _("Survey invitations sent in the month, by agency and channel."),
    ),
    (
        "funnel_delivered",
        _("Of those, how many the provider reported delivered."),
    ),
    (
        "funnel_bounced",
        _("Of those, how many bounced or failed and were never delivered."),
    ),
    ("funnel_answered", _("Of those, how many were answered (by publication).")),
    (
        "responses_by_outcome",
        _("Published rows by agency and outcome."),
    ),
]


def answer_column(key: str, kind: str, prompt: str) -> tuple[str, str, str]:
    return (f"answer_{key}", _ANSWER_TYPES.get(kind, "text"), prompt)


def default_answer_columns() -> list[tuple[str, str, str]]:
    """The answer columns of the default survey's published version."""
    survey = Survey.objects.filter(is_default=True).first()
    version = survey.published_version if survey else None
    if version is None:
        return []
    return [
        answer_column(q.key, q.kind, q.prompt)
        for q in version.questions.exclude(kind=Question.Kind.TEXT)
    ]
