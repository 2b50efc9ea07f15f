"""Supervisor review of responses that need attention: the queue, cases, exports."""

from django.urls import path

from surveys.review import views

app_name = "review"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("export.csv", views.export, name="export"),
    path("assign/", views.bulk_assign, name="bulk_assign"),
    path("<int:pk>/", views.case_detail, name="case"),
    path("<int:pk>/assign/", views.assign, name="assign"),
    path("<int:pk>/note/", views.add_note, name="note"),
    path("<int:pk>/close/", views.close, name="close"),
]
