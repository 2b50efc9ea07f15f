"""Plain-language help for the description editor, shown while editing and on submit.

Everything here works on strings alone: no database, no network. The editor calls
`check_version` (or `check_text` and `check_sms` one field at a time) and shows each
`Finding` beside the field it names. Errors block submission, warnings are shown but
allowed, and info findings carry figures such as the reading grade and SMS segments.

Messages are written to the agency editor and translated with the language active
when the check runs.
"""

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from types import MappingProxyType
from typing import Literal, NamedTuple

import pyphen
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


# So callers can write `plain_language.ERROR`.
ERROR, WARNING, INFO = Level.ERROR, Level.WARNING, Level.INFO


FieldName = Literal["text", "sms_text"]


@dataclass(frozen=True)
class Finding:
    """One thing the editor should see about a field of a description version.

    `code` is stable for templates and tests; `subject` is the phrase, placeholder
    or character the finding is about (empty when it is about the whole field), so
    the editor can highlight it.
    """

    level: Level
    code: str
    message: str
    field: FieldName = "text"
    subject: str = ""

    @property
    def blocks_submission(self) -> bool:
        return self.level == Level.ERROR


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(finding.blocks_submission for finding in findings)


# --- Placeholders ------------------------------------------------------------------


@dataclass(frozen=True)
class _Placeholder:
    help: Promise
    # Read for the reading grade and the length of the web/email text.
    typical: str
    # Read for SMS length: a long value seen in real NYC 311 data, so a message that
    # fits here fits for nearly every request.
    longest: str
    # Shown to residents when the value is missing; a noun phrase, like the values.
    fallback: Promise


_SPECS: Mapping[str, _Placeholder] = MappingProxyType(
    {
        "agency_name": _Placeholder(
            help=gettext_lazy(
                "The agency's full name without “the”, e.g. “Department of "
                "Sanitation”: write “the {agency_name}” where English needs it."
            ),
            typical="New York City Police Department",
            # The longest agency name common in 311 data (HPD).
            longest="Department of Housing Preservation and Development",
            fallback=gettext_lazy("City agency"),
        ),
        "closed_date": _Placeholder(
            help=gettext_lazy("The day the agency closed the request, e.g. “March 3”."),
            typical="March 3, 2026",
            longest="September 30, 2026",
            fallback=gettext_lazy("the day your request was closed"),
        ),
        "address": _Placeholder(
            help=gettext_lazy("The address the resident reported, with the borough."),
            typical="123 Main Street, Brooklyn",
            # 99% of addresses in 311 data, with their borough, are this long or shorter.
            longest="147-25 FRANCIS LEWIS BOULEVARD, QUEENS",
            fallback=gettext_lazy("the address you gave"),
        ),
        "complaint_type": _Placeholder(
            help=gettext_lazy(
                "The type of complaint as 311 names it, e.g. “Noise - Residential”."
            ),
            typical="Noise - Residential",
            longest="Sanitation Worker or Vehicle Complaint",
            fallback=gettext_lazy("the problem you reported"),
        ),
        "request_number": _Placeholder(
            help=gettext_lazy(
                "The 311 service request number. Residents need it to follow up "
                "or to ask about this request."
            ),
            typical="311-12345678",
            longest="311-12345678",
            fallback=gettext_lazy("the number in your 311 confirmation"),
        ),
    }
)

#: The placeholders an editor may use, each with a short explanation for staff.
PLACEHOLDERS: Mapping[str, Promise] = MappingProxyType(
    {name: spec.help for name, spec in _SPECS.items()}
)

#: What a resident reads where a placeholder's value is missing.
FALLBACKS: Mapping[str, Promise] = MappingProxyType(
    {name: spec.fallback for name, spec in _SPECS.items()}
)

_TYPICAL_VALUES = {name: spec.typical for name, spec in _SPECS.items()}
_LONGEST_VALUES = {name: spec.longest for name, spec in _SPECS.items()}

# A pair of braces with no brace inside; whatever is left over is unbalanced.
_BRACED = re.compile(r"\{([^{}]*)\}")
_STRAY_BRACE = re.compile(r"[{}]")


@dataclass(frozen=True)
class _PlaceholderScan:
    unknown: list[str]
    stray_braces: list[int]


def _scan_placeholders(text: str) -> _PlaceholderScan:
    unknown: list[str] = []
    for match in _BRACED.finditer(text):
        name = match.group(1)
        if name not in _SPECS and name not in unknown:
            unknown.append(name)
    without_pairs = _BRACED.sub(lambda m: " " * len(m.group(0)), text)
    stray = [m.start() for m in _STRAY_BRACE.finditer(without_pairs)]
    return _PlaceholderScan(unknown=unknown, stray_braces=stray)


def _substitute(text: str, values: Mapping[str, str]) -> str:
    """Replace the placeholders named in `values`; anything else stays as written."""
    return _BRACED.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def fill_placeholders(text: str, values: Mapping[str, str]) -> str:
    """The text a resident reads, with every placeholder filled.

    A value that is missing or blank is replaced by the placeholder's fallback in
    `FALLBACKS` (e.g. {address} becomes “the address you gave”), so a resident never
    sees a raw “{address}”. Fallbacks are noun phrases in the active language.

    Raises ValueError for an unknown placeholder or a stray brace in `text`, and for
    an unknown name in `values`: `check_text` and `check_sms` make those errors
    before a version can be submitted, so reaching one here is a bug to fix rather
    than a message to send.
    """
    unexpected = sorted(set(values) - set(_SPECS))
    if unexpected:
        raise ValueError(f"Unknown placeholder values: {', '.join(unexpected)}")
    scan = _scan_placeholders(text)
    if scan.unknown or scan.stray_braces:
        raise ValueError(
            f"Text has unknown placeholders {scan.unknown} "
            f"or stray braces at {scan.stray_braces}"
        )

    filled = {
        name: (values.get(name) or "").strip() or str(spec.fallback)
        for name, spec in _SPECS.items()
    }
    return _substitute(text, filled)


def _placeholder_list() -> str:
    return ", ".join(f"{{{name}}}" for name in _SPECS)


def _check_placeholders(text: str, field: FieldName) -> list[Finding]:
    scan = _scan_placeholders(text)
    findings = []
    for name in scan.unknown:
        close = difflib.get_close_matches(name.strip().lower(), _SPECS, n=1)
        if close:
            message = _(
                "“{%(name)s}” is not a placeholder this site can fill. Did you mean "
                "{%(suggestion)s}? You can use: %(placeholders)s."
            ) % {
                "name": name,
                "suggestion": close[0],
                "placeholders": _placeholder_list(),
            }
        else:
            message = _(
                "“{%(name)s}” is not a placeholder this site can fill. "
                "You can use: %(placeholders)s."
            ) % {"name": name, "placeholders": _placeholder_list()}
        findings.append(
            Finding(Level.ERROR, "unknown_placeholder", message, field, f"{{{name}}}")
        )
    for position in scan.stray_braces:
        brace = text[position]
        context = text[max(0, position - 15) : position + 16].strip()
        findings.append(
            Finding(
                Level.ERROR,
                "unbalanced_brace",
                _(
                    "There is a “%(brace)s” without its partner near “%(context)s”. "
                    "Placeholders need both braces, like {address}; residents' text "
                    "cannot contain other braces."
                )
                % {"brace": brace, "context": context},
                field,
                brace,
            )
        )
    return findings


# --- Markup ----------------------------------------------------------------------

# The start of an HTML tag, closing tag, comment or declaration: "<b", "</a",
# "<img/src=x", "<!--", "<?xml". Browsers read a tag from there whatever follows,
# so nothing after it is required. A "<" before a space, a digit or a symbol
# ("< 5 days", "<3", "<=", "<-") is ordinary text.
_TAG = re.compile(r"<[A-Za-z/!?](?:[^<>]{0,38}>|[^<>\s]{0,38})")


def find_markup(text: str) -> str:
    """The first HTML tag in `text`, or "".

    Residents get texts as written, in emails, texts, web pages and Open311: a
    tag would show as its characters, and an app that renders Open311 notes as
    HTML would run it.
    """
    tag = _TAG.search(text)
    return tag[0] if tag else ""


def _check_markup(text: str, field: FieldName) -> list[Finding]:
    tag = find_markup(text)
    if not tag:
        return []
    return [
        Finding(
            Level.ERROR,
            "markup",
            _(
                "“%(tag)s” is HTML. Residents get this text as written, so they "
                "would see the tag itself: write plain text, with a new line "
                "where you want a break."
            )
            % {"tag": tag[:40]},
            field,
            tag,
        )
    ]


# --- Reading grade ----------------------------------------------------------------

# Words as textstat counts them: a number is one word of one syllable.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+(?:[.,:/-]\d+)*")
# A sentence ends at . ! or ? before a space, or at a line break (list items).
_SENTENCE_END = re.compile(r"[.!?]+[\"'”’)]*(?:\s+|$)|\n+")
# A web address is read as one thing, not as "nyc", "gov" and "hpd".
_URL = re.compile(r"\b(?:https?://|www\.)\S+|\b[\w-]+\.(?:gov|org|com|net|nyc)\b\S*")
_URL_TRAILING = ".,;:!?)\"'”’"


def _without_urls(text: str) -> str:
    def one_word(match: re.Match[str]) -> str:
        url = match.group(0)
        # Keep the full stop after an address: it still ends the sentence.
        return "website" + url[len(url.rstrip(_URL_TRAILING)) :]

    return _URL.sub(one_word, text)


@cache
def _hyphenator() -> pyphen.Pyphen:
    # Pyphen ships its dictionaries inside the package: nothing is downloaded.
    return pyphen.Pyphen(lang="en_US")


def _vowel_groups(word: str) -> int:
    word = word.lower()
    if len(word) <= 3:
        return 1
    # Endings that add a letter but no syllable: "repaired", "removes", "make".
    word = re.sub(r"([^aeiouytd])ed$", r"\1", word)
    word = re.sub(r"([^laeiouy])es$", r"\1", word)
    word = re.sub(r"([^laeiouy])e$", r"\1", word)
    word = re.sub(r"^y", "", word)
    return max(1, len(re.findall(r"[aeiouy]{1,2}", word)))


def count_syllables(word: str) -> int:
    """Syllables in one English word, for the Flesch-Kincaid grade.

    Hyphenation points (pyphen) undercount: the dictionary never splits a word's
    first or last letters off ("open", "able", "city"), so the vowel-group count is
    taken when it is larger. On the words of NYC's legacy texts this lands within
    0.25 of a grade of counting with the CMU pronouncing dictionary (what textstat
    does when it can download it).
    """
    if not word or word[0].isdigit():
        return 1
    by_hyphenation = len(_hyphenator().positions(word.lower())) + 1
    return max(by_hyphenation, _vowel_groups(word))


def reading_grade(text: str) -> float:
    """The Flesch-Kincaid grade level of English text, rounded to one decimal.

    0.39 * words per sentence + 11.8 * syllables per word - 15.59, floored at 0:
    long sentences and long words raise it. Fill placeholders before calling.
    """
    text = _without_urls(text)
    sentences = [s for s in _SENTENCE_END.split(text) if _WORD.search(s)]
    words = _WORD.findall(text)
    if not words:
        return 0.0
    syllables = sum(count_syllables(word) for word in words)
    grade = 0.39 * len(words) / len(sentences) + 11.8 * syllables / len(words) - 15.59
    return max(0.0, round(grade, 1))


def _longest_sentence_words(text: str) -> int:
    text = _without_urls(text)
    return max(
        (len(_WORD.findall(s)) for s in _SENTENCE_END.split(text)),
        default=0,
    )


# --- Vague phrases ----------------------------------------------------------------


@dataclass(frozen=True)
class VaguePhrase:
    phrase: str
    pattern: re.Pattern[str]
    suggestion: Promise


def _vague(phrase: str, pattern: str, suggestion: Promise) -> VaguePhrase:
    return VaguePhrase(phrase, re.compile(pattern, re.IGNORECASE), suggestion)


# Phrases from NYC's own resolution texts (shared/data, counts of 311 requests in
# that sample) that tell a resident nothing they can picture or act on.
VAGUE_PHRASES: tuple[VaguePhrase, ...] = (
    # "took action to fix the condition": 2,765 NYPD requests.
    _vague(
        "took action",
        r"\btook\s+action\b",
        gettext_lazy(
            "Replace “took action” with what the agency actually did, e.g. "
            "“repaired the streetlight” or “asked the neighbors to turn the music "
            "down”."
        ),
    ),
    # In 116 different legacy texts, used for 9,240 requests.
    _vague(
        "the condition",
        r"\bthe\s+conditions?\b",
        gettext_lazy(
            "Name the problem instead of “the condition”, e.g. “the loud music” or "
            "“the broken streetlight”. {complaint_type} fills in the type of "
            "complaint."
        ),
    ),
    # "observed no evidence of the violation at that time": 3,473 NYPD requests.
    _vague(
        "at that time",
        r"\bat\s+that\s+time\b",
        gettext_lazy(
            "Say when, e.g. “when officers arrived”, or leave “at that time” out."
        ),
    ),
    _vague(
        "no evidence of the violation",
        r"\bno\s+evidence\s+of\s+(?:the|a|any)\s+violations?\b",
        gettext_lazy(
            "Say what staff saw or heard instead of “no evidence of the violation”, "
            "e.g. “officers did not hear loud music when they arrived”."
        ),
    ),
    # 66 legacy texts, 1,590 requests: hides who decided, and how.
    _vague(
        "determined that",
        r"\bdetermined\s+that\b",
        gettext_lazy(
            "Say what staff found instead of “determined that”, e.g. “the inspector "
            "found the boiler working”."
        ),
    ),
    _vague(
        "appropriate action",
        r"\bappropriate\s+action\b",
        gettext_lazy(
            "Say which action instead of “appropriate action”, e.g. “send an "
            "inspector within 10 days”."
        ),
    ),
    _vague(
        "further action",
        r"\bfurther\s+action\b",
        gettext_lazy(
            "Say plainly what will or will not happen next instead of “further "
            "action”, e.g. “We will not inspect again unless you make a new report.”"
        ),
    ),
    # "referred this complaint to the appropriate Maintenance Unit": to whom?
    _vague(
        "referred",
        r"\breferred\b",
        gettext_lazy(
            "Say who has the request now and what they will do instead of "
            "“referred”, e.g. “We sent your report to the Department of Buildings. "
            "An inspector will visit within 30 days.”"
        ),
    ),
    # "See notes.": 254 requests, and a text message cannot show notes at all.
    _vague(
        "see notes",
        r"\bsee\s+(?:the\s+)?(?:customer\s+)?notes\b",
        gettext_lazy(
            "Residents may not see the agency's notes, and a text message cannot "
            "show them. Put what residents need in this text instead of “see notes”."
        ),
    ),
    _vague(
        "if warranted",
        r"\bif\s+warranted\b",
        gettext_lazy(
            "Say what decides it instead of “if warranted”, e.g. “If the tree is "
            "damaged, we will remove it within 10 days.”"
        ),
    ),
)


def _check_vague_phrases(text: str, field: FieldName) -> list[Finding]:
    return [
        Finding(
            Level.WARNING, "vague_phrase", str(vague.suggestion), field, vague.phrase
        )
        for vague in VAGUE_PHRASES
        if vague.pattern.search(text)
    ]


# --- The two parts every text needs -------------------------------------------------

_ACTION_VERBS = (
    "inspected|repaired|removed|issued|visited|cleaned|fixed|replaced|towed|"
    "collected|installed|checked|tested|trimmed|pruned|planted|patched|filled|"
    "painted|restored|cleared|swept|plowed|salted|sealed|secured|boarded|"
    "responded|investigated|contacted|called|spoke|talked|told|warned|asked|gave|"
    "sent|mailed|emailed|found|saw|heard|went|arrived|met|reviewed|updated|"
    "scheduled|ordered|stopped|cut|picked|moved|corrected|completed|notified"
)
_DID_SOMETHING = re.compile(
    rf"\b(?:{_ACTION_VERBS})\b"
    r"|\b(?:did|could)\s+not\b|\b(?:was|were)\s+(?:not\s+)?(?:un)?able\s+to\b"
    # "We towed", "officers ticketed", "{agency_name} staff painted over": a regular
    # past tense after whoever acted.
    r"|(?:\bwe|\{agency_name\}|\bofficers?|\binspectors?|\bstaff|\bcrews?"
    r"|\bworkers?)\s+(?:\w+\s+)?\w+ed\b",
    re.IGNORECASE,
)
_NEXT_STEP = re.compile(
    r"\byou\s+(?:can|may|could)\b|\bif\s+(?:the|this|it|you|that)\b"
    r"|\b(?:call|reply|email\s+us|write\s+to|go\s+to)\b|\btext\s+311\b"
    # "contact us", but not "the agency may contact you"
    r"|\bcontact\s+(?:us|311|the|your)\b|\bnyc\.gov\b"
    r"|\b(?:submit|file|make|open|start)\s+a\s+new\b|\breport\s+(?:it|this)\b",
    re.IGNORECASE,
)


def _check_parts(text: str, for_submission: bool) -> list[Finding]:
    level = Level.ERROR if for_submission else Level.WARNING
    findings = []
    if not _DID_SOMETHING.search(text):
        findings.append(
            Finding(
                level,
                "missing_action",
                _(
                    "Say what the agency did, e.g. “Officers went to {address} and "
                    "asked the neighbors to turn the music down.”"
                ),
            )
        )
    if not _NEXT_STEP.search(text):
        findings.append(
            Finding(
                level,
                "missing_next_step",
                _(
                    "Tell residents what they can do next, e.g. “If the noise starts "
                    "again, call 311 or report it at nyc.gov/311.”"
                ),
            )
        )
    return findings


# --- The web and email text ---------------------------------------------------------

# About what one phone screen shows of an email body or a web page at the default
# font size (roughly 40 characters a line, 15 lines); longer texts are skimmed, and
# the next step, usually last, is what gets missed.
MAX_TEXT_CHARS = 600
DEFAULT_MAX_GRADE = 8.0


def _is_english(language: str) -> bool:
    return language.lower().split("-")[0] == "en"


def check_text(
    text: str,
    *,
    max_grade: float = DEFAULT_MAX_GRADE,
    language: str = "en",
    for_submission: bool = False,
) -> list[Finding]:
    """Findings for the web and email text of a description version.

    The reading grade, vague phrases and the two parts (what the agency did, what
    the resident can do next) are English heuristics and run only when `language`
    is English. The two parts are found by keywords: a past-tense action such as
    "inspected" or "we towed", and a next step such as "you can", "if the ...",
    "call" or "nyc.gov". They prompt the editor and prove nothing: a text can
    pass and still not say what happened. Missing parts are warnings while editing
    and errors when `for_submission` is true.
    """
    if not text.strip():
        return [Finding(Level.ERROR, "empty", _("Write the text residents will read."))]

    findings = _check_placeholders(text, "text") + _check_markup(text, "text")
    filled = _substitute(text, _TYPICAL_VALUES)
    has_placeholders = filled != text

    length = len(filled.strip())
    length_message = ngettext(
        "%(chars)d character.", "%(chars)d characters.", length
    ) % {"chars": length}
    if has_placeholders:
        length_message += " " + _(
            "Counted with placeholders filled with typical values."
        )
    findings.append(Finding(Level.INFO, "length", length_message))
    if length > MAX_TEXT_CHARS:
        findings.append(
            Finding(
                Level.WARNING,
                "too_long",
                _(
                    "At %(chars)d characters this text is longer than one phone "
                    "screen (about %(limit)d). Cut what residents do not need, and "
                    "keep the next step."
                )
                % {"chars": length, "limit": MAX_TEXT_CHARS},
            )
        )

    if _is_english(language):
        findings.extend(_check_grade(filled, max_grade))
        findings.extend(_check_vague_phrases(text, "text"))
        findings.extend(_check_parts(text, for_submission))
    return findings


def _check_grade(filled: str, max_grade: float) -> list[Finding]:
    grade = reading_grade(filled)
    findings = [
        Finding(
            Level.INFO,
            "reading_grade",
            _("Reading grade %(grade).1f (Flesch-Kincaid); aim for %(max)s or lower.")
            % {"grade": grade, "max": f"{max_grade:g}"},
            subject=f"{grade:.1f}",
        )
    ]
    if grade > max_grade:
        findings.append(
            Finding(
                Level.WARNING,
                "reading_grade_too_high",
                _(
                    "This text reads at grade %(grade).1f; aim for %(max)s or lower. "
                    "Use shorter sentences (the longest has %(words)d words) and "
                    "everyday words."
                )
                % {
                    "grade": grade,
                    "max": f"{max_grade:g}",
                    "words": _longest_sentence_words(filled),
                },
                subject=f"{grade:.1f}",
            )
        )
    return findings


# --- SMS ----------------------------------------------------------------------------

# GSM 03.38 (3GPP TS 23.038) default alphabet, positions 0x00 to 0x7F in order.
# 0x1B is the escape to the extension table, not a character; it stands as ESC here.
_ESC = "\x1b"
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ" + _ESC + "ÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
# Reached through the escape, so each costs two septets.
GSM7_EXTENSION = "\f^{}\\[~]|€"

_GSM7_COST = {char: 1 for char in GSM7_BASIC if char != _ESC} | {
    char: 2 for char in GSM7_EXTENSION
}

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67
# More segments arrive out of order or split on older phones, and each one is billed.
MAX_SMS_SEGMENTS = 2


class SmsSegments(NamedTuple):
    """How an SMS goes over the air.

    `units` are septets for GSM-7 and UTF-16 code units for UCS-2 (an emoji outside
    the Basic Multilingual Plane takes two, as carriers send UTF-16 in practice).
    """

    encoding: Literal["GSM-7", "UCS-2"]
    units: int
    segments: int


def _pack(costs: list[int], single: int, multi: int) -> int:
    total = sum(costs)
    if total == 0:
        return 0
    if total <= single:
        return 1
    # In a multi-part message an escape pair or a surrogate pair is never split
    # across segments, so a segment can end a unit short.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > multi:
            segments += 1
            used = 0
        used += cost
    return segments


def sms_segments(text: str) -> SmsSegments:
    """Encoding, length and segment count of `text` by the GSM-7 / UCS-2 rules.

    One character outside GSM-7 sends the whole message as UCS-2.
    """
    if all(char in _GSM7_COST for char in text):
        costs = [_GSM7_COST[char] for char in text]
        return SmsSegments("GSM-7", sum(costs), _pack(costs, GSM7_SINGLE, GSM7_MULTI))
    costs = [2 if ord(char) > 0xFFFF else 1 for char in text]
    return SmsSegments("UCS-2", sum(costs), _pack(costs, UCS2_SINGLE, UCS2_MULTI))


# Typography that editors paste from word processors, with its GSM-7 replacement.
_PLAIN_REPLACEMENTS = {
    "‘": "'",
    "’": "'",
    "‚": "'",
    "′": "'",
    "“": '"',
    "”": '"',
    "„": '"',
    "″": '"',
    "–": "-",
    "—": "-",
    "‑": "-",
    "−": "-",
    "…": "...",
    "•": "-",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\t": " ",
    "\u200b": "",
    "\ufeff": "",
}
# Latin letters whose plain form NFD does not give.
_LATIN_BASES = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "œ": "oe", "Œ": "OE"}


def gsm7_fallback(text: str) -> str | None:
    """`text` in GSM-7, as carriers' "smart encoding" writes it, or None.

    Typography becomes its plain form (as the editor is told) and a Latin letter
    with an accent GSM-7 lacks becomes its plain letter ("más" → "mas", "łóżko" →
    "lozko"); letters GSM-7 has (é, ñ, ü) stay. A text with any other character
    outside GSM-7 (Cyrillic, Chinese, Arabic, an emoji) has no such form: None.
    """
    plain = []
    for char in text:
        if char in _GSM7_COST:
            plain.append(char)
        elif char in _PLAIN_REPLACEMENTS:
            plain.append(_PLAIN_REPLACEMENTS[char])
        elif char in _LATIN_BASES:
            plain.append(_LATIN_BASES[char])
        else:
            base = unicodedata.normalize("NFD", char)[0]
            if base == char or base not in _GSM7_COST or not base.isascii():
                return None
            plain.append(base)
    return "".join(plain)


_CHARACTER_NAMES = {
    "‘": gettext_lazy("curly quote"),
    "’": gettext_lazy("curly apostrophe"),
    "‚": gettext_lazy("low quote"),
    "′": gettext_lazy("prime"),
    "“": gettext_lazy("curly quote"),
    "”": gettext_lazy("curly quote"),
    "„": gettext_lazy("low quote"),
    "″": gettext_lazy("double prime"),
    "–": gettext_lazy("en dash"),
    "—": gettext_lazy("em dash"),
    "‑": gettext_lazy("non-breaking hyphen"),
    "−": gettext_lazy("minus sign"),
    "…": gettext_lazy("ellipsis"),
    "•": gettext_lazy("bullet"),
    "\u00a0": gettext_lazy("non-breaking space"),
    "\u2009": gettext_lazy("thin space"),
    "\u202f": gettext_lazy("narrow non-breaking space"),
    "\t": gettext_lazy("tab"),
    "\u200b": gettext_lazy("invisible zero-width space"),
    "\ufeff": gettext_lazy("invisible byte-order mark"),
}


def _is_emoji(char: str) -> bool:
    code = ord(char)
    return (
        code >= 0x1F000
        or 0x2600 <= code <= 0x27BF  # miscellaneous symbols and dingbats
        or char in "\ufe0f\u200d"  # emoji presentation selector and joiner
    )


def _describe(char: str) -> str:
    """The character as an editor can find it: itself, named where it is unclear.

    Quotes around it would be confused with the quotes being pointed at.
    """
    invisible = char.isspace() or unicodedata.category(char) == "Cf"
    if char in _CHARACTER_NAMES:
        name = str(_CHARACTER_NAMES[char])
        return name if invisible else f"{char} ({name})"
    if _is_emoji(char):
        return f"{char} ({_('emoji')})"
    if unicodedata.category(char).startswith("L"):
        return char
    name = unicodedata.name(char, "").lower()
    return f"{char} ({name})" if name else f"U+{ord(char):04X}"


# A text in Chinese or Bengali has dozens; naming them all helps nobody.
_MAX_CHARACTERS_NAMED = 5


def _plain_replacement(char: str) -> str:
    replacement = _PLAIN_REPLACEMENTS[char]
    if not replacement:
        return _("nothing")
    if replacement == " ":
        return _("a plain space")
    return replacement


def _check_ucs2(filled: str) -> list[Finding]:
    forcing = list(dict.fromkeys(char for char in filled if char not in _GSM7_COST))
    if not forcing:
        return []
    replaceable = [char for char in forcing if char in _PLAIN_REPLACEMENTS]
    emoji = [char for char in forcing if _is_emoji(char)]
    others = [char for char in forcing if char not in replaceable and char not in emoji]

    advice = []
    if replaceable:
        swaps = ", ".join(
            _("%(char)s with %(plain)s")
            % {"char": _describe(char), "plain": _plain_replacement(char)}
            for char in replaceable
        )
        advice.append(_("Replace %(swaps)s.") % {"swaps": swaps})
    if emoji:
        advice.append(
            _("Remove %(emoji)s.") % {"emoji": ", ".join(_describe(c) for c in emoji)}
        )
    if others:
        # Letters such as á or 中 are needed in many of the city's languages; UCS-2
        # is then simply the cost of writing them, not something to fix.
        shown = ", ".join(_describe(c) for c in others[:_MAX_CHARACTERS_NAMED])
        hidden = len(others) - _MAX_CHARACTERS_NAMED
        if hidden > 0:
            shown += " " + ngettext(
                "and %(count)d more", "and %(count)d more", hidden
            ) % {"count": hidden}
        advice.append(_("Needed but not in GSM-7: %(chars)s.") % {"chars": shown})

    message = _(
        "Some characters make the whole text message UCS-2, which fits %(single)d "
        "characters in one segment instead of %(gsm)d. %(advice)s"
    ) % {"single": UCS2_SINGLE, "gsm": GSM7_SINGLE, "advice": " ".join(advice)}
    level = Level.WARNING if replaceable or emoji else Level.INFO
    return [Finding(level, "sms_ucs2", message, "sms_text", "".join(forcing))]


def check_sms(
    sms_text: str,
    *,
    language: str = "en",
    values: Mapping[str, str] | None = None,
) -> list[Finding]:
    """Findings for the SMS text of a description version.

    Length and segments are counted with each placeholder filled by a long value
    from real 311 data (e.g. {agency_name} as “Department of Housing Preservation
    and Development”), so the message still fits for nearly every request. Pass
    `values` to count with known values instead, e.g. the description's own agency
    name.
    """
    if not sms_text.strip():
        return [
            Finding(
                Level.INFO,
                "sms_empty",
                _("No text message yet: write one if residents get this by SMS."),
                "sms_text",
            )
        ]

    findings = _check_placeholders(sms_text, "sms_text") + _check_markup(
        sms_text, "sms_text"
    )
    counted_values = _LONGEST_VALUES | {
        name: value.strip()
        for name, value in (values or {}).items()
        if name in _SPECS and value.strip()
    }
    filled = _substitute(sms_text, counted_values)
    figures = sms_segments(filled)

    parts = {
        "units": figures.units,
        "encoding": figures.encoding,
        "segments": figures.segments,
    }
    message = (
        ngettext(
            "Text message: %(units)d characters in %(encoding)s, %(segments)d segment.",
            "Text message: %(units)d characters in %(encoding)s, %(segments)d segments.",
            figures.segments,
        )
        % parts
    )
    doubled = sorted(
        {
            char
            for char in filled
            if (figures.encoding == "GSM-7" and _GSM7_COST[char] == 2)
            or ord(char) > 0xFFFF
        }
    )
    if doubled:
        message += " " + _("These count as two: %(chars)s.") % {
            "chars": " ".join(doubled)
        }
    used = [m.group(1) for m in _BRACED.finditer(sms_text) if m.group(1) in _SPECS]
    if used:
        message += " " + _(
            "Counted with placeholders filled with long values from real requests, "
            "e.g. {%(name)s} as “%(value)s”."
        ) % {"name": used[0], "value": counted_values[used[0]]}
    findings.append(
        Finding(
            Level.INFO,
            "sms_length",
            message,
            "sms_text",
            f"{figures.segments}",
        )
    )

    if figures.segments > MAX_SMS_SEGMENTS:
        findings.append(
            Finding(
                Level.WARNING,
                "sms_segments",
                _(
                    "This text message takes %(segments)d segments; keep it to "
                    "%(max)d. Longer messages can arrive in pieces or out of "
                    "order, and each segment is paid for."
                )
                % {"segments": figures.segments, "max": MAX_SMS_SEGMENTS},
                "sms_text",
                f"{figures.segments}",
            )
        )
    findings.extend(_check_ucs2(filled))
    if _is_english(language):
        findings.extend(_check_vague_phrases(sms_text, "sms_text"))
    return findings


_LEVEL_ORDER = {Level.ERROR: 0, Level.WARNING: 1, Level.INFO: 2}


def check_version(
    text: str,
    sms_text: str,
    *,
    max_grade: float = DEFAULT_MAX_GRADE,
    language: str = "en",
    for_submission: bool = False,
    sms_values: Mapping[str, str] | None = None,
) -> list[Finding]:
    """All findings for one description version, errors first, then warnings."""
    findings = check_text(
        text, max_grade=max_grade, language=language, for_submission=for_submission
    ) + check_sms(sms_text, language=language, values=sms_values)
    return sorted(findings, key=lambda finding: _LEVEL_ORDER[finding.level])
