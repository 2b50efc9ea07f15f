"""Turning the resolution texts found in NYC data into descriptions."""

import hashlib
import re
from collections.abc import Iterable

import ftfy
from django.db import transaction

from resolutions.models import DescriptionVersion, LegacyText, ResolutionDescription

_WHITESPACE = re.compile(r"\s+")
_TITLE_LENGTH = 80


def normalize_legacy_text(text: str) -> str:
    """The form a published text is matched by: mojibake repaired, spaces folded."""
    return _WHITESPACE.sub(" ", ftfy.fix_text(text)).strip()


def legacy_text_hash(normalized_text: str) -> str:
    return hashlib.sha256(normalized_text.encode()).hexdigest()


def _title_for(text: str) -> str:
    if len(text) <= _TITLE_LENGTH:
        return text
    return text[: _TITLE_LENGTH - 1].rsplit(" ", 1)[0] + "…"


@transaction.atomic
def ensure_legacy_descriptions(
    pairs: Iterable[tuple[str, str]],
) -> dict[tuple[str, str], int]:
    """Map each (agency code, published text) to the id of its description.

    A text seen for the first time becomes a new description of that agency with
    the text as its published legacy version.
    """
    wanted: dict[tuple[str, str], tuple[str, str]] = {}
    for agency_code, raw_text in pairs:
        normalized = normalize_legacy_text(raw_text)
        if normalized:
            wanted[(agency_code, raw_text)] = (agency_code, normalized)
    if not wanted:
        return {}

    hashes = {legacy_text_hash(text) for _, text in wanted.values()}
    known = {
        (agency_id, text_hash): description_id
        for agency_id, text_hash, description_id in LegacyText.objects.filter(
            text_hash__in=hashes
        ).values_list("agency_id", "text_hash", "description_id")
    }

    new_texts = sorted(
        {
            key
            for key in wanted.values()
            if (key[0], legacy_text_hash(key[1])) not in known
        }
    )
    descriptions = ResolutionDescription.objects.bulk_create(
        ResolutionDescription(agency_id=agency_code, title=_title_for(text))
        for agency_code, text in new_texts
    )
    DescriptionVersion.objects.bulk_create(
        DescriptionVersion(
            description=description,
            number=1,
            status=DescriptionVersion.Status.PUBLISHED,
            is_legacy=True,
            text=text,
            change_note="Text as published in NYC 311 data.",
        )
        for description, (_, text) in zip(descriptions, new_texts, strict=True)
    )
    LegacyText.objects.bulk_create(
        LegacyText(
            agency_id=agency_code,
            text=text,
            text_hash=legacy_text_hash(text),
            description=description,
        )
        for description, (agency_code, text) in zip(
            descriptions, new_texts, strict=True
        )
    )
    for description, (agency_code, text) in zip(descriptions, new_texts, strict=True):
        known[(agency_code, legacy_text_hash(text))] = description.pk

    return {
        pair: known[(agency_code, legacy_text_hash(text))]
        for pair, (agency_code, text) in wanted.items()
    }
