"""The staff API's OpenAPI schema, its docs page, and the API tested against it."""

import re

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.urls import reverse
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from agencies.integrations import create_integration
from config.wsgi import application

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings_or_errors(tmp_path):
    # --fail-on-warn turns drf-spectacular's warnings (an unresolved serializer
    # or authentication class) into a failed command.
    call_command(
        "spectacular",
        "--file",
        str(tmp_path / "schema.yaml"),
        "--validate",
        "--fail-on-warn",
    )

    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/service-requests/{unique_key}/" in text
    assert "IntegrationToken" in text


def test_schema_describes_the_token_bodies_and_errors(client):
    schema = client.get(reverse("api:schema"), HTTP_ACCEPT="application/json").json()

    operations = schema["paths"]["/api/v1/service-requests/{unique_key}/"]
    assert schema["components"]["securitySchemes"]["IntegrationToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": schema["components"]["securitySchemes"]["IntegrationToken"][
            "description"
        ],
    }
    assert set(operations["get"]["responses"]) == {"200", "401", "403", "404"}
    assert set(operations["put"]["responses"]) == {
        "200",
        "201",
        "400",
        "401",
        "403",
        "404",
        "411",
        "413",
    }
    put_body = operations["put"]["requestBody"]["content"]["application/json"]
    body_schema = schema["components"]["schemas"][
        put_body["schema"]["$ref"].rsplit("/", 1)[1]
    ]
    assert {"created_at", "status", "agency"} <= set(body_schema["required"])
    assert "contact" in body_schema["properties"]
    returned = schema["components"]["schemas"]["ServiceRequest"]["properties"]
    assert "contact" not in returned


def test_docs_page_loads_its_scripts_from_the_site_only(client):
    response = client.get(reverse("api:docs"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources
    assert all(source.startswith("/static/") for source in sources), sources
    assert "cdn" not in html.lower()


@pytest.fixture
def token() -> str:
    _, token = create_integration(name="Schemathesis", agency=None)
    return token


@pytest.fixture
def _keep_the_test_connection():
    # Called through the WSGI app, as a server would; like Django's test client,
    # keep the test's database connection (and its transaction) between requests.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Generating the schema reads no database, so it can be loaded as tests are collected.
api = schemathesis.openapi.from_wsgi("/api/v1/schema/", application)


@api.parametrize()
# A bounded run: enough to reach every status the schema names, fast in CI.
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.usefixtures("_keep_the_test_connection")
def test_api_answers_as_its_schema_says_and_never_with_a_server_error(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
