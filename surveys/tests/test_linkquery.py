import pytest
from django.db import connection

from surveys.linkquery import find_invitation_row
from surveys.models import Response
from surveys.responses import record_response

pytestmark = pytest.mark.django_db


def test_look_up_brings_the_request_agency_and_what_the_resident_was_told(
    invitation, django_assert_num_queries
):
    with django_assert_num_queries(1):
        found = find_invitation_row(invitation.token)
        service_request = found.service_request
        names = (service_request.agency.name, service_request.complaint_type.name)
        with pytest.raises(Response.DoesNotExist):
            found.response  # noqa: B018 (no answer yet)

    assert found.pk == invitation.pk
    assert found.sent_at == invitation.sent_at
    assert service_request.unique_key == invitation.service_request.unique_key
    assert names == (
        invitation.service_request.agency.name,
        invitation.service_request.complaint_type.name,
    )
    assert found.told_version_id is not None


def test_look_up_brings_the_response_once_answered(invitation):
    record_response(
        invitation=invitation,
        answers={"satisfaction": "agree", "fixed": "yes"},
        language="es",
        channel=invitation.channel,
    )

    found = find_invitation_row(invitation.token)

    assert found.response.is_complete is True
    assert found.response.language == "es"
    assert found.response.invitation is found


def test_unknown_token_finds_nothing(invitation):
    assert find_invitation_row(invitation.token[:-1] + "x") is None


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="prepared statements are PostgreSQL's"
)
def test_look_up_is_prepared_once_the_threshold_allows_it(invitation):
    connection.ensure_connection()
    connection.connection.prepare_threshold = 0
    try:
        for _ in range(3):
            assert find_invitation_row(invitation.token).pk == invitation.pk
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%surveys_invitation%"],
            )
            (prepared,) = cursor.fetchone()
    finally:
        connection.connection.prepare_threshold = None

    assert prepared == 1
