"""Numbers typed into search boxes and query strings."""

from django.db.models import BigIntegerField


def stored_number(text: str) -> int | None:
    """`text` as a number the database can hold, else None.

    Plain ASCII digits only: str.isdigit() also takes "²" and Arabic-Indic digits, which int()
    refuses or reads differently. A number past 64 bits names no stored row, and
    asking the database for it would fail instead of finding nothing.
    """
    text = text.strip()
    if not (text.isascii() and text.isdigit()):
        return None
    number = int(text)
    return number if number <= BigIntegerField.MAX_BIGINT else None
