"""Language facts Django does not ship."""

from django.conf import locale, settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation


def register_haitian_creole() -> None:
    """Teach Django about Haitian Creole, one of NYC's designated languages.

    Django's language table has no "ht", and its language-switching helpers look
    every language up there.
    """
    locale.LANG_INFO.setdefault(
        "ht",
        {
            "bidi": False,
            "code": "ht",
            "name": "Haitian Creole",
            "name_local": "Kreyòl ayisyen",
        },
    )


def remember_language(response: HttpResponse, language: str) -> None:
    """Keep a visitor's choice of language, as Django's own switcher does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )


def activate_supported(request: HttpRequest, code: str) -> str | None:
    """Switch this request to the site's variant of `code`; None if it has none."""
    try:
        language = translation.get_supported_language_variant(code)
    except LookupError:
        return None
    # Activated, not overridden: the middleware reads it back for Content-Language.
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language
