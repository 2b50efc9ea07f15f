from django.urls import path

from agencies.api.views import ServiceRequestView

app_name = "api"

urlpatterns = [
    path(
        "service-requests/<int:unique_key>/",
        ServiceRequestView.as_view(),
        name="service_request",
    ),
]
