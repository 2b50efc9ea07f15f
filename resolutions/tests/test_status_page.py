import ast
import gettext
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.models import Agency, ComplaintType, ServiceRequest
from agencies.services import set_membership
from agencies.tests.test_import_quirks import import_row
from resolutions.models import ResolutionDescription
from resolutions.services import (
    publish_version,
    record_resolutions_told,
    save_draft,
    start_draft,
    submit_version,
)

pytestmark = pytest.mark.django_db

FIRST_TEXT = (
    "Inspectors visited the building and fixed the boiler. "
    "If the heat goes out again, call 311."
)
FIRST_TEXT_ES = (
    "Los inspectores visitaron el edificio y arreglaron la caldera. "
    "Si vuelve a faltar la calefacción, llame al 311."
)
NEWER_TEXT = (
    "We repaired the boiler on a later visit. If the heat goes out again, call 311."
)


@pytest.fixture
def hpd():
    return Agency.objects.get(code="HPD")


@pytest.fixture
def liaison(django_user_model, hpd):
    user = django_user_model.objects.create_user("liaison")
    set_membership(user=user, role="liaison", agency=hpd)
    return user


@pytest.fixture
def reviewer(django_user_model, hpd):
    user = django_user_model.objects.create_user("reviewer")
    set_membership(user=user, role="reviewer", agency=hpd)
    return user


@pytest.fixture
def description(hpd):
    return ResolutionDescription.objects.create(agency=hpd, title="Heat restored")


@pytest.fixture
def publish(liaison, reviewer):
    """Publish a text through the review workflow, as agency staff would."""

    def publish(description, text, translations=None):
        draft = start_draft(description=description, author=liaison)
        draft = save_draft(
            version=draft,
            editor=liaison,
            expected_revision=draft.revision,
            text=text,
            translations=translations,
        )
        submit_version(version=draft, actor=liaison)
        return publish_version(version=draft, reviewer=reviewer)

    return publish


def make_request(description, unique_key=70000001, **fields):
    heat = ComplaintType.objects.get_or_create(
        agency=description.agency, name="HEAT/HOT WATER"
    )[0]
    defaults = {
        "created_at": datetime(2024, 1, 6, 2, 30, tzinfo=UTC),
        "status": ServiceRequest.Status.OPEN,
        "agency": description.agency,
        "complaint_type": heat,
        "descriptor": "ENTIRE BUILDING",
        "borough": ServiceRequest.Borough.BROOKLYN,
        "resolution_description": description,
    }
    return ServiceRequest.objects.create(unique_key=unique_key, **(defaults | fields))


def close(service_request):
    """Close a request and freeze what its resident is told, as the import does."""
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        status=ServiceRequest.Status.CLOSED,
        closed_at=datetime(2024, 1, 9, 15, 0, tzinfo=UTC),
    )
    record_resolutions_told(
        requests=ServiceRequest.objects.filter(pk=service_request.pk)
    )


def status_url(service_request, **query):
    url = reverse("request_status", args=[service_request.unique_key])
    return f"{url}?lang={query['lang']}" if "lang" in query else url


def test_closed_request_shows_the_version_told_at_closure_after_a_newer_one(
    client, description, publish
):
    publish(description, FIRST_TEXT)
    service_request = make_request(description)
    close(service_request)
    publish(description, NEWER_TEXT)

    response = client.get(status_url(service_request))

    assert response.status_code == 200
    assert FIRST_TEXT in response.text
    assert NEWER_TEXT not in response.text


def test_request_closed_again_shows_what_it_was_told_at_its_latest_closure(
    client, description, publish
):
    publish(description, FIRST_TEXT)
    service_request = make_request(description)
    close(service_request)
    publish(description, NEWER_TEXT)
    close(service_request)

    response = client.get(status_url(service_request))

    assert NEWER_TEXT in response.text
    assert FIRST_TEXT not in response.text


def test_open_request_shows_the_published_version(client, description, publish):
    still_open = "We scheduled an inspection. If the heat comes back, you can call 311."
    publish(description, still_open)
    service_request = make_request(description)

    response = client.get(status_url(service_request))

    assert still_open in response.text
    assert "Not closed yet" in response.text


def test_request_without_a_published_description_says_so(client, description):
    service_request = make_request(description)

    response = client.get(status_url(service_request))

    assert response.status_code == 200
    assert "has not published an explanation" in response.text


def test_page_shows_status_dates_in_new_york_time_and_request_facts(
    client, description, publish
):
    publish(description, FIRST_TEXT)
    service_request = make_request(description)
    close(service_request)

    response = client.get(status_url(service_request))

    # 02:30 UTC on January 6 is the evening of January 5 in New York.
    assert "Jan. 5, 2024" in response.text
    assert "Jan. 9, 2024" in response.text
    assert '<strong class="status__value">Closed</strong>' in response.text
    for shown in [
        "70000001",
        "HEAT/HOT WATER",
        "ENTIRE BUILDING",
        "Department of Housing Preservation and Development",
        "Brooklyn",
    ]:
        assert shown in response.text


def test_spanish_is_shown_for_a_lang_link_and_remembered(client, description, publish):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    service_request = make_request(description)
    close(service_request)

    response = client.get(status_url(service_request, lang="es"))

    assert '<html lang="es" dir="ltr">' in response.text
    assert FIRST_TEXT_ES in response.text
    assert FIRST_TEXT not in response.text
    assert "Solicitud de servicio 70000001" in response.text
    assert "5 de enero de 2024" in response.text
    assert "Cerrada" in response.text
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"


def test_spanish_is_shown_for_a_browser_asking_for_it(client, description, publish):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    service_request = make_request(description)

    response = client.get(
        status_url(service_request), HTTP_ACCEPT_LANGUAGE="es-MX,es;q=0.9,en;q=0.5"
    )

    assert FIRST_TEXT_ES in response.text
    assert "Lo que dice la agencia" in response.text
    assert response["Content-Language"] == "es"


def test_language_switcher_form_changes_the_language_of_the_page(
    client, description, publish
):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    service_request = make_request(description)
    page = client.get(status_url(service_request))

    switched = client.post(
        reverse("set_language"),
        {"language": "es", "next": status_url(service_request)},
    )
    response = client.get(status_url(service_request))

    assert f'action="{reverse("set_language")}"' in page.text
    assert switched.status_code == 302
    assert switched["Location"] == status_url(service_request)
    assert FIRST_TEXT_ES in response.text


def test_language_without_a_translation_shows_english_with_a_note_in_that_language(
    client, description, publish
):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    service_request = make_request(description)

    response = client.get(status_url(service_request, lang="ar"))

    assert FIRST_TEXT in response.text
    assert '<div class="explanation__text" lang="en" dir="ltr">' in response.text
    assert "هذا الشرح غير متوفر بلغتك بعد" in response.text


def test_translated_text_does_not_carry_the_fallback_note(client, description, publish):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    service_request = make_request(description)

    response = client.get(status_url(service_request, lang="es"))

    assert '<div class="explanation__text" lang="es" dir="ltr">' in response.text
    assert 'class="note"' not in response.text


@pytest.mark.parametrize(
    ("language", "direction"), [("ar", "rtl"), ("ur", "rtl"), ("en", "ltr")]
)
def test_page_direction_follows_the_language(client, description, language, direction):
    service_request = make_request(description)

    response = client.get(status_url(service_request, lang=language))

    assert f'<html lang="{language}" dir="{direction}">' in response.text


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_every_site_language_can_be_chosen(client, description, language):
    service_request = make_request(description)

    response = client.get(status_url(service_request, lang=language))

    assert f'<html lang="{language}"' in response.text


def test_page_shows_no_address_location_or_raw_values(client, description, publish):
    publish(description, FIRST_TEXT)
    service_request = make_request(
        description,
        incident_address="742 EVERGREEN TERRACE",
        street_name="EVERGREEN TERRACE",
        incident_zip="11231",
        bbl="3005670089",
        latitude=40.678123,
        longitude=-73.998765,
        community_board="06 BROOKLYN",
        location_type="RESIDENTIAL BUILDING",
        additional_details="Caller Jane Roe, apartment 4B, phone 718-555-0199",
        raw_values={"incident_zip": "11231-ABCD"},
    )
    close(service_request)

    response = client.get(status_url(service_request))

    assert FIRST_TEXT in response.text
    for private in [
        "EVERGREEN",
        "Evergreen",
        "11231",
        "3005670089",
        "40.678",
        "73.998",
        "06 BROOKLYN",
        "RESIDENTIAL BUILDING",
        "Jane Roe",
        "555-0199",
        "ABCD",
    ]:
        assert private not in response.text


def test_unknown_request_is_a_friendly_not_found_page_in_the_visitors_language(
    client,
):
    response = client.get("/requests/99999999/?lang=es")

    assert response.status_code == 404
    assert '<html lang="es" dir="ltr">' in response.text
    assert "Página no encontrada" in response.text


def test_request_number_beyond_any_stored_one_is_not_found(client):
    response = client.get(f"/requests/{'9' * 30}/")

    assert response.status_code == 404


def test_status_page_runs_the_same_queries_however_much_history_a_request_has(
    client, description, publish
):
    publish(description, FIRST_TEXT, translations={"es": (FIRST_TEXT_ES, "")})
    short = make_request(description, unique_key=70000001)
    close(short)
    publish(
        description,
        NEWER_TEXT,
        translations={
            code: (f"{NEWER_TEXT} [{code}]", "")
            for code, _ in settings.LANGUAGES
            if code != "en"
        },
    )
    long = make_request(description, unique_key=70000002)
    for _closure in range(3):
        close(long)

    with CaptureQueriesContext(connection) as short_queries:
        client.get(status_url(short, lang="es"))
    with CaptureQueriesContext(connection) as long_queries:
        client.get(status_url(long, lang="es"))

    assert len(short_queries) == len(long_queries) == 3


def _po_messages(path: Path) -> dict[str, str]:
    """Translated messages of a .po file, keyed as gettext keys them."""
    messages: dict[str, str] = {}
    entry: dict[str, str] = {}
    field = ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if line.startswith("#"):
            continue
        if not line.strip():
            # The header ("") is left out: msgfmt rewrites it.
            if entry.get("msgstr") and entry["msgid"]:
                context = entry.get("msgctxt")
                key = f"{context}\x04{entry['msgid']}" if context else entry["msgid"]
                messages[key] = entry["msgstr"]
            entry = {}
        elif line.startswith('"'):
            entry[field] += ast.literal_eval(line)
        else:
            field, _, value = line.partition(" ")
            entry[field] = ast.literal_eval(value)
    return messages


@pytest.mark.parametrize(
    "po_file",
    sorted(Path(settings.BASE_DIR, "locale").glob("*/LC_MESSAGES/django.po")),
    ids=lambda path: path.parts[-3],
)
def test_compiled_catalogs_match_their_po_files(po_file):
    with po_file.with_suffix(".mo").open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)._catalog

    compiled.pop("", None)
    assert compiled == _po_messages(po_file), (
        "Run `python manage.py compilemessages --ignore=.venv` and commit the .mo files"
    )


def test_address_placeholder_is_not_filled_with_the_address_on_the_public_page(
    client, description, publish
):
    publish(
        description,
        "An inspector visited {address} and found heat. If it stops, you can call 311.",
    )
    service_request = make_request(
        description, incident_address="742 EVERGREEN TERRACE"
    )
    close(service_request)

    response = client.get(status_url(service_request))

    assert "Evergreen" not in response.text
    assert "EVERGREEN" not in response.text
    assert "An inspector visited the address you gave" in response.text


def test_nyc_text_with_braces_is_shown_as_published(client, tmp_path):
    text = "The Police Department responded {see notes} and took action. Unbalanced {"
    service_request = import_row(
        tmp_path,
        **{
            "Status": "Closed",
            "Closed Date": "01/16/2024 09:00:00 AM",
            "Resolution Description": text,
        },
    )

    response = client.get(status_url(service_request))

    assert response.status_code == 200
    assert "{see notes}" in response.text
