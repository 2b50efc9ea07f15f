"""The pages a resident's survey link opens: the survey, its thank-you page, and
the unsubscribe page.

The token in the link is the resident's only credential, so every page looks the
invitation up by token alone and answers a tampered, unknown, expired or unsent
link with one and the same page. Mail security scanners fetch every link in a
message, so a GET never records anything: only a POST with a CSRF token does,
through `record_response`, which keeps one response per invitation however often
the form is sent.
"""

import logging
import re
from datetime import datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
)
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.html import linebreaks
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from config.languages import activate_supported
from config.languages import remember_language as remember_language_cookie
from resolutions.rendering import ResidentText, resident_text
from surveys.composing import told_version
from surveys.forms import (
    CACHE_SECONDS,
    QuestionView,
    SurveyDefinition,
    SurveyForm,
    load_survey,
    preselected_answer,
)
from surveys.linkquery import find_invitation_row
from surveys.memo import TimedMemo
from surveys.models import Answer, Channel, Invitation, OptOut, Question, Response
from surveys.optouts import is_invited_opted_out, opt_out_invited
from surveys.ratelimits import is_over_limit
from surveys.responses import Outcome, record_response
from surveys.scales import DISSATISFIED, score_of
from surveys.shells import render_filled

logger = logging.getLogger(__name__)

# What new_token() makes (43 URL-safe characters), with room to spare. Anything
# else is not a token and gets the same page without a database look-up.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Paths that hold a token, which must stay out of the logs.
TOKEN_PATH = re.compile(r"^/[su]/")
DISSATISFIED_SCORES = frozenset(score_of(value) for value in DISSATISFIED)


# Looking up the link


def _find_invitation(token: str) -> Invitation | None:
    """The invitation and all the page needs of it, in one query."""
    if not TOKEN_PATTERN.fullmatch(token):
        return None
    return find_invitation_row(token)


def _find_sent_invitation(token: str) -> Invitation | None:
    """The invitation of a link that reached someone: only those can unsubscribe."""
    invitation = _find_invitation(token)
    return invitation if invitation is not None and invitation.sent_at else None


def _link_expires_at(invitation: Invitation) -> datetime | None:
    if invitation.expires_at is not None:
        return invitation.expires_at
    if invitation.sent_at is not None:
        return invitation.sent_at + timedelta(days=settings.SURVEY_LINK_DAYS)
    return None


def _is_open(invitation: Invitation | None) -> bool:
    """Sent (or answered), not expired, and with a survey to show."""
    if invitation is None or invitation.survey_version_id is None:
        return False
    if invitation.status not in (Invitation.Status.SENT, Invitation.Status.ANSWERED):
        return False
    expires_at = _link_expires_at(invitation)
    return expires_at is not None and timezone.now() < expires_at


def _response_of(invitation: Invitation) -> Response | None:
    try:
        return invitation.response
    except Response.DoesNotExist:
        return None


# Language: a ?lang= link, else the switcher's choice, else the invitation's.


def _use_language(request: HttpRequest, invitation: Invitation | None) -> str | None:
    """Activate the page's language; return it when a ?lang= link chose it."""
    candidates = (
        (request.GET.get("lang", ""), True),
        (request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""), False),
        (invitation.language if invitation else "", False),
    )
    for candidate, from_link in candidates:
        language = activate_supported(request, candidate) if candidate else None
        if language:
            return language if from_link else None
    return None


def _finish(
    response: HttpResponse, *, remember_language: str | None = None
) -> HttpResponse:
    # The pages belong to one resident: no shared cache may keep them.
    patch_cache_control(response, private=True, no_store=True)
    if remember_language:
        remember_language_cookie(response, remember_language)
    return response


def _unlogged(response: HttpResponse) -> HttpResponse:
    # Django logs every 4xx with its path, and the path holds the resident's
    # token: marked as logged already, it is left out of the logs.
    response._has_been_logged = True  # type: ignore[attr-defined]
    return response


def _link_not_working(request: HttpRequest) -> HttpResponse:
    _use_language(request, None)
    logger.info("Survey link refused (unknown, expired or not sent)")
    response = render(request, "surveys/link_not_working.html", status=404)
    return _unlogged(_finish(response))


def _too_many(request: HttpRequest) -> HttpResponse:
    _use_language(request, None)
    logger.warning("Survey link rate limited for %s", request.method)
    response = render(request, "surveys/too_many_requests.html", status=429)
    response["Retry-After"] = "600"
    return _unlogged(_finish(response))


# The request the survey is about


def _what_the_agency_did(invitation: Invitation, language: str) -> ResidentText | None:
    """What the resident was told at closure (their request's latest notice).

    Filled as for the public page, so the address never appears: the link may be
    forwarded or opened on a shared device, and the resident knows where they
    reported the problem.
    """
    if invitation.told_version_id is None:
        return None
    return resident_text(
        told_version(invitation.told_version_id),
        language,
        invitation.service_request,
        public=True,
    )


def _paragraphs(text: str) -> str:
    """The text escaped, in paragraphs, as the `linebreaks` filter draws it."""
    return mark_safe(linebreaks(text, autoescape=True))  # noqa: S308 (escaped)


def _request_context(
    invitation: Invitation, language: str, *, with_explanation: bool = False
) -> dict:
    service_request = invitation.service_request
    explanation = (
        _what_the_agency_did(invitation, language) if with_explanation else None
    )
    return {
        "token": invitation.token,
        "request_number": str(service_request.unique_key),
        "complaint_type": service_request.complaint_type.name
        if service_request.complaint_type
        else "",
        "agency_name": service_request.agency.name
        if service_request.agency
        else service_request.agency_name,
        "explanation": explanation,
        "explanation_html": _paragraphs(explanation.text) if explanation else "",
        "explanation_is_rtl": explanation is not None
        and translation.get_language_info(explanation.language)["bidi"],
        "status_url": reverse("request_status", args=[service_request.unique_key]),
    }


# The survey


def _sms_answers(response: Response) -> dict[str, str | list[str]]:
    """A response begun by text message, as initial values of the web form."""
    initial: dict[str, str | list[str]] = {}
    for answer in Answer.objects.filter(response=response).select_related("question"):
        if answer.question.kind == Question.Kind.TEXT:
            initial[answer.question.key] = answer.text
        elif answer.question.kind == Question.Kind.MULTIPLE:
            initial[answer.question.key] = list(answer.values)
        elif answer.values:
            initial[answer.question.key] = answer.values[0]
    return initial


# What each resident's page fills in, apart from the CSRF token and the path.
REQUEST_SLOTS = ("token", "request_number", "complaint_type", "agency_name")


def _already_received(
    request: HttpRequest, invitation: Invitation, language: str
) -> HttpResponse:
    context = _request_context(invitation, language)
    return render_filled(
        request,
        "surveys/already_received.html",
        key=(),
        context=context,
        slots=(*REQUEST_SLOTS, "status_url"),
    )


def _language_next(request: HttpRequest, survey: SurveyDefinition) -> str:
    answer = request.GET.get("answer", "")
    if request.method == "POST" or not preselected_answer(survey, answer):
        return request.path
    return f"{request.path}?{urlencode({'answer': answer})}"


@require_http_methods(["GET", "HEAD", "POST"])
def survey(request: HttpRequest, token: str) -> HttpResponse:
    """The survey: GET shows it (never records), POST records it once."""
    if is_over_limit(request, token=token):
        return _too_many(request)
    invitation = _find_invitation(token)
    if not _is_open(invitation):
        return _link_not_working(request)
    chosen = _use_language(request, invitation)
    language = translation.get_language()

    existing = _response_of(invitation)
    if existing is not None and existing.is_complete:
        return _finish(
            _already_received(request, invitation, language), remember_language=chosen
        )

    survey = load_survey(version_id=invitation.survey_version_id, language=language)
    errors = []
    if request.method == "POST":
        form = SurveyForm(request.POST, survey=survey)
        if form.is_valid():
            _, outcome = record_response(
                invitation=invitation,
                answers=form.answers(),
                language=language,
                channel=invitation.channel,
            )
            if outcome is Outcome.ALREADY_RECEIVED:
                return _finish(_already_received(request, invitation, language))
            thanks = HttpResponseRedirect(
                reverse("surveys:thanks", args=[invitation.token])
            )
            thanks.status_code = 303
            return _finish(thanks)
        questions = list(form.question_views())
        errors = [view for view in questions if view.errors]
        questions_html = _render_questions(questions)
    elif existing is not None:
        # Begun by text message: the web form starts from those answers.
        initial = {**_sms_answers(existing), **_from_link(request, survey)}
        form = SurveyForm(initial=initial, survey=survey)
        questions_html = _render_questions(list(form.question_views()))
    else:
        questions_html = _fresh_form(survey, _from_link(request, survey))

    context = {
        **_request_context(invitation, language, with_explanation=True),
        "survey": survey,
        "questions_html": questions_html,
        "errors": errors,
        "has_sms_answer": existing is not None,
        # Switching language keeps the link and a valid ?answer=, nothing else.
        "language_next": _language_next(request, survey),
    }
    if errors:
        page = render(request, "surveys/survey.html", context)
    else:
        explanation = context["explanation"]
        page = render_filled(
            request,
            "surveys/survey.html",
            # The survey's texts and how the explanation is marked up.
            key=(
                survey.version_id,
                existing is not None,
                explanation and (explanation.language, explanation.is_fallback),
            ),
            context=context,
            slots=(*REQUEST_SLOTS, "language_next"),
            html_slots=("questions_html", "explanation_html"),
        )
    return _finish(page, remember_language=chosen)


def _from_link(request: HttpRequest, survey: SurveyDefinition) -> dict[str, str]:
    return preselected_answer(survey, request.GET.get("answer", ""))


def _render_questions(questions: list[QuestionView]) -> str:
    html = render_to_string("surveys/_questions.html", {"questions": questions})
    return mark_safe(html)  # noqa: S308 (our own template's output)


_fresh_forms: TimedMemo[str] = TimedMemo(seconds=CACHE_SECONDS)


def _fresh_form(survey: SurveyDefinition, initial: dict[str, str]) -> str:
    """The unanswered questions, drawn once per survey, language and link answer.

    They differ only by the answer a rating link preselects, so a handful are kept
    per survey and language.
    """

    def build() -> tuple[str, bool]:
        form = SurveyForm(initial=initial, survey=survey)
        return _render_questions(list(form.question_views())), True

    key = (survey.version_id, survey.language, tuple(sorted(initial.items())))
    return _fresh_forms.get_or_build(key, build)


@require_http_methods(["GET", "HEAD"])
def thanks(request: HttpRequest, token: str) -> HttpResponse:
    """After the answers are in: thanks, and what happens next."""
    if is_over_limit(request, token=token):
        return _too_many(request)
    invitation = _find_invitation(token)
    if not _is_open(invitation):
        return _link_not_working(request)
    chosen = _use_language(request, invitation)
    response = _response_of(invitation)
    if response is None:
        return HttpResponseRedirect(reverse("surveys:survey", args=[invitation.token]))

    context = {
        **_request_context(invitation, translation.get_language()),
        "wants_reopen": response.wants_reopen is True,
        "is_dissatisfied": response.satisfaction in DISSATISFIED_SCORES
        or response.fixed == Response.Fixed.NO,
    }
    return _finish(
        render(request, "surveys/thanks.html", context), remember_language=chosen
    )


# Unsubscribing


def _opt_out(invitation: Invitation, *, source: str) -> None:
    if not opt_out_invited(invitation=invitation, source=source):
        logger.warning(
            "Unsubscribe for invitation %s: no address or digest left", invitation.pk
        )


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop survey messages to the address a link was sent to.

    Mail providers' one-click unsubscribe (RFC 8058) posts
    `List-Unsubscribe=One-Click` without cookies, so without a CSRF token: the
    token in the URL is the credential. Any other post needs the page's CSRF token.
    Unlike the survey, the link keeps working after the survey expires.
    """
    one_click = (
        request.method == "POST" and request.POST.get("List-Unsubscribe") == "One-Click"
    )
    # Mail providers send every one-click unsubscribe from a few addresses of
    # their own, so only the link is counted for those.
    if is_over_limit(request, token=token, per_ip=not one_click):
        return _too_many(request)
    if one_click:
        invitation = _find_sent_invitation(token)
        if invitation is None:
            return _unlogged(_finish(HttpResponse(status=404)))
        _opt_out(invitation, source=OptOut.Source.LIST_UNSUBSCRIBE)
        return _finish(HttpResponse(status=200))
    return _unsubscribe_page(request, token)


@csrf_protect
def _unsubscribe_page(request: HttpRequest, token: str) -> HttpResponse:
    invitation = _find_sent_invitation(token)
    if invitation is None:
        return _link_not_working(request)
    chosen = _use_language(request, invitation)
    context = {
        "token": invitation.token,
        "is_email": invitation.channel == Channel.EMAIL,
    }
    if request.method == "POST":
        _opt_out(invitation, source=OptOut.Source.UNSUBSCRIBE_LINK)
        return _finish(render(request, "surveys/unsubscribed.html", context))
    if is_invited_opted_out(invitation):
        # Opened again after unsubscribing: say so rather than ask again.
        return _finish(
            render(request, "surveys/unsubscribed.html", context),
            remember_language=chosen,
        )
    return _finish(
        render(request, "surveys/unsubscribe.html", context),
        remember_language=chosen,
    )


def form_not_sent(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF failure: the form was not sent, said in words a resident can act on,
    in the survey's language on a survey or unsubscribe page."""
    if not TOKEN_PATH.match(request.path):
        return render(request, "surveys/form_not_sent.html", status=403)
    token = request.path.split("/")[2]
    _use_language(request, _find_invitation(token))
    response = render(request, "surveys/form_not_sent.html", status=403)
    logger.warning("Survey form refused: %s", reason)
    return _unlogged(response)
