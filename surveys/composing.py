"""What an invitation or reminder says, by email and by text, in the resident's language.

Each message carries the request number, what the agency did (the resolution
version the resident was told at closure), the survey's first question with a way
to answer it at once, the survey link and a way to stop. Links are always on the
site's own domain (surveys.links).
"""

import enum
from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import OuterRef, QuerySet, Subquery
from django.template.loader import render_to_string
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from resolutions.models import DescriptionVersion, ResolutionNotice
from resolutions.plain_language import (
    MAX_SMS_SEGMENTS,
    gsm7_fallback,
    sms_segments,
)
from resolutions.rendering import ResidentText, resident_text
from surveys.forms import CACHE_SECONDS
from surveys.links import survey_url, unsubscribe_url
from surveys.memo import TimedMemo
from surveys.models import Invitation, Message, Question, QuestionTranslation
from surveys.scales import AGREEMENT

RTL_LANGUAGES = frozenset({"ar", "ur"})
# Stored in Message.body instead of the invitation's token: the stored text must
# not open the resident's survey.
TOKEN_MASK = "[token]"  # noqa: S105 (a placeholder, not a secret)


def mask(text: str, invitation: Invitation) -> str:
    return text.replace(invitation.token, TOKEN_MASK)


def request_number(invitation: Invitation) -> str:
    return str(invitation.service_request_id)


# Published description and survey versions never change, so a worker keeps the
# few it uses instead of reading them again for every message or page.

_told_versions: TimedMemo[DescriptionVersion] = TimedMemo(seconds=CACHE_SECONDS)


def told_version(version_id: int) -> DescriptionVersion:
    """The description version a resident was told, with its translations; kept
    per process once its text can no longer change."""

    def build() -> tuple[DescriptionVersion, bool]:
        version = DescriptionVersion.objects.prefetch_related("translations").get(
            pk=version_id
        )
        return version, version.status not in DescriptionVersion.WORKING_STATUSES

    return _told_versions.get_or_build(version_id, build)


@lru_cache(maxsize=512)
def _first_question_prompt(survey_version_id: int, language: str) -> str:
    question = Question.objects.first_of(survey_version_id)
    if question is None:
        return ""
    translated = QuestionTranslation.objects.filter(
        question=question, language=language
    ).first()
    return translated.prompt if translated else question.prompt


def clear_caches() -> None:
    """For tests, whose databases are rolled back under the caches."""
    _told_versions.clear()
    _first_question_prompt.cache_clear()
    _render_email_shape.cache_clear()


class _NotLookedUp(enum.Enum):
    NOT_LOOKED_UP = "not looked up"


# The told version's id was not read with the message: composing reads it.
NOT_LOOKED_UP = _NotLookedUp.NOT_LOOKED_UP
ToldVersionId = int | None | _NotLookedUp


def _notices_of(service_request_id) -> QuerySet[ResolutionNotice]:
    # The latest notice (the model's ordering) is what the resident was told.
    return ResolutionNotice.objects.filter(service_request_id=service_request_id)


def told_version_id_subquery(service_request_field: str) -> Subquery:
    """The told version's id as a column of a query over `service_request_field`,
    so the sender reads it with the message instead of in a query of its own."""
    return Subquery(
        _notices_of(OuterRef(service_request_field)).values("version_id")[:1]
    )


def agency_text(
    invitation: Invitation, *, told_version_id: ToldVersionId = NOT_LOOKED_UP
) -> ResidentText | None:
    """What the agency did, as the resident was told when the request closed."""
    if told_version_id is NOT_LOOKED_UP:
        told_version_id = (
            _notices_of(invitation.service_request_id)
            .values_list("version_id", flat=True)
            .first()
        )
    if told_version_id is None:
        return None
    return resident_text(
        told_version(told_version_id),
        invitation.language,
        invitation.service_request,
    )


def first_question_prompt(invitation: Invitation) -> str:
    if invitation.survey_version_id is None:
        return ""
    return _first_question_prompt(invitation.survey_version_id, invitation.language)


# --- Email -------------------------------------------------------------------------


@dataclass(frozen=True)
class Email:
    message: EmailMultiAlternatives
    subject: str
    text: str


def message_id_header(message: Message) -> str:
    """A Message-ID that names the message, so a sent copy can be found again."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{reference(message)}@{domain}>"


def reference(message: Message) -> str:
    """This site's stable name for a message, the same on every attempt."""
    return f"survey-message-{message.pk}"


def compose_email(
    message: Message, *, told_version_id: ToldVersionId = NOT_LOOKED_UP
) -> Email:
    invitation = message.invitation
    is_reminder = message.purpose == Message.Purpose.REMINDER
    language = invitation.language
    number = request_number(invitation)
    with translation.override(language):
        told = agency_text(invitation, told_version_id=told_version_id)
        shape = _EmailShape(
            language=language,
            is_reminder=is_reminder,
            agency_text=told,
            published_resolution=(
                "" if told else invitation.service_request.resolution_text
            ),
            question=first_question_prompt(invitation),
            expires_on=_expiry_date(invitation),
            site_url=settings.SITE_URL,
        )
        subject = (
            _("Reminder: how did we do with your 311 request %(number)s?")
            if is_reminder
            else _("Your 311 request %(number)s was closed: how did we do?")
        ) % {"number": number}
        if shape.holds_stand_in():
            # Text that holds a stand-in would be rewritten: render this one whole.
            text, html = _render_email(shape, number=number, token=invitation.token)
        else:
            text, html = (
                part.replace(_STAND_IN_NUMBER, number).replace(
                    _STAND_IN_TOKEN, invitation.token
                )
                for part in _render_email_shape(shape)
            )

    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.contact.email],
        headers={
            "Message-ID": message_id_header(message),
            # RFC 2369 and RFC 8058: mail apps show an unsubscribe button, and one
            # click POSTs to the link without opening a page.
            "List-Unsubscribe": f"<{unsubscribe_url(invitation)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(html, "text/html")
    # Read by django-anymail's backends and ignored by Django's own: provider click
    # tracking would rewrite the links to the provider's domain.
    email.track_clicks = False
    email.tags = [f"survey-{message.purpose}"]
    email.metadata = {"message": str(message.pk)}
    return Email(message=email, subject=subject, text=text)


@dataclass(frozen=True)
class _EmailShape:
    """Everything an email's text and HTML depend on but the request number and
    the resident's token."""

    language: str
    is_reminder: bool
    agency_text: ResidentText | None
    published_resolution: str
    question: str
    expires_on: str
    site_url: str

    def holds_stand_in(self) -> bool:
        texts = (
            self.agency_text.text if self.agency_text else "",
            self.published_resolution,
            self.question,
            self.expires_on,
            self.site_url,
        )
        return any(
            stand_in in text
            for text in texts
            for stand_in in (_STAND_IN_NUMBER, _STAND_IN_TOKEN)
        )


# Emails of one shape differ only in the request number and the token, so each
# shape is rendered once with these stand-ins (private-use characters, which no
# template, catalogue or URL holds) and each email replaces them: rendering the
# two templates cost more than the rest of a send.
_STAND_IN_NUMBER = "\ue000"
_STAND_IN_TOKEN = "\ue001"  # noqa: S105 (a stand-in, not a secret)


@lru_cache(maxsize=256)
def _render_email_shape(shape: _EmailShape) -> tuple[str, str]:
    return _render_email(shape, number=_STAND_IN_NUMBER, token=_STAND_IN_TOKEN)


def _render_email(shape: _EmailShape, *, number: str, token: str) -> tuple[str, str]:
    language, told = shape.language, shape.agency_text
    linked = Invitation(token=token)
    context = {
        "is_reminder": shape.is_reminder,
        "language": language,
        "direction": "rtl" if language in RTL_LANGUAGES else "ltr",
        "request_number": number,
        "agency_text": told,
        "agency_text_direction": (
            "rtl" if told and told.language in RTL_LANGUAGES else "ltr"
        ),
        "published_resolution": shape.published_resolution,
        "question": shape.question,
        "ratings": [
            {"label": point.label, "url": survey_url(linked, answer=point.value)}
            for point in AGREEMENT
        ],
        "survey_url": survey_url(linked),
        "unsubscribe_url": unsubscribe_url(linked),
        "expires_on": shape.expires_on,
    }
    with translation.override(language):
        return (
            render_to_string("surveys/email/message.txt", context),
            render_to_string("surveys/email/message.html", context),
        )


def _expiry_date(invitation: Invitation) -> str:
    expires = invitation.expires_at or (
        timezone.now() + timezone.timedelta(days=settings.SURVEY_LINK_DAYS)
    )
    return formats.date_format(timezone.localtime(expires), "DATE_FORMAT")


# --- Text message ------------------------------------------------------------------


def _sms_parts(
    message: Message, told: ResidentText | None, *, short: bool
) -> tuple[str, str, str, str]:
    invitation = message.invitation
    number = request_number(invitation)
    if message.purpose == Message.Purpose.REMINDER:
        header = _("NYC 311 reminder: your request %(number)s was closed.") % {
            "number": number
        }
    else:
        header = _("NYC 311: your request %(number)s is closed.") % {"number": number}
    link = survey_url(invitation)
    if short:
        question = _("Rate us: reply 1-5 (5 = best) or go to %(link)s") % {"link": link}
    else:
        question = _(
            "Are you satisfied with how it was handled? Reply 1-5 "
            "(5 = very satisfied) or answer at %(link)s"
        ) % {"link": link}
    stop = _("Reply STOP to opt out.")
    return header, (told.sms_text.strip() if told else ""), question, stop


def compose_sms(
    message: Message, *, told_version_id: ToldVersionId = NOT_LOOKED_UP
) -> str:
    """The text message, at most two segments in any language.

    The full text has the agency's short explanation; when that does not fit in
    two segments it is left out (the survey page shows it), then the wording gets
    shorter, and last the English wording is used, which always fits. Before each
    step down, a text that fits only without its accents is sent without them
    (GSM-7 carries 153 characters a segment, UCS-2 67): "más" as "mas" beats
    leaving out what the agency did.
    """
    invitation = message.invitation
    for language in dict.fromkeys([invitation.language, "en"]):
        with translation.override(language):
            told = (
                agency_text(invitation, told_version_id=told_version_id)
                if language == invitation.language
                else None
            )
            for short in (False, True):
                header, explanation, question, stop = _sms_parts(
                    message, told, short=short
                )
                for parts in (
                    (header, explanation, question, stop),
                    (header, question, stop),
                ):
                    text = " ".join(part for part in parts if part)
                    for candidate in (text, gsm7_fallback(text)):
                        if (
                            candidate is not None
                            and sms_segments(candidate).segments <= MAX_SMS_SEGMENTS
                        ):
                            return candidate
    # Only an absurdly long SITE_URL gets here; a third segment beats no survey.
    return text
