"""The rows of a month: one per response, nothing that leads back to a resident.

A row carries the month (never a date or time), the request's agency, complaint
type and borough, the survey's channel and language, the outcome, id and version
number of the resolution description the resident was told, the survey version,
the answers, and the approved redacted comment. No request number, address,
ZIP code, coordinates, contact, token or timestamp is selected, so none can be
written.

The SQL is shared by the publication and by the benchmark's baseline (a plain
COPY of the same SELECT), so the two measure the same rows.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection

from surveys.models import CommentReview, Question

NEW_YORK = ZoneInfo(settings.TIME_ZONE)

# The quasi-identifiers, as selected by the row query (and GROUP BY in groups_sql).
QUASI_IDENTIFIERS = (
    "agency",
    "complaint_type",
    "borough",
    "channel",
    "language",
    "outcome",
    "resolution_description_id",
    "resolution_description_version",
)
_QI_SQL = (
    "sr.agency_id",
    "COALESCE(ct.name, '')",
    "sr.borough",
    "i.channel",
    "r.language",
    "COALESCE(d.outcome, '')",
    "COALESCE(d.id, 0)",
    "COALESCE(v.number, 0)",
)


@dataclass(frozen=True)
class AnswerColumn:
    key: str
    kind: str
    prompt: str
    question_ids: tuple[int, ...]

    @property
    def name(self) -> str:
        return f"answer_{self.key}"


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first and next month's first instant, New York time."""
    start = datetime(month.year, month.month, 1, tzinfo=NEW_YORK)
    following = (start + timedelta(days=32)).replace(day=1)
    return start, following


def answer_columns(*, start: datetime, end: datetime) -> list[AnswerColumn]:
    """One column per question key (not free text) of the month's survey versions."""
    questions = (
        Question.objects.filter(
            version__responses__submitted_at__gte=start,
            version__responses__submitted_at__lt=end,
        )
        .exclude(kind=Question.Kind.TEXT)
        .distinct()
        .order_by("position", "version__number")
        .values_list("key", "kind", "prompt", "id")
    )
    columns: dict[str, AnswerColumn] = {}
    for key, kind, prompt, question_id in questions:
        known = columns.get(key)
        ids = (*known.question_ids, question_id) if known else (question_id,)
        columns[key] = AnswerColumn(key, kind, prompt, ids)
    return list(columns.values())


def _answer_sql(column: AnswerColumn) -> str:
    ids = ", ".join(str(int(question_id)) for question_id in column.question_ids)
    if connection.vendor == "postgresql":
        return (
            "(SELECT string_agg(e.value, ';') FROM surveys_answer a"
            ' CROSS JOIN LATERAL jsonb_array_elements_text(a."values") AS e(value)'
            f" WHERE a.response_id = r.id AND a.question_id IN ({ids}))"
        )
    return (
        "(SELECT group_concat(e.value, ';') FROM surveys_answer a,"
        ' json_each(a."values") AS e'
        f" WHERE a.response_id = r.id AND a.question_id IN ({ids}))"
    )


_FROM = """
FROM surveys_response r
JOIN surveys_invitation i ON i.id = r.invitation_id
JOIN agencies_servicerequest sr ON sr.unique_key = i.service_request_id
JOIN surveys_surveyversion sv ON sv.id = r.survey_version_id
LEFT JOIN agencies_complainttype ct ON ct.id = sr.complaint_type_id
LEFT JOIN resolutions_descriptionversion v ON v.id = (
    SELECT n.version_id FROM resolutions_resolutionnotice n
    WHERE n.service_request_id = sr.unique_key
    ORDER BY n.recorded_at DESC, n.id DESC LIMIT 1
)
LEFT JOIN resolutions_resolutiondescription d ON d.id = v.description_id
WHERE r.submitted_at >= %s AND r.submitted_at < %s {simulated}
"""


def _from_sql(*, include_simulated: bool) -> str:
    return _FROM.format(simulated="" if include_simulated else "AND NOT r.is_simulated")


def rows_sql(*, columns: list[AnswerColumn], include_simulated: bool) -> str:
    """The month's rows: the quasi-identifiers, then survey version and answers."""
    comment = (
        "(SELECT cr.redacted_text FROM surveys_commentreview cr"
        " JOIN surveys_answer ca ON ca.id = cr.answer_id"
        f" WHERE ca.response_id = r.id AND cr.status = '{CommentReview.Status.APPROVED}'"
        " ORDER BY ca.id LIMIT 1)"
    )
    select = [
        *_QI_SQL,
        "sv.number",
        "r.satisfaction",
        "r.is_complete",
        *(_answer_sql(column) for column in columns),
        comment,
    ]
    return (
        f"SELECT {', '.join(select)} {_from_sql(include_simulated=include_simulated)}"
    )


def groups_sql(*, include_simulated: bool) -> str:
    """How many of the month's responses share each combination of quasi-identifiers."""
    qi = ", ".join(_QI_SQL)
    return (
        f"SELECT {qi}, COUNT(*) {_from_sql(include_simulated=include_simulated)}"
        f" GROUP BY {qi}"
    )


FUNNEL_SQL = """
SELECT sr.agency_id, i.channel,
    COUNT(*),
    SUM(CASE WHEN EXISTS (
        SELECT 1 FROM surveys_message m
        WHERE m.invitation_id = i.id AND m.status = 'delivered'
    ) THEN 1 ELSE 0 END),
    SUM(CASE WHEN EXISTS (
        SELECT 1 FROM surveys_message m
        WHERE m.invitation_id = i.id AND m.status = 'bounced'
    ) AND NOT EXISTS (
        SELECT 1 FROM surveys_message m
        WHERE m.invitation_id = i.id AND m.status = 'delivered'
    ) THEN 1 ELSE 0 END),
    SUM(CASE WHEN EXISTS (
        SELECT 1 FROM surveys_response rr WHERE rr.invitation_id = i.id
    ) THEN 1 ELSE 0 END)
FROM surveys_invitation i
JOIN agencies_servicerequest sr ON sr.unique_key = i.service_request_id
WHERE i.sent_at >= %s AND i.sent_at < %s {simulated}
GROUP BY sr.agency_id, i.channel
"""


def funnel_sql(*, include_simulated: bool) -> str:
    """Invitations sent in the month, by agency and channel: sent, delivered,
    bounced (and never delivered), answered."""
    return FUNNEL_SQL.format(
        simulated="" if include_simulated else "AND NOT i.is_simulated"
    )
