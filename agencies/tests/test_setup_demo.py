"""`make run`'s demo: fake contacts and a staff API call that closes a request."""

import json
import shlex
from io import StringIO
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from resolutions.models import ResolutionNotice
from surveys.models import Channel, Contact

pytestmark = pytest.mark.django_db


def setup_demo() -> str:
    out = StringIO()
    call_command("setup_demo", stdout=out)
    return out.getvalue()


def curl_arguments(output: str) -> list[str]:
    command = output[output.index("curl -X PUT") :].replace("\\\n", " ")
    return shlex.split(command)


def test_open_sample_requests_get_fake_textable_contacts_once():
    setup_demo()
    first = set(Contact.objects.values_list("pk", "updated_at"))

    setup_demo()

    contacts = Contact.objects.all()
    assert set(contacts.values_list("pk", "updated_at")) == first
    assert len(first) == 100
    assert all(contact.is_fake for contact in contacts)
    assert not contacts.filter(service_request__status="Closed").exists()
    assert all(contact.email.endswith("@example.org") for contact in contacts)
    assert all(contact.phone_e164.startswith("+121255501") for contact in contacts)
    assert all(contact.can_receive(Channel.SMS) for contact in contacts)
    assert {"es", "zh-hans", "ar"} <= set(contacts.values_list("language", flat=True))


def test_the_printed_curl_closes_a_request_with_a_fake_contact():
    arguments = curl_arguments(setup_demo())
    url = next(argument for argument in arguments if argument.startswith("http"))
    headers = [arguments[i + 1] for i, a in enumerate(arguments) if a == "-H"]
    body = json.loads(arguments[arguments.index("-d") + 1])
    token = next(h for h in headers if h.startswith("Authorization:")).split()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    path = urlsplit(url).path

    response = client.put(path, body, format="json")

    assert response.status_code == 200
    key = response.json()["unique_key"]
    assert Contact.objects.get(service_request_id=key).is_fake
    notice = ResolutionNotice.objects.get(service_request_id=key)
    assert notice.version.description.is_example


def test_each_run_prints_a_new_token_and_the_old_one_stops_working():
    old = curl_arguments(setup_demo())
    new = curl_arguments(setup_demo())
    old_header = old[old.index("-H") + 1]
    new_header = new[new.index("-H") + 1]
    client = APIClient()

    client.credentials(HTTP_AUTHORIZATION=old_header.split(": ", 1)[1])
    refused = client.get(urlsplit(old[3]).path)
    client.credentials(HTTP_AUTHORIZATION=new_header.split(": ", 1)[1])
    accepted = client.get(urlsplit(new[3]).path)

    assert old_header != new_header
    assert refused.status_code == 401
    assert accepted.status_code == 200
