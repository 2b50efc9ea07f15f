"""Open311 serves the bundled NYC sample with the texts its residents were told."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.urls import reverse

from agencies.models import ServiceRequest
from agencies.services import import_service_requests
from resolutions.models import ResolutionNotice
from resolutions.rendering import resident_text

pytestmark = pytest.mark.django_db

SAMPLE = settings.BASE_DIR / "data" / "nyc311_sample.csv.gz"


def test_bundled_requests_are_served_with_the_text_their_residents_were_told(
    client,
):
    import_service_requests(path=SAMPLE)
    notices = {
        notice.service_request_id: notice
        for notice in ResolutionNotice.objects.select_related(
            "version", "service_request__agency", "service_request__complaint_type"
        ).order_by("service_request_id")[:50]
    }
    assert len(notices) == 50
    keys = ",".join(str(key) for key in notices)

    body = client.get(
        reverse("open311:requests", args=["json"]), {"service_request_id": keys}
    ).json()

    assert len(body) == 50
    for document in body:
        notice = notices[int(document["service_request_id"])]
        told = resident_text(
            notice.version, "en", notice.service_request, public=True
        ).text
        assert document["status_notes"] == told
        assert told.strip()
        assert document["status"] == "closed"
        assert document["agency_responsible"]


def test_a_window_of_the_bundled_sample_lists_its_requests(client):
    import_service_requests(path=SAMPLE)
    newest = ServiceRequest.objects.exclude(created_at=None).latest("created_at")
    end = newest.created_at
    start = end - timedelta(days=90)

    body = client.get(
        reverse("open311:requests", args=["json"]),
        {"start_date": start.isoformat(), "end_date": end.isoformat()},
    ).json()

    expected = ServiceRequest.objects.filter(
        created_at__gte=start, created_at__lte=end
    ).count()
    assert len(body) == min(expected, 1000) > 0
    assert body[0]["service_request_id"] == str(newest.pk)


def test_the_sample_row_with_a_house_number_in_its_street_name_shows_the_street(
    client,
):
    import_service_requests(path=SAMPLE)
    request = ServiceRequest.objects.get(pk=40176306)
    assert request.street_name == "1048 RAYMOND BLVD"

    body = client.get(reverse("open311:request", args=[request.pk, "json"])).json()

    assert body[0]["address"].startswith("RAYMOND BLVD")
    assert "1048" not in body[0]["address"]
