from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from resolutions.views import request_status

admin.site.site_header = "311 Closing the Loop"
admin.site.site_title = "311 Closing the Loop"
admin.site.index_title = "Service requests, resolutions and surveys"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", include("agencies.api.urls")),
    path("open311/v2/", include("agencies.open311.urls")),
    path("requests/<int:unique_key>/", request_status, name="request_status"),
    path("webhooks/", include("surveys.webhook_urls")),
    path("staff/review/", include("surveys.review.urls")),
    path("staff/dashboards/", include("surveys.dashboards.urls")),
    path("open-data/", include("surveys.publication.urls")),
    path("", include("surveys.urls")),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
