"""What the review queue, a case page and the export read, scoped to the viewer."""

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from django.db.models import BigIntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from agencies.roles import scope_to_user
from resolutions.models import ResolutionNotice
from surveys.models import Answer, ReviewCase, ReviewEvent
from surveys.publication.redaction import redact_comment

PAGE_SIZE = 50
# The queue counts its matches up to this many: an exact count of hundreds of
# thousands of cases would cost more than the page itself.
COUNT_LIMIT = 10_000


def cases_for(user) -> QuerySet[ReviewCase]:
    """The cases the user may see: their agency's, or all for city-wide staff."""
    return scope_to_user(ReviewCase.objects.all(), user)


@dataclass(frozen=True)
class Selection:
    """Cases ticked for bulk assignment, sorted by what may happen to them."""

    open_cases: QuerySet[ReviewCase]
    closed: int
    not_yours: int


def selected_cases(*, user, ids: Collection[int]) -> Selection:
    """The open cases among `ids` that the user may work; the rest only counted:
    closed ones of theirs, and ids outside their scope (another agency's case, or
    none), which stay as untouched as if they did not exist."""
    ids = set(ids)
    scoped = dict(cases_for(user).filter(pk__in=ids).values_list("pk", "status"))
    open_ids = [pk for pk, status in scoped.items() if status == ReviewCase.Status.OPEN]
    return Selection(
        open_cases=cases_for(user).open().filter(pk__in=open_ids),
        closed=len(scoped) - len(open_ids),
        not_yours=len(ids) - len(scoped),
    )


def _comment() -> Subquery:
    # answer_unique_question (response, question) serves this per row.
    return Subquery(
        Answer.objects.filter(
            response_id=OuterRef("response_id"), question__key="comment"
        )
        .exclude(text="")
        .values("text")[:1]
    )


def queue_cases(*, user, filters: dict) -> QuerySet[ReviewCase]:
    """The queue: the user's cases matching the filters, in priority order.

    `filters` holds the cleaned values of surveys.review.forms.QueueFilterForm.
    """
    cases = cases_for(user)
    status = filters.get("status") or ReviewCase.Status.OPEN
    if status != "all":
        cases = cases.filter(status=status)
    if filters.get("agency"):
        cases = cases.filter(agency=filters["agency"])
    if filters.get("complaint_type"):
        cases = cases.filter(service_request__complaint_type=filters["complaint_type"])
    if filters.get("borough"):
        cases = cases.filter(service_request__borough=filters["borough"])
    if filters.get("outcome"):
        cases = cases.filter(told_outcome=filters["outcome"])
    if filters.get("resolution"):
        cases = cases.filter(resolution=filters["resolution"])
    assignee = filters.get("assignee")
    if assignee == "me":
        cases = cases.filter(assigned_to=user)
    elif assignee == "none":
        cases = cases.filter(assigned_to__isnull=True)
    elif assignee:
        cases = cases.filter(assigned_to_id=assignee)
    if filters.get("older_than_days"):
        since = timezone.now() - timedelta(days=filters["older_than_days"])
        cases = cases.filter(opened_at__lt=since)
    if filters.get("overdue"):
        cases = cases.overdue()
    if number := filters.get("request_number"):
        # Request numbers are 64-bit: a longer one matches nothing, and asking
        # the database for it would fail instead.
        if number > BigIntegerField.MAX_BIGINT:
            cases = cases.none()
        else:
            cases = cases.filter(service_request_id=number)
    return (
        cases.select_related(
            "response",
            "service_request__complaint_type",
            "assigned_to",
        )
        .annotate(comment=_comment())
        .in_queue_order()
    )


@dataclass(frozen=True)
class QueuePage:
    cases: list[ReviewCase]
    number: int
    has_next: bool
    count: int
    count_is_exact: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def start(self) -> int:
        return (self.number - 1) * PAGE_SIZE + 1

    @property
    def end(self) -> int:
        return self.start + len(self.cases) - 1


def queue_page(cases: QuerySet[ReviewCase], *, number: int) -> QueuePage:
    """One page of the queue in two queries, whatever the number of matches."""
    offset = (number - 1) * PAGE_SIZE
    rows = list(cases[offset : offset + PAGE_SIZE + 1])
    bounded = cases.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    return QueuePage(
        cases=rows[:PAGE_SIZE],
        number=number,
        has_next=len(rows) > PAGE_SIZE,
        count=min(bounded, COUNT_LIMIT),
        count_is_exact=bounded <= COUNT_LIMIT,
    )


def case_detail(*, user, pk: int) -> ReviewCase:
    """The case with everything its page shows; DoesNotExist outside the scope."""
    return (
        cases_for(user)
        .select_related(
            "agency",
            "response__invitation__contact",
            "response__survey_version",
            "service_request__agency",
            "service_request__complaint_type",
            "service_request__resolution_description",
            "assigned_to",
            "closed_by",
        )
        .prefetch_related(
            Prefetch(
                "response__answers",
                queryset=Answer.objects.select_related("question")
                .prefetch_related("question__choices")
                .order_by("question__position"),
            ),
            Prefetch(
                "events",
                queryset=ReviewEvent.objects.select_related("actor", "assignee"),
            ),
            Prefetch(
                "service_request__notices",
                queryset=ResolutionNotice.objects.select_related(
                    "version__description"
                ).prefetch_related("version__translations"),
            ),
        )
        .get(pk=pk)
    )


def export_rows(cases: QuerySet[ReviewCase]):
    """The export's rows, read in chunks so memory stays flat.

    A file leaves the site and is passed around, so the comment goes out as the
    open-data review sees it: emails, phone numbers and addresses removed.
    """
    for case in cases.select_related("closed_by").iterator(chunk_size=2000):
        yield [
            case.service_request_id,
            case.agency_id,
            case.service_request.complaint_type.name
            if case.service_request.complaint_type
            else "",
            case.service_request.borough,
            case.told_outcome,
            case.get_priority_display(),
            "; ".join(case.reasons),
            case.get_status_display(),
            "yes" if case.is_overdue else "no",
            case.assigned_to.get_username() if case.assigned_to else "",
            case.opened_at,
            case.due_at,
            case.response.satisfaction,
            case.response.fixed,
            case.response.wants_reopen,
            redact_comment(case.comment or ""),
            case.get_resolution_display() if case.resolution else "",
            # Staff may have noted a number to call back: never in a download.
            redact_comment(case.resolution_note),
            case.closed_by.get_username() if case.closed_by else "",
            case.closed_at,
            "simulated" if case.is_simulated else "",
        ]


EXPORT_HEADER = [
    "request_number",
    "agency",
    "complaint_type",
    "borough",
    "told_outcome",
    "priority",
    "reasons",
    "status",
    "overdue",
    "assigned_to",
    "opened_at",
    "due_at",
    "satisfaction",
    "fixed",
    "wants_reopen",
    "comment",
    "resolution",
    "resolution_note",
    "closed_by",
    "closed_at",
    "simulated",
]
