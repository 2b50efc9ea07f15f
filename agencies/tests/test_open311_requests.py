"""Open311 GeoReport v2 GET requests: the spec's fields, formats, filters, limits."""

import re
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from django.utils import timezone

from agencies.models import ServiceRequest
from agencies.tests.open311_fixtures import (
    HOUSE_NUMBER_ADDRESS,
    RESIDENT_EMAIL,
    RESIDENT_PHONE,
    RESIDENT_PHONE_E164,
    TOLD_AS_PUBLISHED,
    heat,
    make_request,
    plant_contact,
    told_description,
)
from resolutions.models import DescriptionVersion

pytestmark = pytest.mark.django_db

# The spec's service request fields, in its order.
SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]
# W3C date and time with the offset the spec requires.
W3C = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)")
JANUARY = {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-01-31T00:00:00Z"}


def get_json(client, **params):
    response = client.get(reverse("open311:requests", args=["json"]), params)
    return response, response.json()


def get_xml(client, **params):
    response = client.get(reverse("open311:requests", args=["xml"]), params)
    return response, ElementTree.fromstring(response.content)  # noqa: S314 (our own response)


def xml_requests(root) -> list[dict]:
    return [{child.tag: child.text for child in item} for item in root]


def test_a_closed_request_has_exactly_the_spec_fields_in_spec_formats(client):
    request = make_request(
        closed_at=datetime(2024, 1, 16, 14, 0, tzinfo=UTC),
        due_at=datetime(2024, 1, 20, 15, 0, tzinfo=UTC),
        description=told_description(),
    )

    response, body = get_json(client, **JANUARY)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert len(body) == 1
    document = body[0]
    assert list(document) == SPEC_FIELDS
    assert document["service_request_id"] == str(request.unique_key)
    assert document["status"] == "closed"
    assert document["status_notes"] == TOLD_AS_PUBLISHED
    assert document["service_name"] == "HEAT/HOT WATER"
    assert document["service_code"] == str(heat().pk)
    assert document["description"] == "ENTIRE BUILDING"
    assert document["agency_responsible"] == (
        "Department of Housing Preservation and Development"
    )
    assert document["requested_datetime"] == "2024-01-15T10:00:00-05:00"
    assert document["updated_datetime"] == "2024-01-16T09:00:00-05:00"
    assert document["expected_datetime"] == "2024-01-20T10:00:00-05:00"
    for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
        assert W3C.fullmatch(document[name])
    assert document["zipcode"] == "11204"
    assert (document["lat"], document["long"]) == (40.612, -73.988)


def test_an_open_request_is_open_with_no_notes_and_empty_optional_fields(client):
    make_request(latitude=None, longitude=None, street_name="", borough="")

    _, [document] = get_json(client, **JANUARY)

    assert document["status"] == "open"
    assert document["status_notes"] is None
    assert document["updated_datetime"] == document["requested_datetime"]
    for name in ("expected_datetime", "address", "lat", "long", "media_url"):
        assert document[name] is None


def test_xml_has_the_spec_root_elements_and_the_same_data_as_json(client):
    make_request(
        closed_at=datetime(2024, 1, 16, 14, 0, tzinfo=UTC),
        description=told_description(),
    )
    make_request(created_at=datetime(2024, 1, 10, 12, 0, tzinfo=UTC))

    _, as_json = get_json(client, **JANUARY)
    response, root = get_xml(client, **JANUARY)

    assert response["Content-Type"] == "text/xml; charset=utf-8"
    assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert root.tag == "service_requests"
    assert [item.tag for item in root] == ["request", "request"]
    as_xml = xml_requests(root)
    assert [list(item) for item in as_xml] == [SPEC_FIELDS, SPEC_FIELDS]
    for from_xml, from_json in zip(as_xml, as_json, strict=True):
        assert from_xml == {
            name: None if value is None else str(value)
            for name, value in from_json.items()
        }


def test_one_request_is_answered_as_a_list_of_one_in_both_formats(client):
    request = make_request()

    as_json = client.get(
        reverse("open311:request", args=[request.unique_key, "json"])
    ).json()
    root = ElementTree.fromstring(  # noqa: S314 (our own response)
        client.get(reverse("open311:request", args=[request.unique_key, "xml"])).content
    )

    assert [item["service_request_id"] for item in as_json] == [str(request.pk)]
    assert root.tag == "service_requests"
    assert [item.findtext("service_request_id") for item in root] == [str(request.pk)]


def test_an_unknown_request_gets_the_spec_error_in_json_and_xml(client):
    json_response = client.get(reverse("open311:request", args=[99999999, "json"]))
    xml_response = client.get(reverse("open311:request", args=[99999999, "xml"]))
    too_long = client.get(reverse("open311:request", args=[10**30, "json"]))

    assert json_response.status_code == xml_response.status_code == 404
    assert json_response.json() == [
        {"code": 404, "description": "No service request 99999999."}
    ]
    root = ElementTree.fromstring(xml_response.content)  # noqa: S314 (our own response)
    assert root.tag == "errors"
    assert [(e.tag, e.findtext("code")) for e in root] == [("error", "404")]
    assert root.find("error").findtext("description")
    assert too_long.status_code == 404


@pytest.mark.parametrize("request_id", ["abc", "-1", "1e3", "\u0661\u0662", "12.5"])
@pytest.mark.parametrize("format", ["json", "xml"])
def test_a_request_id_that_is_not_a_number_gets_the_spec_error(
    client, request_id, format
):
    response = client.get(f"/open311/v2/requests/{request_id}.{format}")

    assert response.status_code == 404
    assert format in response["Content-Type"]
    if format == "json":
        assert response.json() == [
            {"code": 404, "description": f"No service request {request_id}."}
        ]
    else:
        root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
        assert [(e.tag, e.findtext("code")) for e in root] == [("error", "404")]


@pytest.mark.parametrize(
    ("path", "format"),
    [
        ("requests.csv", "json"),
        ("requests.JSON", "json"),
        ("requests/56920037", "json"),
        ("discovery.csv", "json"),
        ("services/heat.xml", "xml"),
    ],
)
def test_any_other_address_gets_the_spec_error_in_its_format(client, path, format):
    response = client.get(f"/open311/v2/{path}")

    assert response.status_code == 404
    assert format in response["Content-Type"]
    if format == "json":
        assert response.json()[0]["code"] == 404
    else:
        root = ElementTree.fromstring(response.content)  # noqa: S314 (our own response)
        assert [(e.tag, e.findtext("code")) for e in root] == [("error", "404")]


@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2024-01-01T00:00:00Z", "end_date": "2024-04-01T00:00:01Z"},
        {"start_date": "2024-02-01T00:00:00Z", "end_date": "2024-01-01T00:00:00Z"},
        {"start_date": "last tuesday"},
        {"status": "pending"},
        {"service_code": "heat"},
        {"service_request_id": "12,abc"},
        {"page_size": "1001"},
        {"page": "0"},
    ],
)
def test_bad_parameters_get_400_in_the_spec_error_format(client, params):
    response, body = get_json(client, **params)
    xml_response, root = get_xml(client, **params)

    assert response.status_code == xml_response.status_code == 400
    assert [error["code"] for error in body] == [400]
    assert body[0]["description"]
    assert root.tag == "errors"
    assert root.find("error").findtext("code") == "400"


def test_a_page_number_too_large_says_the_largest_accepted(client):
    response, body = get_json(client, page="99999999999999999999")

    assert response.status_code == 400
    assert body[0]["description"] == "page is a whole number from 1 to 999999999."


@pytest.mark.parametrize("page_size", ["0", "1001", "99999999999", "ten"])
def test_a_page_size_out_of_range_says_the_range_accepted(client, page_size):
    response, body = get_json(client, page_size=page_size)

    assert response.status_code == 400
    assert body[0]["description"] == "page_size is a whole number from 1 to 1000."


def test_the_default_window_is_the_last_90_days(client):
    now = timezone.now()
    recent = make_request(created_at=now - timedelta(days=89))
    make_request(created_at=now - timedelta(days=91))

    _, body = get_json(client)

    assert [item["service_request_id"] for item in body] == [str(recent.pk)]


def test_a_window_of_exactly_90_days_is_accepted_and_bounds_are_inclusive(client):
    first = make_request(created_at=datetime(2024, 1, 1, 5, 0, tzinfo=UTC))
    last = make_request(created_at=datetime(2024, 3, 31, 5, 0, tzinfo=UTC))
    make_request(created_at=datetime(2024, 3, 31, 5, 0, 1, tzinfo=UTC))

    response, body = get_json(
        client, start_date="2024-01-01T00:00:00-05:00", end_date="2024-03-31T01:00:00"
    )

    assert response.status_code == 200
    assert [item["service_request_id"] for item in body] == [
        str(last.pk),
        str(first.pk),
    ]


def test_start_date_alone_searches_90_days_from_it(client):
    inside = make_request(created_at=datetime(2024, 3, 1, tzinfo=UTC))
    make_request(created_at=datetime(2024, 5, 2, tzinfo=UTC))

    _, body = get_json(client, start_date="2024-02-01T00:00:00Z")

    assert [item["service_request_id"] for item in body] == [str(inside.pk)]


def test_status_filter_takes_open_closed_or_both(client):
    description = told_description()
    closed = make_request(
        closed_at=datetime(2024, 1, 16, tzinfo=UTC), description=description
    )
    cancelled = make_request(status=ServiceRequest.Status.CANCELLED)
    pending = make_request(status=ServiceRequest.Status.PENDING)

    def ids(status):
        return {
            item["service_request_id"]
            for item in get_json(client, status=status, **JANUARY)[1]
        }

    assert ids("closed") == {str(closed.pk), str(cancelled.pk)}
    assert ids("open") == {str(pending.pk)}
    assert ids("open,closed") == {str(closed.pk), str(cancelled.pk), str(pending.pk)}


def test_service_code_filter_takes_a_comma_separated_list(client):
    heat_request = make_request()
    noise = heat().agency.complaint_types.create(name="NOISE")
    noise_request = make_request(complaint_type=noise)
    make_request(complaint_type=heat().agency.complaint_types.create(name="PAINT"))

    _, body = get_json(client, service_code=f"{heat().pk},{noise.pk}", **JANUARY)

    assert {item["service_request_id"] for item in body} == {
        str(heat_request.pk),
        str(noise_request.pk),
    }


def test_service_request_id_list_overrides_the_other_filters(client):
    old = make_request(created_at=datetime(2015, 6, 1, tzinfo=UTC))
    recent = make_request(created_at=timezone.now())

    _, body = get_json(
        client,
        service_request_id=f"{old.pk},{recent.pk},99999999",
        status="closed",
        start_date="2024-01-01T00:00:00Z",
    )

    assert {item["service_request_id"] for item in body} == {
        str(old.pk),
        str(recent.pk),
    }


def test_pages_walk_through_results_newest_first(client):
    requests = [
        make_request(created_at=datetime(2024, 1, day, tzinfo=UTC))
        for day in range(2, 7)
    ]
    newest_first = [str(request.pk) for request in reversed(requests)]

    pages = [
        [
            item["service_request_id"]
            for item in get_json(client, page=page, page_size=2, **JANUARY)[1]
        ]
        for page in (1, 2, 3, 4)
    ]

    assert pages == [newest_first[:2], newest_first[2:4], newest_first[4:], []]


def test_status_notes_are_what_the_status_page_shows_even_after_a_newer_version(
    client,
):
    description = told_description()
    request = make_request(
        closed_at=datetime(2024, 1, 16, tzinfo=UTC), description=description
    )
    DescriptionVersion.objects.filter(description=description).update(
        status=DescriptionVersion.Status.RETIRED
    )
    DescriptionVersion.objects.create(
        description=description,
        number=2,
        status=DescriptionVersion.Status.PUBLISHED,
        text="A newer text the resident was never told.",
    )

    _, [document] = get_json(client, **JANUARY)
    page = client.get(reverse("request_status", args=[request.pk]))

    assert document["status_notes"] == TOLD_AS_PUBLISHED
    assert TOLD_AS_PUBLISHED in page.text


def test_no_contact_details_nor_house_number_in_any_answer(client):
    request = make_request(
        closed_at=datetime(2024, 1, 16, tzinfo=UTC), description=told_description()
    )
    plant_contact(request)

    answers = [
        client.get(reverse("open311:requests", args=[format]), JANUARY).content
        for format in ("json", "xml")
    ] + [
        client.get(reverse("open311:request", args=[request.pk, format])).content
        for format in ("json", "xml")
    ]

    digits = re.sub(r"\D", "", RESIDENT_PHONE)
    for answer in answers:
        text = answer.decode()
        assert RESIDENT_EMAIL not in text
        assert RESIDENT_PHONE not in text
        assert RESIDENT_PHONE_E164 not in text
        assert digits not in re.sub(r"\D", "", text)
        assert HOUSE_NUMBER_ADDRESS not in text
        assert "3066150001" not in text  # the BBL names one lot
        assert "40.612345" not in text


@pytest.mark.parametrize(
    ("street_name", "address"),
    [
        ("1048 RAYMOND BLVD", "RAYMOND BLVD, Brooklyn"),
        ("45-10 COURT SQUARE", "COURT SQUARE, Brooklyn"),
        ("12A  MAIN STREET", "MAIN STREET, Brooklyn"),
        ("1048 86 STREET", "86 STREET, Brooklyn"),
        # The number of a numbered street is no house number.
        ("5 AVENUE", "5 AVENUE, Brooklyn"),
        ("86 STREET", "86 STREET, Brooklyn"),
        ("WEST 7 STREET", "WEST 7 STREET, Brooklyn"),
    ],
)
def test_a_house_number_inside_the_street_name_is_left_out_of_the_address(
    client, street_name, address
):
    request = make_request(street_name=street_name)

    response = client.get(reverse("open311:request", args=[request.pk, "json"]))

    assert response.json()[0]["address"] == address


def test_a_list_costs_the_same_queries_for_two_requests_or_fifty(
    client, django_assert_num_queries
):
    # Requests, notices and their versions, translations; then the published
    # versions of open requests' descriptions and their translations.
    description = told_description()
    make_request(closed_at=datetime(2024, 1, 16, tzinfo=UTC), description=description)
    make_request(description=description)
    with django_assert_num_queries(5):
        get_json(client, **JANUARY)

    for day in range(2, 28):
        make_request(
            created_at=datetime(2024, 1, day, tzinfo=UTC),
            closed_at=datetime(2024, 1, day, 12, tzinfo=UTC),
            description=description,
        )
        make_request(
            created_at=datetime(2024, 1, day, tzinfo=UTC), description=description
        )
    with django_assert_num_queries(5):
        _, body = get_json(client, **JANUARY)

    assert len(body) == 54
