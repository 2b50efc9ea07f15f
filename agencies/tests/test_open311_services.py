"""Open311 GeoReport v2 GET services: complaint types, grouped by agency."""

from xml.etree import ElementTree

import pytest
from django.urls import reverse

from agencies.models import Agency, ComplaintType

pytestmark = pytest.mark.django_db

SPEC_FIELDS = [
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
]


@pytest.fixture
def complaint_types():
    hpd = Agency.objects.get(code="HPD")
    dsny = Agency.objects.get(code="DSNY")
    return [
        ComplaintType.objects.create(agency=dsny, name="Missed Collection"),
        ComplaintType.objects.create(agency=hpd, name="HEAT/HOT WATER"),
    ]


def test_services_list_every_complaint_type_with_the_spec_fields(
    client, complaint_types
):
    missed, _heat = complaint_types

    response = client.get(reverse("open311:services", args=["json"]))

    assert response.status_code == 200
    body = response.json()
    assert [list(service) for service in body] == [SPEC_FIELDS, SPEC_FIELDS]
    assert body[0] == {
        "service_code": str(missed.pk),
        "service_name": "Missed Collection",
        "description": "Missed Collection, handled by Department of Sanitation.",
        "metadata": False,
        "type": "realtime",
        "keywords": "",
        "group": "DSNY",
    }
    assert body[1]["group"] == "HPD"


def test_services_xml_has_the_spec_root_and_the_same_data(client, complaint_types):
    as_json = client.get(reverse("open311:services", args=["json"])).json()
    response = client.get(reverse("open311:services", args=["xml"]))

    root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
    assert root.tag == "services"
    assert [item.tag for item in root] == ["service", "service"]
    as_xml = [{child.tag: child.text or "" for child in item} for item in root]
    assert as_xml[0]["metadata"] == "false"
    assert as_xml == [
        {
            name: ("false" if value is False else str(value))
            for name, value in service.items()
        }
        for service in as_json
    ]


def test_an_unknown_format_is_not_found(client):
    assert client.get("/open311/v2/services.csv").status_code == 404


def test_open311_is_read_only(client):
    response = client.post(reverse("open311:requests", args=["json"]), {})

    assert response.status_code == 405
