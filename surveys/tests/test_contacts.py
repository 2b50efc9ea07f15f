"""Saving a resident's contact: phone numbers, languages and email addresses."""

import logging

import pytest

from agencies.models import ServiceRequest
from surveys.contacts import ContactError, normalise_language, save_contact
from surveys.models import Channel, Contact

pytestmark = pytest.mark.django_db

Problem = Contact.PhoneProblem


@pytest.fixture
def service_request() -> ServiceRequest:
    return ServiceRequest.objects.create(
        unique_key=5001, status=ServiceRequest.Status.OPEN, agency_id="HPD"
    )


def save(service_request, **overrides) -> Contact:
    details = {
        "email": "",
        "phone": "",
        "language": "en",
        "email_consent": True,
        "sms_consent": True,
    } | overrides
    return save_contact(service_request=service_request, **details)


@pytest.mark.parametrize(
    "given",
    ["(646) 330-1234", "646-330-1234", "+1 646 330 1234", "6463301234"],
)
def test_a_us_mobile_number_is_stored_in_e164_and_textable(service_request, given):
    contact = save(service_request, phone=given)

    assert contact.phone_as_given == given
    assert contact.phone_e164 == "+16463301234"
    assert contact.phone_problem == ""
    assert contact.can_receive(Channel.SMS)


def test_a_foreign_mobile_number_keeps_its_country(service_request):
    contact = save(service_request, phone="+33 6 12 34 56 78")

    assert contact.phone_e164 == "+33612345678"
    assert contact.can_receive(Channel.SMS)


def test_a_number_with_an_extension_is_never_texted(service_request):
    contact = save(service_request, phone="646-330-1234 ext. 12")

    assert contact.phone_problem == Problem.EXTENSION
    assert contact.phone_e164 == ""
    assert contact.phone_as_given == "646-330-1234 ext. 12"
    assert not contact.can_receive(Channel.SMS)


@pytest.mark.parametrize(
    "given", ["12345", "call me", "+1 646 330 123", "000-000-0000"]
)
def test_an_invalid_number_is_never_texted(service_request, given):
    contact = save(service_request, phone=given)

    assert contact.phone_problem == Problem.INVALID
    assert contact.phone_e164 == ""
    assert not contact.can_receive(Channel.SMS)


@pytest.mark.parametrize(
    "given",
    [
        "1-800-692-2311",  # toll-free
        "900-555-1234",  # premium rate
        "+44 20 7946 0958",  # a London landline
    ],
)
def test_a_landline_or_toll_free_number_is_never_texted(service_request, given):
    contact = save(service_request, phone=given)

    assert contact.phone_problem == Problem.NOT_MOBILE
    assert not contact.can_receive(Channel.SMS)


def test_a_fictional_555_01xx_number_of_a_fake_contact_is_textable(service_request):
    contact = save(service_request, phone="+1 212-555-0123", is_fake=True)

    assert contact.is_fake
    assert contact.phone_e164 == "+12125550123"
    assert contact.can_receive(Channel.SMS)


def test_a_fictional_555_01xx_number_of_a_real_contact_is_invalid(service_request):
    contact = save(service_request, phone="(212) 555-0123")

    assert contact.phone_problem == Problem.INVALID
    assert not contact.can_receive(Channel.SMS)


def test_no_phone_number_is_no_problem(service_request):
    contact = save(service_request, phone="  ", email="Ana@Example.org")

    assert contact.phone_as_given == ""
    assert contact.phone_problem == ""
    assert not contact.can_receive(Channel.SMS)
    assert contact.can_receive(Channel.EMAIL)


def test_email_is_stripped_and_its_domain_lower_cased(service_request):
    contact = save(service_request, email="  Ana.Diaz@Example.ORG ")

    assert contact.email == "Ana.Diaz@example.org"


def test_an_invalid_email_is_refused_without_repeating_it(service_request):
    with pytest.raises(ContactError) as raised:
        save(service_request, email="ana.diaz@@nowhere")

    assert raised.value.field == "email"
    assert "ana.diaz" not in str(raised.value)
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("es", "es"),
        ("es-US", "es"),
        ("ES_us", "es"),
        ("zh", "zh-hans"),
        ("zh-CN", "zh-hans"),
        ("zh-Hans", "zh-hans"),
        ("ht-HT", "ht"),
        ("ar-EG", "ar"),
        ("en-US", "en"),
        ("", "en"),
    ],
)
def test_common_language_tags_map_to_the_site_languages(given, stored):
    assert normalise_language(given) == stored


@pytest.mark.parametrize("given", ["de", "zh-TW", "zh-Hant", "klingon", "e"])
def test_other_languages_are_refused_with_the_supported_list(given):
    with pytest.raises(ContactError) as raised:
        normalise_language(given)

    assert raised.value.field == "language"
    assert "zh-hans" in raised.value.message


def test_saving_again_updates_the_one_contact_of_the_request(service_request):
    first = save(service_request, phone="646-330-1234", language="es")

    second = save(service_request, phone="646-330-1234 x9", language="zh-CN")

    assert second.pk == first.pk
    assert Contact.objects.count() == 1
    second.refresh_from_db()
    assert second.language == "zh-hans"
    assert second.phone_problem == Problem.EXTENSION


def test_saving_the_same_details_again_writes_nothing(service_request):
    first = save(service_request, phone="646-330-1234", email="ana@example.org")

    again = save(service_request, phone="646-330-1234", email="ana@example.org")

    again.refresh_from_db()
    assert again.updated_at == first.updated_at


def test_logs_never_hold_the_address_or_number(service_request, caplog):
    caplog.set_level(logging.DEBUG)

    save(service_request, email="ana@example.org", phone="646-330-1234")
    save(service_request, email="bo@example.org", phone="646-330-9999")

    assert "example.org" not in caplog.text
    assert "330" not in caplog.text
    assert "contact" in caplog.text
