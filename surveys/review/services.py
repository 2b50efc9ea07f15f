"""Review cases: opening one for a response that needs a supervisor, and working it.

Every change goes through a function here and leaves a ReviewEvent, so the
case's history says who did what and when.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction
from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    Func,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import Trim, Upper
from django.utils import timezone
from django.utils.formats import date_format

from agencies.models import ServiceRequest, StaffMembership
from agencies.roles import sees_all_agencies
from resolutions.models import ResolutionDescription, ResolutionNotice
from surveys.models import Response, ReviewCase, ReviewEvent
from surveys.review.deadlines import review_due_at
from surveys.scales import DISSATISFIED, score_of

logger = logging.getLogger(__name__)

WORK_PERMISSION = "surveys.work_reviewcase"

Outcome = ResolutionDescription.Outcome
Priority = ReviewCase.Priority
Kind = ReviewEvent.Kind

DISSATISFIED_SCORES = frozenset(score_of(value) for value in DISSATISFIED)
# Told outcomes that close a request without fixing anything; closed fast, they
# deserve a second look when the resident disagrees.
FAST_CLOSURE_OUTCOMES = frozenset(
    {Outcome.NO_VIOLATION, Outcome.NO_ACCESS, Outcome.NOT_ENOUGH_INFORMATION}
)


class ReviewError(Exception):
    """A step a supervisor asked for that the case does not allow; the text says why."""


class NormalisedAddress(Func):
    """An incident address with case and runs of white space ignored."""

    output_field = models.TextField()

    def __init__(self, expression, **extra):
        super().__init__(Upper(Trim(expression)), **extra)

    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template="REGEXP_REPLACE(%(expressions)s, '\\s+', ' ', 'g')",
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite (development only) has no regular-expression replace: tabs and
        # line breaks become spaces, then each pass halves runs of spaces, so four
        # collapse runs of up to 16.
        template = "%(expressions)s"
        for character in ("char(9)", "char(10)", "char(13)"):
            template = f"REPLACE({template}, {character}, ' ')"
        for _ in range(4):
            template = f"REPLACE({template}, '  ', ' ')"
        return self.as_sql(compiler, connection, template=template, **extra_context)


def later_report(*, outer: str = "") -> Exists:
    """Whether another request of the same complaint type at the same address was
    created within REVIEW_REPEAT_DAYS after the closure of the outer request.

    `outer` is the path from the outer query's model to the request ("" for a
    ServiceRequest query, "service_request__" for a ReviewCase query).
    """
    closed_at = OuterRef(f"{outer}closed_at")
    window_end = ExpressionWrapper(
        closed_at + timedelta(days=settings.REVIEW_REPEAT_DAYS),
        output_field=DateTimeField(),
    )
    return Exists(
        ServiceRequest.objects.filter(
            # sr_agency_created serves the agency and creation window.
            agency_id=OuterRef(f"{outer}agency_id"),
            complaint_type_id=OuterRef(f"{outer}complaint_type_id"),
            created_at__gt=closed_at,
            created_at__lte=window_end,
        )
        .exclude(unique_key=OuterRef(f"{outer}unique_key"))
        .exclude(incident_address="")
        .alias(address=NormalisedAddress("incident_address"))
        .filter(address=NormalisedAddress(OuterRef(f"{outer}incident_address")))
    )


def needs_review(response: Response) -> bool:
    return (
        response.satisfaction in DISSATISFIED_SCORES
        or response.fixed == Response.Fixed.NO
        or bool(response.wants_reopen)
    )


def _told_outcome(service_request: ServiceRequest) -> str:
    """The outcome of the description the resident was told at closure."""
    notice = (
        ResolutionNotice.objects.filter(service_request=service_request)
        .values_list("version__description__outcome", flat=True)
        .first()
    )
    if notice:
        return notice
    if service_request.resolution_description_id:
        return service_request.resolution_description.outcome
    return ""


def _priority_of(case: ReviewCase) -> int:
    if case.wants_reopen:
        return Priority.REOPEN_REQUESTED
    if case.is_not_fixed and case.was_told_fixed:
        return Priority.NOT_FIXED_BUT_TOLD_FIXED
    if case.is_fast_closure:
        return Priority.FAST_CLOSURE
    if case.is_repeat_request:
        return Priority.REPEAT_REQUEST
    return Priority.OTHER


def _is_fast_closure(service_request: ServiceRequest, told_outcome: str) -> bool:
    created, closed = service_request.created_at, service_request.closed_at
    if told_outcome not in FAST_CLOSURE_OUTCOMES or not created or not closed:
        return False
    return (
        timedelta(0)
        <= closed - created
        <= timedelta(hours=settings.REVIEW_FAST_CLOSURE_HOURS)
    )


def _is_repeat_request(service_request: ServiceRequest) -> bool:
    if not (
        service_request.closed_at
        and service_request.complaint_type_id
        and service_request.incident_address.strip()
    ):
        return False
    return (
        ServiceRequest.objects.filter(pk=service_request.pk)
        .filter(later_report())
        .exists()
    )


def open_review_case(
    *, response: Response, opened_at: datetime | None = None
) -> ReviewCase | None:
    """Open the response's review case if its answers need one; None if not.

    Called by record_response in its transaction, for a new response and for an
    SMS-started one completed on the web. A response has at most one case: a
    second call updates the open case's reasons and priority instead.
    """
    if not needs_review(response):
        return None
    service_request = (
        ServiceRequest.objects.select_related("resolution_description")
        .only(
            "unique_key",
            "agency_id",
            "complaint_type_id",
            "created_at",
            "closed_at",
            "incident_address",
            "resolution_description__outcome",
        )
        .get(pk=response.invitation.service_request_id)
    )
    told_outcome = _told_outcome(service_request)
    flags = {
        "is_dissatisfied": response.satisfaction in DISSATISFIED_SCORES,
        "is_not_fixed": response.fixed == Response.Fixed.NO,
        "wants_reopen": bool(response.wants_reopen),
        "was_told_fixed": told_outcome == Outcome.FIXED,
        "is_fast_closure": _is_fast_closure(service_request, told_outcome),
        "is_repeat_request": _is_repeat_request(service_request),
        "told_outcome": told_outcome,
    }

    existing = ReviewCase.objects.select_for_update().filter(response=response).first()
    if existing is not None:
        if existing.status == ReviewCase.Status.OPEN:
            _update_reasons(existing, flags)
        return existing

    now = opened_at or timezone.now()
    case = ReviewCase(
        response=response,
        agency_id=service_request.agency_id,
        service_request=service_request,
        opened_at=now,
        due_at=review_due_at(now),
        is_simulated=response.is_simulated,
        **flags,
    )
    case.priority = _priority_of(case)
    case.save()
    ReviewEvent.objects.create(
        case=case,
        kind=Kind.OPENED,
        at=now,
        text=f"{'; '.join(case.reasons)}. Priority: {case.get_priority_display()}.",
    )
    logger.info(
        "Review case %s opened for response %s, priority %s",
        case.pk,
        response.pk,
        case.priority,
    )
    return case


# What a supervisor may close a case as; "Completed answers need no review" is
# the site's own, when a resident's web answers replace a text reply's.
STAFF_RESOLUTIONS = frozenset(ReviewCase.Resolution.values) - {
    ReviewCase.Resolution.ANSWERS_COMPLETED
}


def review_completed_answers(*, response: Response) -> ReviewCase | None:
    """Bring the response's review case in line with its answers completed on the web.

    A response begun by text message may have opened a case that the completed
    answers no longer call for ("2" by text, then "Strongly agree" on the web).
    An unassigned case is then closed by the site; an assigned one stays with its
    supervisor, with a note in its history saying why it could be closed. Answers
    that still need review update the case's reasons as open_review_case does.
    """
    if needs_review(response):
        return open_review_case(response=response)
    case = (
        ReviewCase.objects.select_for_update()
        .filter(response=response, status=ReviewCase.Status.OPEN)
        .first()
    )
    if case is None:
        return None
    why = (
        "The resident completed the survey on the web, and the completed answers "
        "are not dissatisfied, do not say the problem was not fixed and do not ask "
        "to reopen the request."
    )
    if case.assigned_to_id is not None:
        ReviewEvent.objects.create(
            case=case,
            kind=Kind.NOTE,
            text=f"{why} The case stays open because it is assigned: close it when "
            "done.",
        )
        logger.info(
            "Review case %s: answers completed, left with its assignee", case.pk
        )
        return case
    _close(case, resolution=ReviewCase.Resolution.ANSWERS_COMPLETED, note=why)
    return case


def _update_reasons(case: ReviewCase, flags: dict) -> None:
    before = case.priority
    for name, value in flags.items():
        setattr(case, name, value)
    case.priority = _priority_of(case)
    case.save(update_fields=[*flags, "priority"])
    if case.priority != before:
        ReviewEvent.objects.create(
            case=case,
            kind=Kind.PRIORITY_CHANGED,
            text=f"Priority: {case.get_priority_display()} (answers completed).",
        )


def refresh_review_priorities() -> int:
    """Raise open cases whose request was reported again since they opened.

    Only requests closed within REVIEW_REPEAT_DAYS can still get a repeat, so the
    scan stays small however many cases are open. Returns how many were raised.
    """
    since = timezone.now() - timedelta(days=settings.REVIEW_REPEAT_DAYS)
    with transaction.atomic():
        raised = list(
            ReviewCase.objects.open()
            .filter(is_repeat_request=False, service_request__closed_at__gte=since)
            .exclude(service_request__incident_address="")
            .filter(later_report(outer="service_request__"))
            .select_for_update(of=("self",))
            .only("id", "priority")
        )
        if not raised:
            return 0
        ids = [case.pk for case in raised]
        ReviewCase.objects.filter(pk__in=ids).update(is_repeat_request=True)
        ReviewCase.objects.filter(
            pk__in=ids, priority__gt=Priority.REPEAT_REQUEST
        ).update(priority=Priority.REPEAT_REQUEST)
        ReviewEvent.objects.bulk_create(
            ReviewEvent(
                case_id=case.pk,
                kind=Kind.PRIORITY_CHANGED,
                text="The same problem was reported again at the same address."
                + (
                    f" Priority: {Priority.REPEAT_REQUEST.label}."
                    if case.priority > Priority.REPEAT_REQUEST
                    else ""
                ),
            )
            for case in raised
        )
    logger.info("Raised %s review cases for repeat requests", len(raised))
    return len(raised)


def eligible_assignees(*, agency_id: str | None, actor=None) -> QuerySet:
    """Whom the actor may give a case of the agency: its supervisors, and a city
    administrator themselves, who works every agency's cases. Other city
    administrators are never offered: a supervisor hands work to a colleague of
    the agency, not upwards."""
    people = Q(
        membership__role=StaffMembership.Role.SUPERVISOR,
        membership__agency_id=agency_id,
    )
    if (
        actor is not None
        and actor.has_perm(WORK_PERMISSION)
        and sees_all_agencies(actor)
    ):
        people |= Q(pk=actor.pk)
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(people)
        .order_by("username")
    )


def _locked(case: ReviewCase) -> ReviewCase:
    return ReviewCase.objects.select_for_update().get(pk=case.pk)


@transaction.atomic
def assign_case(*, case: ReviewCase, assignee, actor) -> bool:
    """Give the case to a supervisor of its agency (or to the acting city
    administrator), or to nobody with assignee None. False when nothing changed,
    e.g. a repeated post."""
    case = _locked(case)
    if case.status != ReviewCase.Status.OPEN:
        raise ReviewError("This case is closed.")
    if (
        assignee is not None
        and not eligible_assignees(agency_id=case.agency_id, actor=actor)
        .filter(pk=assignee.pk)
        .exists()
    ):
        raise ReviewError(
            f"{assignee.get_username()} is not a supervisor of {case.agency_id}."
        )
    if case.assigned_to_id == (assignee.pk if assignee else None):
        return False
    ReviewCase.objects.filter(pk=case.pk).update(assigned_to=assignee)
    ReviewEvent.objects.create(
        case=case,
        kind=Kind.ASSIGNED if assignee else Kind.UNASSIGNED,
        actor=actor,
        assignee=assignee,
    )
    logger.info(
        "Review case %s assigned to %s by %s",
        case.pk,
        assignee.pk if assignee else None,
        actor.pk,
    )
    return True


def bulk_assign(*, cases: QuerySet, assignee, actor) -> tuple[int, int]:
    """Assign each case; (assigned, skipped) where skipped were closed, already
    the assignee's, or of an agency the assignee does not supervise."""
    assigned = skipped = 0
    for case in cases.order_by("pk"):
        try:
            changed = assign_case(case=case, assignee=assignee, actor=actor)
        except ReviewError:
            changed = False
        assigned += changed
        skipped += not changed
    return assigned, skipped


@transaction.atomic
def add_note(*, case: ReviewCase, text: str, actor) -> bool:
    """Add an internal note; False if it repeats the actor's latest note (a
    resubmitted form)."""
    text = text.strip()
    if not text:
        raise ReviewError("A note needs some text.")
    case = _locked(case)
    latest = case.events.filter(kind=Kind.NOTE, actor=actor).order_by("-at").first()
    if latest is not None and latest.text == text:
        return False
    ReviewEvent.objects.create(case=case, kind=Kind.NOTE, actor=actor, text=text)
    return True


@transaction.atomic
def close_case(*, case: ReviewCase, resolution: str, note: str, actor) -> bool:
    """Close the case with what was done. "No action possible" needs the reason in
    `note`. False if the actor's own closing is posted again; ReviewError if the
    case was closed otherwise, so a second supervisor learns that their outcome
    was not recorded instead of losing it silently."""
    note = note.strip()
    if resolution not in STAFF_RESOLUTIONS:
        raise ReviewError("Choose what was done.")
    if resolution == ReviewCase.Resolution.NO_ACTION_POSSIBLE and not note:
        raise ReviewError("Say why no action is possible.")
    case = _locked(case)
    if case.status == ReviewCase.Status.CLOSED:
        if (case.closed_by_id, case.resolution, case.resolution_note) == (
            actor.pk,
            resolution,
            note,
        ):
            return False
        closed_by = case.closed_by.get_username() if case.closed_by else "the site"
        closed_on = date_format(timezone.localtime(case.closed_at), "D j M Y, H:i")
        raise ReviewError(
            f"This case was already closed by {closed_by} on {closed_on}; your "
            "outcome was not recorded."
        )
    _close(case, resolution=resolution, note=note, actor=actor)
    return True


def _close(case: ReviewCase, *, resolution: str, note: str, actor=None) -> None:
    """Close an open case and write it in its history; `actor` None is the site."""
    now = timezone.now()
    ReviewCase.objects.filter(pk=case.pk).update(
        status=ReviewCase.Status.CLOSED,
        closed_at=now,
        closed_by=actor,
        resolution=resolution,
        resolution_note=note,
    )
    label = ReviewCase.Resolution(resolution).label
    ReviewEvent.objects.create(
        case=case,
        kind=Kind.CLOSED,
        actor=actor,
        at=now,
        text=f"{label}: {note}" if note else label,
    )
    logger.info(
        "Review case %s closed as %s by %s",
        case.pk,
        resolution,
        actor.pk if actor else "the site",
    )
