from django.urls import path, register_converter

from agencies.open311 import views


class FormatConverter:
    regex = "json|xml"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

app_name = "open311"

urlpatterns = [
    path("services.<open311_format:format>", views.services, name="services"),
    path(
        "requests.<open311_format:format>",
        views.service_requests,
        name="requests",
    ),
    path(
        "requests/<int:service_request_id>.<open311_format:format>",
        views.service_request,
        name="request",
    ),
]
