from django.contrib import admin
from django.urls import path
from django.views.generic import RedirectView

admin.site.site_header = "311 Closing the Loop"
admin.site.site_title = "311 Closing the Loop"
admin.site.index_title = "Service requests, resolutions and surveys"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
