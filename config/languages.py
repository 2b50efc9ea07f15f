"""Language facts Django does not ship."""

from django.conf import locale


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
