"""The supervisor review queue and case pages: interfaces over surveys.review.services.

Only users with surveys.work_reviewcase (supervisors, city administrators) may
use them; another agency's case is a 404, as if it did not exist.
"""

from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language_info
from django.views.decorators.http import require_GET, require_POST

from agencies.roles import agency_code_of
from config.csv_export import csv_response
from resolutions.rendering import resident_text
from surveys.masking import can_see_contact_details, mask_email, mask_phone
from surveys.models import ReviewCase
from surveys.review import selectors, services
from surveys.review.forms import (
    AssignForm,
    BulkAssignForm,
    CloseForm,
    NoteForm,
    QueueFilterForm,
)
from surveys.scales import SCALES

WORK_PERMISSION = services.WORK_PERMISSION


def reviewers_only(view):
    """Anonymous users go to the login page; staff without the permission get 403."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.has_perm(WORK_PERMISSION):
            raise PermissionDenied("Only supervisors work the review queue.")
        return view(request, *args, **kwargs)

    return wrapped


def _frame(request: HttpRequest, **context) -> dict:
    return {
        "staff_section": "review",
        "staff_agency": agency_code_of(request.user),
        **context,
    }


def _case_or_404(request: HttpRequest, pk: int) -> ReviewCase:
    try:
        return selectors.cases_for(request.user).get(pk=pk)
    except ReviewCase.DoesNotExist:
        raise Http404("No such case.") from None


def _back_to_queue(request: HttpRequest) -> str:
    """The queue with the filters the user came from, never another site."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("review:queue")


MAX_PAGE = 1_000_000


@require_GET
@reviewers_only
def queue(request: HttpRequest) -> HttpResponse:
    filters = QueueFilterForm(request.GET or None, user=request.user)
    values = filters.values()
    cases = selectors.queue_cases(user=request.user, filters=values)
    try:
        # Past the last page the queue is empty; far past it, the offset would
        # not fit the database's integers.
        number = min(max(1, int(request.GET.get("page", 1))), MAX_PAGE)
    except ValueError:
        number = 1
    page = selectors.queue_page(cases, number=number)
    query = {key: value for key, value in request.GET.items() if key != "page"}
    bulk = BulkAssignForm(user=request.user)
    return render(
        request,
        "review/queue.html",
        _frame(
            request,
            filters=filters,
            page=page,
            bulk=bulk,
            query=urlencode(query),
            export_url=f"{reverse('review:export')}?{urlencode(query)}",
            sees_all=filters.sees_all,
        ),
    )


@require_GET
@reviewers_only
def export(request: HttpRequest) -> HttpResponse:
    values = QueueFilterForm(request.GET or None, user=request.user).values()
    cases = selectors.queue_cases(user=request.user, filters=values)
    return csv_response(
        filename="review-cases.csv",
        header=selectors.EXPORT_HEADER,
        rows=selectors.export_rows(cases),
    )


@require_POST
@reviewers_only
def bulk_assign(request: HttpRequest) -> HttpResponse:
    form = BulkAssignForm(request.POST, user=request.user)
    if not form.is_valid():
        problems = []
        if "cases" in form.errors:
            problems.append("tick at least one case")
        if "assignee" in form.errors:
            problems.append("choose a supervisor of your agency to assign them to")
        messages.error(request, f"Nothing assigned: {' and '.join(problems)}.")
        return redirect(_back_to_queue(request))
    selection = selectors.selected_cases(
        user=request.user, ids=form.cleaned_data["cases"]
    )
    assigned, unchanged = services.bulk_assign(
        cases=selection.open_cases,
        assignee=form.cleaned_data["assignee"],
        actor=request.user,
    )
    text = f"{assigned} case{'s' if assigned != 1 else ''} assigned."
    if unchanged:
        text += (
            f" {unchanged} left as they were (already theirs, or of an agency they "
            "do not supervise)."
        )
    if selection.closed:
        text += f" {selection.closed} skipped: no longer open."
    if selection.not_yours:
        text += f" {selection.not_yours} skipped: not among your cases."
    (messages.success if assigned else messages.warning)(request, text)
    return redirect(_back_to_queue(request))


def _answers(case: ReviewCase) -> list[dict]:
    """The resident's answers with their labels, in the order they were asked."""
    rows = []
    for answer in case.response.answers.all():
        question = answer.question
        if question.kind == question.Kind.TEXT:
            shown = answer.text
        else:
            labels = {
                point.value: str(point.label) for point in SCALES.get(question.kind, ())
            }
            labels.update(
                {choice.value: choice.label for choice in question.choices.all()}
            )
            shown = ", ".join(labels.get(value, value) for value in answer.values)
        if shown:
            rows.append(
                {"question": question.prompt, "answer": shown, "key": question.key}
            )
    return rows


def _language_name(code: str) -> str:
    """The language's English name ("Urdu" for "ur"), which staff read."""
    try:
        return get_language_info(code)["name"]
    except KeyError:
        return code


def _contact(request: HttpRequest, case: ReviewCase) -> dict | None:
    contact = case.response.invitation.contact
    if contact is None:
        return None
    if can_see_contact_details(request.user):
        return {"email": contact.email, "phone": contact.phone_e164, "masked": False}
    return {
        "email": mask_email(contact.email),
        "phone": mask_phone(contact.phone_e164),
        "masked": True,
    }


def _render_case(
    request: HttpRequest, pk: int, *, status: int = 200, **forms
) -> HttpResponse:
    try:
        case = selectors.case_detail(user=request.user, pk=pk)
    except ReviewCase.DoesNotExist:
        raise Http404("No such case.") from None
    told = []
    for notice in case.service_request.notices.all():
        # Filled as the resident's message was, address included: whoever may
        # open the case may see the request's address.
        text = resident_text(notice.version, notice.language, case.service_request)
        told.append(
            {
                "notice": notice,
                "text": text.text,
                "language": _language_name(notice.language),
                "in_english_instead": text.is_fallback,
            }
        )
    answers = _answers(case)
    context = _frame(
        request,
        case=case,
        told=told,
        invitation_language=_language_name(case.response.invitation.language),
        response_language=_language_name(case.response.language),
        answers=[row for row in answers if row["key"] != "comment"],
        comment=next((row["answer"] for row in answers if row["key"] == "comment"), ""),
        contact=_contact(request, case),
        assign_form=forms.get("assign_form")
        or AssignForm(
            initial={"assignee": case.assigned_to_id},
            agency_id=case.agency_id,
            actor=request.user,
        ),
        note_form=forms.get("note_form") or NoteForm(),
        close_form=forms.get("close_form") or CloseForm(),
    )
    return render(request, "review/case.html", context, status=status)


@require_GET
@reviewers_only
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_case(request, pk)


def _case_url(case: ReviewCase) -> str:
    return reverse("review:case", kwargs={"pk": case.pk})


@require_POST
@reviewers_only
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if request.POST.get("assignee") == "me":
        data = {"assignee": request.user.pk}
    else:
        data = request.POST
    form = AssignForm(data, agency_id=case.agency_id, actor=request.user)
    if not form.is_valid():
        return _render_case(request, pk, status=400, assign_form=form)
    try:
        changed = services.assign_case(
            case=case, assignee=form.cleaned_data["assignee"], actor=request.user
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(_case_url(case))
    if changed:
        assignee = form.cleaned_data["assignee"]
        messages.success(
            request,
            f"Assigned to {assignee.get_username()}." if assignee else "Unassigned.",
        )
    return redirect(_case_url(case))


@require_POST
@reviewers_only
def add_note(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _render_case(request, pk, status=400, note_form=form)
    if services.add_note(case=case, text=form.cleaned_data["text"], actor=request.user):
        messages.success(request, "Note added.")
    return redirect(_case_url(case))


@require_POST
@reviewers_only
def close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return _render_case(request, pk, status=400, close_form=form)
    try:
        changed = services.close_case(
            case=case,
            resolution=form.cleaned_data["resolution"],
            note=form.cleaned_data["note"],
            actor=request.user,
        )
    except services.ReviewError as error:
        messages.error(request, str(error))
        return redirect(_case_url(case))
    if changed:
        messages.success(request, "Case closed.")
    return redirect(_case_url(case))
