from django.urls import path, re_path

from surveys.publication import views

app_name = "opendata"

urlpatterns = [
    path("", views.index, name="index"),
    path("dictionary/", views.data_dictionary, name="dictionary"),
    path("releases.json", views.release_list, name="releases"),
    re_path(
        r"^(?P<slug>\d{4}-\d{2}(?:-demo)?-r\d+)/(?P<kind>results\.csv|tables\.csv|results\.json)$",
        views.download,
        name="download",
    ),
]
