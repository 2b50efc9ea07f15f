"""Webhooks the email and SMS providers call: delivery reports and text replies.

Every call must be signed, or it is refused and changes nothing:

- Email tracking goes through django-anymail's views (one per provider, under
  /webhooks/anymail/), which check the shared ANYMAIL["WEBHOOK_SECRET"] sent as
  basic auth (and Mailgun's signature when its signing key is set). Anymail
  accepts unsigned calls when no secret is set; `anymail_tracking_urls` refuses
  them instead. The receiver below only translates anymail's event.
- Twilio signs each request with the account's auth token over the URL it
  called and the posted fields (X-Twilio-Signature). The URL is rebuilt from
  SITE_URL, so behind a proxy or load balancer SITE_URL must be the public
  address Twilio is given, or every call is refused.

Twilio's Advanced Opt-Out (or its default handling on a plain number) may answer
STOP, START and HELP itself and then block our own reply. The inbound view acts
on the keywords either way, so the database stays in step with Twilio.
"""

import functools
import logging
from collections.abc import Callable

from anymail import urls as anymail_urls
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason
from django.conf import settings
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseForbidden,
)
from django.urls import URLPattern
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from surveys.feedback import handle_inbound_sms, record_delivery_event

logger = logging.getLogger(__name__)

# Twilio's error for a message to a number that replied STOP to our sender.
TWILIO_RECIPIENT_OPTED_OUT = "21610"


def receive_tracking_event(
    sender: type, event: AnymailTrackingEvent, esp_name: str, **kwargs: object
) -> None:
    """anymail's `tracking` signal, connected in SurveysConfig.ready()."""
    name = event.event_type
    if event.event_type == EventType.REJECTED and event.reject_reason in (
        RejectReason.UNSUBSCRIBED,
        RejectReason.SPAM,
    ):
        # Not sent because the address is on the provider's suppression list
        # after an earlier unsubscribe or complaint.
        name = "opted_out"
    if not event.message_id:
        logger.warning("Ignored a %s %s report without a message id", esp_name, name)
        return
    record_delivery_event(
        provider_message_id=str(event.message_id),
        event=name,
        occurred_at=event.timestamp or timezone.now(),
        description=event.description or event.mta_response or "",
        provider_event_id=str(event.event_id or ""),
    )


def anymail_tracking_urls() -> list[URLPattern]:
    """anymail's tracking webhook urls, refused while no webhook secret is set."""
    return [
        URLPattern(
            pattern.pattern,
            _require_webhook_secret(pattern.callback),
            pattern.default_args,
            pattern.name,
        )
        for pattern in anymail_urls.urlpatterns
        if isinstance(pattern, URLPattern)
        and (pattern.name or "").endswith("tracking_webhook")
    ]


def _require_webhook_secret(view: Callable[..., HttpResponse]) -> Callable:
    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
            logger.error(
                "Refused an email tracking webhook: ANYMAIL_WEBHOOK_SECRET is not set"
            )
            return HttpResponseForbidden()
        try:
            return view(request, *args, **kwargs)
        except (ValueError, TypeError, LookupError, AttributeError):
            # anymail parses the body after checking the secret, trusting it to be
            # the provider's JSON; a signed call with anything else (not JSON, a
            # list, an object without the provider's keys) is the caller's error.
            # The traceback is logged in case it was ours.
            logger.warning(
                "Refused an email tracking webhook with an unreadable body",
                exc_info=True,
            )
            return HttpResponseBadRequest()

    return guarded


def _twilio_signature_is_valid(request: HttpRequest) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        logger.error("Refused a Twilio webhook: TWILIO_AUTH_TOKEN is not set")
        return False
    signature = request.headers.get("X-Twilio-Signature", "")
    url = f"{settings.SITE_URL}{request.get_full_path()}"
    if signature and RequestValidator(token).validate(url, request.POST, signature):
        return True
    logger.warning("Refused a Twilio webhook to %s: bad or missing signature", url)
    return False


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    """Twilio's status callback: each change of a text message's status."""
    if not _twilio_signature_is_valid(request):
        return HttpResponseForbidden()
    sid = request.POST.get("MessageSid", "")
    status = request.POST.get("MessageStatus", "")
    error_code = request.POST.get("ErrorCode", "")
    if not sid or not status:
        logger.warning("Ignored a Twilio status callback without a message or status")
        return HttpResponse()

    event = "opted_out" if error_code == TWILIO_RECIPIENT_OPTED_OUT else status
    record_delivery_event(
        provider_message_id=sid,
        event=event,
        occurred_at=timezone.now(),
        description=f"Twilio error {error_code}" if error_code else "",
        # Each status happens once per message, so a retry carries the same pair.
        provider_event_id=f"{sid}:{status}",
    )
    return HttpResponse()


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    """A text a resident sent to our number; the reply goes back as TwiML."""
    if not _twilio_signature_is_valid(request):
        return HttpResponseForbidden()
    reply = handle_inbound_sms(
        from_number=request.POST.get("From", ""), body=request.POST.get("Body", "")
    )
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml; charset=utf-8")
