from django.urls import path

from surveys.dashboards import views

app_name = "dashboards"

urlpatterns = [
    path("", views.index, name="index"),
    path("over-time/", views.trend, name="trend"),
    path("time-to-close/", views.time_to_close, name="time_to_close"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("versions/", views.versions, name="versions"),
    path("report-card/", views.report_card, name="report_card"),
]
