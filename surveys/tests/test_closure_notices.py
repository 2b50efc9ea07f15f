"""What a closure records: the notice of what each resident was told, in which language."""

import pytest

from resolutions.models import ResolutionNotice
from surveys.tests.conftest import make_contact, make_request

pytestmark = pytest.mark.django_db


def told_language(service_request) -> str:
    return ResolutionNotice.objects.get(service_request=service_request).language


def test_the_notice_records_the_residents_language_when_the_text_is_translated(close):
    spanish = make_request()
    make_contact(spanish, email="ana@example.org", language="es")

    close(spanish)

    assert told_language(spanish) == "es"


def test_the_notice_says_english_when_the_text_has_no_translation_for_the_resident(
    close,
):
    arabic = make_request()
    make_contact(arabic, email="omar@example.org", language="ar")
    without_contact = make_request()

    close(arabic, without_contact)

    assert told_language(arabic) == "en"
    assert told_language(without_contact) == "en"
