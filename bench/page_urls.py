"""The site's URLs plus three views for comparison, which never exist on the site.

/bench/bare/ does nothing. /bench/page-sized/ answers with a fixed body as long
as the survey page: what the page's bytes cost. /bench/one-query/<token>/ does
only what no survey page can do without: the link's one look-up
(surveys.linkquery), answered with that body. The rest of the survey page's cost
(rate limits, CSRF, filling the page) is what the page adds on top.
"""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as site_urlpatterns
from surveys.linkquery import find_invitation_row

# About the size of the survey page's HTML in English.
PAGE_SIZED_BODY = "x" * 10_500


def bare(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


def page_sized(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE_SIZED_BODY, content_type="text/html")


def one_query(request: HttpRequest, token: str) -> HttpResponse:
    if find_invitation_row(token) is None:
        return HttpResponse(status=404)
    return HttpResponse(PAGE_SIZED_BODY, content_type="text/html")


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/page-sized/", page_sized),
    path("bench/one-query/<str:token>/", one_query),
    *site_urlpatterns,
]
