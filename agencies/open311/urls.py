from django.urls import path, re_path, register_converter

from agencies.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RequestIdConverter:
    """Any text up to the format: an id that is not a number still gets an
    Open311 error in the format asked for, not the site's HTML 404 page."""

    regex = "[^/]+?"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(FormatConverter, "open311_format")
register_converter(RequestIdConverter, "open311_id")

app_name = "open311"

urlpatterns = [
    path("discovery.<open311_format:format>", views.discovery, name="discovery"),
    path("services.<open311_format:format>", views.services, name="services"),
    path(
        "requests.<open311_format:format>",
        views.service_requests,
        name="requests",
    ),
    path(
        "requests/<open311_id:service_request_id>.<open311_format:format>",
        views.service_request,
        name="request",
    ),
    # Anything else under the API, e.g. requests.csv or requests/12 without a
    # format, gets the spec's error list, not the site's HTML page.
    re_path(r"^(?P<rest>[\s\S]*)$", views.not_found),
]
