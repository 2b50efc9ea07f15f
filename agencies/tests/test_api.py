"""The staff API: 311 systems create, update and close requests, with contacts."""

import json
from datetime import UTC, datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from agencies import services
from agencies.integrations import (
    create_integration,
    revoke_integration,
    token_digest,
)
from agencies.models import (
    Agency,
    Integration,
    ServiceRequest,
    ServiceRequestChange,
)
from agencies.quality import Flag
from agencies.services import import_service_requests
from agencies.tests.test_import_quirks import ROW, write_csv
from resolutions.models import DescriptionVersion, ResolutionNotice
from surveys.models import Contact

pytestmark = pytest.mark.django_db

KEY = 70000001
EMAIL = "ana.diaz@example.org"
PHONE = "(646) 330-1234"
TEXT = "The Department of Housing Preservation and Development inspected the heat."

# The import test's clean row, as the API takes it.
BODY = {
    "created_at": "2024-01-15T10:00:00",
    "status": "Open",
    "agency": "HPD",
    "agency_name": "Department of Housing Preservation and Development",
    "complaint_type": "HEAT/HOT WATER",
    "descriptor": "ENTIRE BUILDING",
    "location_type": "RESIDENTIAL BUILDING",
    "incident_zip": "11204",
    "incident_address": "1601 WEST 7 STREET",
    "street_name": "WEST 7 STREET",
    "city": "BROOKLYN",
    "borough": "BROOKLYN",
    "community_board": "11 BROOKLYN",
    "bbl": "3066150001",
    "latitude": 40.6123,
    "longitude": -73.9876,
    "channel": "PHONE",
}
CLOSED = {
    "status": "Closed",
    "closed_at": "2024-01-16T09:00:00-05:00",
    "resolution_text": TEXT,
}
CONTACT = {
    "email": EMAIL,
    "phone": PHONE,
    "language": "es-US",
    "email_consent": True,
    "sms_consent": True,
}


def url(key: int = KEY) -> str:
    return reverse("api:service_request", kwargs={"unique_key": key})


@pytest.fixture
def token() -> str:
    _, token = create_integration(name="NYC 311", agency=None)
    return token


@pytest.fixture
def api(token) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def put(api: APIClient, body: dict, key: int = KEY):
    return api.put(url(key), body, format="json")


# -- Authentication -----------------------------------------------------------


def test_a_request_without_a_token_is_refused(client):
    response = APIClient().put(url(), BODY, format="json")

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert not ServiceRequest.objects.exists()


@pytest.mark.parametrize(
    "header", ["Token ctl_not-a-real-token", "Token", "Bearer abc", "Token a b"]
)
def test_a_wrong_token_is_refused(token, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.put(url(), BODY, format="json")

    assert response.status_code == 401
    assert not ServiceRequest.objects.exists()


def test_a_revoked_token_is_refused(api):
    integration = Integration.objects.get(name="NYC 311")
    revoke_integration(integration=integration)

    response = put(api, BODY)

    assert response.status_code == 401
    assert not ServiceRequest.objects.exists()


def test_a_staff_session_is_not_enough(client, django_user_model):
    admin = django_user_model.objects.create_superuser("admin", password="unused")
    client.force_login(admin)

    response = client.get(url())

    assert response.status_code == 401


def test_the_token_is_stored_only_as_a_digest(token):
    integration = Integration.objects.get(name="NYC 311")

    stored = [str(getattr(integration, f.attname)) for f in Integration._meta.fields]
    assert not any(token in value for value in stored)
    assert integration.token_digest == token_digest(token)


def test_a_successful_call_records_when_the_integration_was_last_used(api):
    put(api, BODY)

    assert Integration.objects.get(name="NYC 311").last_used_at is not None


@pytest.fixture
def hpd_api() -> APIClient:
    _, token = create_integration(
        name="HPD system", agency=Agency.objects.get(code="HPD")
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_an_agency_integration_may_not_write_another_agencys_request(hpd_api):
    response = put(hpd_api, BODY | {"agency": "DOT"})

    assert response.status_code == 403
    assert not ServiceRequest.objects.exists()


def test_an_agency_integration_may_not_take_over_another_agencys_request(api, hpd_api):
    put(api, BODY | {"agency": "DOT"})

    response = put(hpd_api, BODY)
    reading = hpd_api.get(url())

    assert response.status_code == 403
    assert reading.status_code == 403
    assert ServiceRequest.objects.get(pk=KEY).agency_id == "DOT"


def test_an_agency_integration_writes_its_own_agencys_requests(hpd_api):
    assert put(hpd_api, BODY).status_code == 201


# -- Creating and updating ----------------------------------------------------


def test_put_creates_the_request_as_the_import_would(api):
    response = put(api, BODY | {"due_at": "2024-01-20T12:00:00Z"})

    assert response.status_code == 201
    stored = ServiceRequest.objects.get(pk=KEY)
    # Without an offset the time is New York's (EST in January).
    assert stored.created_at == datetime(2024, 1, 15, 15, 0, tzinfo=UTC)
    assert stored.due_at == datetime(2024, 1, 20, 12, 0, tzinfo=UTC)
    assert stored.complaint_type.name == "HEAT/HOT WATER"
    assert stored.status == ServiceRequest.Status.OPEN
    assert stored.quality_flags == 0
    assert response.json()["created_at"] == "2024-01-15T10:00:00-05:00"
    assert response.json()["complaint_type"] == "HEAT/HOT WATER"


def test_a_request_put_with_the_imported_values_is_unchanged(api, tmp_path):
    import_service_requests(
        path=write_csv(tmp_path / "export.csv", {"Unique Key": str(KEY)})
    )
    assert ROW["Created Date"] == "01/15/2024 10:00:00 AM"

    response = put(api, BODY)

    assert response.status_code == 200
    assert not ServiceRequestChange.objects.exists()


def test_put_updates_the_request_and_keeps_what_changed(api):
    put(api, BODY)

    response = put(
        api, BODY | {"status": "In Progress", "descriptor": "APARTMENT ONLY"}
    )

    assert response.status_code == 200
    change = ServiceRequestChange.objects.get(service_request_id=KEY)
    assert change.integration.name == "NYC 311"
    assert change.import_run is None
    assert change.changes["status"] == ["Open", "In Progress"]
    assert change.changes["descriptor"] == ["ENTIRE BUILDING", "APARTMENT ONLY"]
    assert ServiceRequest.objects.get(pk=KEY).status == "In Progress"


def test_fields_left_out_of_a_put_are_emptied(api):
    put(api, BODY)

    put(api, {"created_at": BODY["created_at"], "status": "Open", "agency": "HPD"})

    stored = ServiceRequest.objects.get(pk=KEY)
    assert stored.incident_address == ""
    assert stored.latitude is None


def test_a_naive_time_in_the_repeated_hour_is_flagged_like_an_import(api):
    response = put(api, BODY | {"created_at": "2024-11-03T01:30:00"})

    assert ServiceRequest.objects.get(pk=KEY).flags == [Flag.REPEATED_HOUR]
    assert response.json()["quality_flags"] == ["repeated_hour"]


def test_get_returns_the_request(api):
    put(api, BODY)

    response = api.get(url())

    assert response.status_code == 200
    assert response.json()["unique_key"] == KEY
    assert response.json()["agency"] == "HPD"


def test_get_of_an_unknown_request_is_not_found(api):
    assert api.get(url(1)).status_code == 404


# -- Closing ------------------------------------------------------------------


@pytest.fixture
def closures(monkeypatch) -> list[tuple[int, bool]]:
    """Each call of handle_closures: (request key, whether its contact existed)."""
    calls = []
    real = services.handle_closures

    def spy(*, requests):
        for service_request in requests:
            calls.append(
                (
                    service_request.pk,
                    Contact.objects.filter(service_request=service_request).exists(),
                )
            )
        real(requests=requests)

    monkeypatch.setattr(services, "handle_closures", spy)
    return calls


def test_closing_a_request_records_what_its_resident_is_told(api, closures):
    put(api, BODY)

    response = put(api, BODY | CLOSED | {"contact": CONTACT})

    assert response.status_code == 200
    assert closures == [(KEY, True)]
    notice = ResolutionNotice.objects.get(service_request_id=KEY)
    assert notice.version.status == DescriptionVersion.Status.PUBLISHED
    assert notice.version.text == TEXT
    assert notice.closed_at == datetime(2024, 1, 16, 14, 0, tzinfo=UTC)


def test_a_request_created_closed_is_a_closure(api, closures):
    response = put(api, BODY | CLOSED | {"contact": CONTACT})

    assert response.status_code == 201
    assert closures == [(KEY, True)]
    assert ResolutionNotice.objects.filter(service_request_id=KEY).count() == 1


def test_the_same_put_twice_changes_nothing_the_second_time(api, closures):
    put(api, BODY)
    put(api, BODY | CLOSED | {"contact": CONTACT})
    stored = ServiceRequest.objects.get(pk=KEY)
    contact = Contact.objects.get()

    response = put(api, BODY | CLOSED | {"contact": CONTACT})

    assert response.status_code == 200
    assert closures == [(KEY, True)]
    assert ResolutionNotice.objects.filter(service_request_id=KEY).count() == 1
    assert ServiceRequestChange.objects.count() == 1
    assert ServiceRequest.objects.get(pk=KEY).updated_at == stored.updated_at
    assert Contact.objects.get().updated_at == contact.updated_at


def test_a_later_change_to_a_closed_request_is_no_new_closure(api, closures):
    put(api, BODY | CLOSED)

    put(api, BODY | CLOSED | {"descriptor": "APARTMENT ONLY"})

    assert closures == [(KEY, False)]


def test_an_import_after_the_api_closed_a_request_does_not_close_it_again(
    api, closures, tmp_path
):
    put(api, BODY | CLOSED)

    import_service_requests(
        path=write_csv(
            tmp_path / "export.csv",
            {
                "Unique Key": str(KEY),
                "Status": "Closed",
                "Closed Date": "01/16/2024 09:00:00 AM",
                "Resolution Description": TEXT,
            },
        )
    )

    assert ResolutionNotice.objects.filter(service_request_id=KEY).count() == 1


# -- Contacts -----------------------------------------------------------------


def test_put_saves_the_contact_and_says_whether_it_can_be_reached(api):
    response = put(api, BODY | {"contact": CONTACT})

    contact = Contact.objects.get(service_request_id=KEY)
    assert contact.email == EMAIL
    assert contact.phone_e164 == "+16463301234"
    assert contact.language == "es"
    assert response.json()["contact"] == {
        "language": "es",
        "email_possible": True,
        "sms_possible": True,
        "phone_problem": None,
        "phone_problem_text": None,
    }


def test_a_number_with_an_extension_is_stored_and_says_why_it_is_not_texted(api):
    response = put(api, BODY | {"contact": CONTACT | {"phone": PHONE + " ext. 4"}})

    assert response.status_code == 201
    assert response.json()["contact"]["sms_possible"] is False
    assert response.json()["contact"]["phone_problem"] == "extension"
    assert Contact.objects.get().phone_problem == Contact.PhoneProblem.EXTENSION


@pytest.mark.parametrize(
    ("phone", "problem"),
    [
        ("1-800-692-2311", "not_mobile"),
        ("12345", "invalid"),
        ("212-555-0142", "invalid"),
    ],
)
def test_numbers_that_cannot_be_texted_are_stored_with_the_reason(api, phone, problem):
    response = put(api, BODY | {"contact": CONTACT | {"phone": phone}})

    assert response.json()["contact"]["phone_problem"] == problem
    assert Contact.objects.get().phone_as_given == phone


def test_a_put_without_a_contact_keeps_the_stored_one(api):
    put(api, BODY | {"contact": CONTACT})

    put(api, BODY | {"descriptor": "APARTMENT ONLY"})

    assert Contact.objects.get().email == EMAIL


def test_the_contact_never_appears_in_get_output(api):
    put(api, BODY | {"contact": CONTACT})

    text = api.get(url()).content.decode()

    assert "example.org" not in text
    assert "330" not in text
    assert "contact" not in text


# -- Invalid input ------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"created_at": "15/01/2024"}, "created_at"),
        ({"created_at": "1900-01-01T00:00:00"}, "created_at"),
        ({"closed_at": "2024-01-14T09:00:00"}, "closed_at"),
        ({"status": "Closed"}, "closed_at"),
        ({"status": "Done"}, "status"),
        ({"agency": "XYZ"}, "agency"),
        ({"incident_zip": "N/A"}, "incident_zip"),
        ({"borough": "Narnia"}, "borough"),
        ({"bbl": "12"}, "bbl"),
        ({"latitude": "north"}, "latitude"),
        ({"longitude": None}, "longitude"),
        ({"incident_adress": "typo"}, "incident_adress"),
        ({"contact": CONTACT | {"language": "de"}}, "contact"),
        ({"contact": CONTACT | {"email_consent": "maybe"}}, "contact"),
        ({"contact": CONTACT | {"phone_problem": None}}, "contact"),
        ({"incident_zip": "١١٢٠٤"}, "incident_zip"),
    ],
)
def test_invalid_input_is_refused_with_field_errors_and_stores_nothing(
    api, change, field
):
    body = BODY | change

    response = put(api, body)

    assert response.status_code == 400
    assert field in response.json()
    assert not ServiceRequest.objects.exists()
    assert not Contact.objects.exists()


def test_a_zip_plus_four_is_stored_as_its_five_digits(api):
    response = put(api, BODY | {"incident_zip": "11204-1234"})

    assert response.status_code == 201
    assert ServiceRequest.objects.get(pk=KEY).incident_zip == "11204"


def test_a_value_that_is_not_a_choice_is_not_repeated_in_the_error(api):
    body = BODY | {
        "status": "646-330-1234",
        "borough": "jane.doe@example.com",
        "channel": "jane@example.org",
    }

    response = put(api, body)

    text = response.content.decode()
    assert response.status_code == 400
    assert set(response.json()) == {"status", "borough", "channel"}
    assert "330" not in text and "jane" not in text
    assert '"BROOKLYN"' in response.json()["borough"][0]


def test_an_invalid_update_leaves_the_stored_request_as_it_was(api, closures):
    put(api, BODY | {"contact": CONTACT})

    response = put(
        api, BODY | CLOSED | {"contact": CONTACT | {"email": "not an address"}}
    )

    assert response.status_code == 400
    assert ServiceRequest.objects.get(pk=KEY).status == "Open"
    assert Contact.objects.get().email == EMAIL
    assert closures == []


def test_errors_never_repeat_an_email_or_phone(api):
    bad_email = "ana.diaz@@example.org"
    long_phone = "646-330-1234 " * 4

    response = put(
        api,
        BODY | {"contact": CONTACT | {"email": bad_email, "phone": long_phone}},
    )

    text = response.content.decode()
    assert response.status_code == 400
    assert set(response.json()["contact"]) == {"email", "phone"}
    assert "ana.diaz" not in text
    assert "330" not in text


@pytest.mark.parametrize("phone", [2125550142, 2.125550142e9, ["212-555-0142"]])
def test_a_phone_number_that_is_not_text_is_refused_and_nothing_stored(api, phone):
    response = put(api, BODY | {"contact": CONTACT | {"phone": phone}})

    assert response.status_code == 400
    assert response.json()["contact"]["phone"] == ["Must be text."]
    assert not ServiceRequest.objects.exists() and not Contact.objects.exists()


def test_a_body_that_is_not_json_is_refused(api):
    response = api.put(url(), "status=Open", content_type="application/json")

    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_a_unique_key_of_zero_is_refused(api):
    response = put(api, BODY, key=0)

    assert response.status_code == 400
    assert "unique_key" in response.json()


def test_language_variants_are_mapped_and_errors_list_the_supported_ones(api):
    put(api, BODY | {"contact": CONTACT | {"language": "zh-CN"}})
    refused = put(api, BODY | {"contact": CONTACT | {"language": "zh-TW"}})

    assert Contact.objects.get().language == "zh-hans"
    assert refused.status_code == 400
    assert "zh-hans" in json.dumps(refused.json()["contact"]["language"])


@pytest.mark.parametrize(
    "field, value",
    [
        ("closed_at", "2099-01-01T09:00:00"),
        ("created_at", "2099-01-01T09:00:00-05:00"),
    ],
)
def test_a_time_in_the_future_is_refused_and_stores_nothing(api, field, value):
    body = {**BODY, **CLOSED, "created_at": "2024-01-15T10:00:00", field: value}

    response = api.put(url(), body, format="json")

    assert response.status_code == 400
    assert "future" in response.json()[field][0]
    assert not ServiceRequest.objects.filter(unique_key=KEY).exists()


def test_utc_sent_without_its_offset_is_refused_when_it_reads_as_the_future(api):
    utc_now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
    body = {**BODY, **CLOSED, "created_at": "2024-01-15T10:00:00", "closed_at": utc_now}

    response = api.put(url(), body, format="json")

    assert response.status_code == 400
    assert "offset" in response.json()["closed_at"][0]


def test_json_nested_too_deeply_is_refused(api):
    body = "[" * 100_000 + "]" * 100_000

    response = api.put(url(), body, content_type="application/json")

    assert response.status_code == 400
    assert not ServiceRequest.objects.exists()


def test_a_body_larger_than_the_site_accepts_is_refused_in_json(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = {**BODY, "descriptor": "x" * 20_000}

    response = api.put(url(), body, format="json")

    assert response.status_code == 413
    assert "larger than the site accepts" in response.json()["detail"]
    assert not ServiceRequest.objects.exists()


def test_a_chunked_body_without_a_length_is_refused_in_json(api):
    response = api.generic(
        "PUT",
        url(),
        json.dumps(BODY),
        content_type="application/json",
        HTTP_TRANSFER_ENCODING="chunked",
        CONTENT_LENGTH="",
    )

    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert not ServiceRequest.objects.exists()
