from django.http import HttpRequest, JsonResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from agencies.api.views import ServiceRequestView

app_name = "api"


@csrf_exempt  # token-authenticated clients send no CSRF token; nothing is written
def not_found(request: HttpRequest, rest: str) -> JsonResponse:
    """Any other address under the API, e.g. a request number that is not a number:
    a JSON 404 like the API's own, not the site's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=404)


urlpatterns = [
    path(
        "service-requests/<int:unique_key>/",
        ServiceRequestView.as_view(),
        name="service_request",
    ),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^(?P<rest>[\s\S]*)$", not_found),
]
