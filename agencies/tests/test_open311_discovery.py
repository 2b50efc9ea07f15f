"""Open311 GeoReport v2 service discovery: where the API is and how to reach it."""

from xml.etree import ElementTree

import pytest


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://311.example.org"
    settings.OPEN311_CONTACT = "Call 311."


def test_discovery_points_clients_at_this_api_in_json(client):
    response = client.get("/open311/v2/discovery.json")

    document = response.json()
    assert response.status_code == 200
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    assert document["contact"] == "Call 311."
    [endpoint] = document["endpoints"]
    assert endpoint["url"] == "https://311.example.org/open311/v2"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["type"] == "production"
    assert endpoint["formats"] == ["application/json", "text/xml"]


def test_discovery_in_xml_has_the_spec_layout_and_the_same_data(client):
    as_json = client.get("/open311/v2/discovery.json").json()

    root = ElementTree.fromstring(client.get("/open311/v2/discovery.xml").content)  # noqa: S314 (our own response)

    assert root.tag == "discovery"
    assert root.findtext("contact") == as_json["contact"]
    endpoint = root.find("endpoints/endpoint")
    assert endpoint.findtext("url") == as_json["endpoints"][0]["url"]
    assert [f.text for f in endpoint.find("formats")] == [
        "application/json",
        "text/xml",
    ]


@pytest.mark.django_db
def test_the_urls_discovery_gives_answer(client):
    url = client.get("/open311/v2/discovery.json").json()["endpoints"][0]["url"]
    path = url.removeprefix("https://311.example.org")

    assert client.get(f"{path}/services.json").status_code == 200
