from django.urls import path
from django.views.generic import TemplateView

app_name = "dashboards"

urlpatterns = [
    path("", TemplateView.as_view(template_name="staff/base.html"), name="index"),
    path(
        "report-card/",
        TemplateView.as_view(template_name="staff/base.html"),
        name="report_card",
    ),
]
