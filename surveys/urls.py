"""The links in residents' messages: exactly /s/<token>/ and /u/<token>/ (see links.py)."""

from django.urls import path

from surveys import views

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", views.survey, name="survey"),
    path("s/<str:token>/thanks/", views.thanks, name="thanks"),
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
]
