"""What the messages say: two text segments at most, in every language."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings as django_settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext

from agencies.closures import handle_closures
from agencies.models import ServiceRequest
from resolutions.models import DescriptionTranslation, DescriptionVersion
from resolutions.plain_language import MAX_SMS_SEGMENTS, gsm7_fallback, sms_segments
from surveys.composing import compose_email, compose_sms
from surveys.models import Invitation, Message
from surveys.tests.conftest import make_contact, make_request

pytestmark = pytest.mark.django_db

# A phrase in each language, repeated to the longest SMS text an editor can
# publish: two segments on its own.
PHRASES = {
    "en": "Crews cleared the blocked catch basin and removed the debris. ",
    "es": "El equipo limpió el sumidero bloqueado y retiró los escombros. ",
    "zh-hans": "工作人员清理了堵塞的集水井并清除了杂物。",
    "ru": "Бригада прочистила засорённый водосток и убрала мусор. ",
    "bn": "কর্মীরা বন্ধ নর্দমা পরিষ্কার করে আবর্জনা সরিয়েছেন। ",
    "ht": "Ekip la te netwaye rego ki te bouche a epi retire fatra yo. ",
    "ko": "작업자가 막힌 빗물받이를 청소하고 잔해를 치웠습니다. ",
    "ar": "قام الفريق بتنظيف المصرف المسدود وإزالة المخلفات. ",
    "ur": "عملے نے بند نالی صاف کی اور کچرا ہٹا دیا۔ ",
    "fr": "L'équipe a nettoyé l'avaloir bouché et retiré les débris. ",
    "pl": "Ekipa oczyściła zatkaną studzienkę i usunęła śmieci. ",
}


def longest_two_segment_text(phrase: str) -> str:
    """The phrase repeated to two segments as a text would send it: without
    accents when that is how it fits more (see compose_sms)."""

    def segments(text: str) -> int:
        return sms_segments(gsm7_fallback(text) or text).segments

    text = ""
    while segments(text + phrase[len(text) % len(phrase)]) <= MAX_SMS_SEGMENTS:
        text += phrase[len(text) % len(phrase)]
    return text


@pytest.fixture
def long_description_request():
    request = make_request()
    version = DescriptionVersion.objects.get(description=request.resolution_description)
    version.sms_text = longest_two_segment_text(PHRASES["en"])
    version.save()
    for language, phrase in PHRASES.items():
        if language != "en":
            DescriptionTranslation.objects.update_or_create(
                version=version,
                language=language,
                defaults={
                    "text": phrase * 3,
                    "sms_text": longest_two_segment_text(phrase),
                },
            )
    return request


def message_for(request: ServiceRequest, **contact) -> Message:
    make_contact(request, **contact)
    with transaction.atomic():
        handle_closures(requests=ServiceRequest.objects.filter(pk=request.pk))
    return Message.objects.select_related("invitation").get(
        invitation__service_request=request, purpose="invitation"
    )


@pytest.mark.parametrize("language", [code for code, _ in django_settings.LANGUAGES])
@pytest.mark.parametrize("purpose", ["invitation", "reminder"])
def test_a_text_fits_in_two_segments_with_the_longest_description(
    long_description_request, language, purpose, settings
):
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    message = message_for(
        long_description_request, phone="+12125550100", language=language
    )
    message.purpose = purpose

    text = compose_sms(message)

    assert sms_segments(text).segments <= MAX_SMS_SEGMENTS
    assert f"{settings.SITE_URL}/s/{message.invitation.token}/" in text
    assert "STOP" in text
    assert str(long_description_request.pk) in text
    # Too long to fit beside the link: the survey page shows it instead.
    assert PHRASES[language][:20] not in text


# A city site address of 25 characters: survey links of 51.
CITY_SITE_URL = "https://survey.nyc311.gov"
# Looked up through a name, so that makemessages does not list this test file.
ENGLISH_STOP = "Reply STOP to opt out."


@pytest.mark.parametrize(
    "language", [code for code, _ in django_settings.LANGUAGES if code != "en"]
)
@pytest.mark.parametrize("purpose", ["invitation", "reminder"])
def test_a_text_is_in_the_resident_language_within_two_segments(
    long_description_request, language, purpose, settings
):
    settings.SITE_URL = CITY_SITE_URL
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    message = message_for(
        long_description_request, phone="+12125550100", language=language
    )
    message.purpose = purpose
    with translation.override(language):
        stop = gettext(ENGLISH_STOP)

    text = compose_sms(message)

    assert sms_segments(text).segments <= MAX_SMS_SEGMENTS
    # Not the English wording compose_sms falls back to when a translation is long.
    assert stop != ENGLISH_STOP
    assert stop in text
    assert "NYC 311 reminder" not in text
    assert "your request" not in text
    assert f"{CITY_SITE_URL}/s/{message.invitation.token}/" in text
    assert str(long_description_request.pk) in text
    # A digit reply means nothing unless the text says which end is best.
    assert re.search(r"5\s?=", text), text


@pytest.mark.parametrize(
    ("language", "told", "sent"),
    [
        (
            "es",
            "Sanidad revisó su reporte y no encontró ninguna infracción en el lugar.",
            "Sanidad reviso su reporte y no encontro ninguna infraccion en el lugar.",
        ),
        (
            "pl",
            "Służby sprawdziły zgłoszenie i nie stwierdziły naruszenia.",
            "Sluzby sprawdzily zgloszenie i nie stwierdzily naruszenia.",
        ),
    ],
)
def test_an_explanation_that_fits_only_without_accents_is_sent_without_them(
    settings, language, told, sent
):
    settings.SITE_URL = CITY_SITE_URL
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    request = make_request()
    version = DescriptionVersion.objects.get(description=request.resolution_description)
    DescriptionTranslation.objects.update_or_create(
        version=version, language=language, defaults={"text": told, "sms_text": told}
    )
    message = message_for(request, phone="+12125550100", language=language)

    text = compose_sms(message)

    assert sent in text
    assert sms_segments(text).encoding == "GSM-7"
    assert sms_segments(text).segments <= MAX_SMS_SEGMENTS


def test_a_short_description_is_included_in_the_text(settings):
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    message = message_for(make_request(), phone="+12125550100")

    text = compose_sms(message)

    assert "Sanitation collected the missed pickup." in text


def test_links_stay_on_the_site_domain_even_with_a_long_site_address(settings):
    settings.SITE_URL = "https://closing-the-loop.311.cityofnewyork.example.gov"
    settings.SURVEY_SMS_FIRST_HOUR, settings.SURVEY_SMS_LAST_HOUR = 0, 24
    message = message_for(make_request(), phone="+12125550100", language="ru")

    text = compose_sms(message)

    assert sms_segments(text).segments <= MAX_SMS_SEGMENTS
    assert f"{settings.SITE_URL}/s/" in text


def test_the_email_offers_the_first_question_with_five_answers(settings):
    message = message_for(make_request(), email="resident@example.org", language="fr")

    email = compose_email(message)

    html, _ = email.message.alternatives[0]
    assert "Je suis satisfait(e) de la façon dont ma demande a été traitée." in html
    for value in (
        "strongly_agree",
        "agree",
        "neutral",
        "disagree",
        "strongly_disagree",
    ):
        assert f"/s/{message.invitation.token}/?answer={value}" in html
    assert email.message.track_clicks is False
    assert '<html lang="fr" dir="ltr">' in html


def test_two_residents_emails_of_the_same_wording_carry_their_own_number_and_links(
    settings,
):
    first, second = (
        message_for(make_request(), email=f"resident{n}@example.org", language="es")
        for n in (1, 2)
    )

    emails = [compose_email(first), compose_email(second)]

    for message, email, other in zip(
        (first, second), emails, (second, first), strict=True
    ):
        html, _ = email.message.alternatives[0]
        number, token = (
            str(message.invitation.service_request_id),
            message.invitation.token,
        )
        for part in (email.text, html):
            assert f"{settings.SITE_URL}/s/{token}/?answer=agree" in part
            assert f"{settings.SITE_URL}/u/{token}/" in part
            assert number in part
            assert other.invitation.token not in part
            assert str(other.invitation.service_request_id) not in part
        assert "\ue000" not in email.text + html
        assert "\ue001" not in email.text + html


def test_an_agency_text_holding_unusual_characters_is_sent_as_written():
    request = make_request()
    version = DescriptionVersion.objects.get(description=request.resolution_description)
    version.text = "Crews cleared it \ue000 and \ue001 as written."
    version.save()
    message = message_for(request, email="resident@example.org")

    email = compose_email(message)

    assert "Crews cleared it \ue000 and \ue001 as written." in email.text
    assert str(request.pk) in email.text


def test_an_email_says_when_the_agency_text_is_english_for_want_of_a_translation():
    message = message_for(make_request(), email="resident@example.org", language="ar")

    email = compose_email(message)

    html, _ = email.message.alternatives[0]
    with translation.override("ar"):
        note = gettext(
            "This explanation is not available in your language yet, so it is "
            "shown in English."
        )
    assert note != gettext(
        "This explanation is not available in your language yet, so it is "
        "shown in English."
    )
    assert note in email.text
    assert note in html


def test_an_email_with_the_agency_text_in_the_resident_language_has_no_note(
    long_description_request,
):
    message = message_for(
        long_description_request, email="resident@example.org", language="ar"
    )

    email = compose_email(message)

    with translation.override("ar"):
        note = gettext(
            "This explanation is not available in your language yet, so it is "
            "shown in English."
        )
    assert PHRASES["ar"].strip() in email.text
    assert note not in email.text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ur", "3 جنوری 2027"), ("ht", "3 janvye 2027"), ("es", "3 de enero de 2027")],
)
def test_the_link_expiry_date_is_written_in_the_resident_language_order(
    language, expected
):
    message = message_for(
        make_request(), email="resident@example.org", language=language
    )
    expires = datetime(2027, 1, 3, 17, tzinfo=UTC)
    Invitation.objects.filter(pk=message.invitation_id).update(expires_at=expires)
    message.invitation.refresh_from_db()

    email = compose_email(message)

    assert expected in email.text
