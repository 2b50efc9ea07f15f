"""Personal details removed from residents' comments before anyone reviews them.

Every occurrence of an email address (also written "name at example dot com" or
"name [at] example [.] com"), a phone number in any common US format, a card
number, a social security number, an account number (six or more digits after
"account", "acct" or "SSN"), a street address (also "221 E 12th") or P.O. box, and
an apartment, unit, flat, floor, room or building number (also "in 4B") is
replaced by a bracketed placeholder. Addresses and apartments written the way the
site's other languages write them ("12 rue Main", "calle Main 12", "ul. Główna
12 m. 4", "主街123号4B室", "세종대로 110") are replaced too. Full-width and small forms of "@", ".",
"-", "#" and digits are first read as their plain forms; nothing else in the text
is rewritten, so Chinese or Korean punctuation stays as the resident wrote it. Phone
numbers are found by `phonenumbers` (Google's libphonenumber) and, behind it, by
patterns for what it does not take as a number: seven-digit local numbers, vanity
numbers and long runs of digits. Addresses have no such library for text without
a city and ZIP code (pyap and usaddress need the whole address), so they are
matched by the patterns below, which prefer removing too much over too little: a
reviewer sees only the result and can withhold a comment that lost its sense.
"""

import re

import phonenumbers

EMAIL = "[email removed]"
PHONE = "[phone removed]"
ADDRESS = "[address removed]"
APARTMENT = "[apartment removed]"
NUMBER = "[number removed]"

# "@", "at", "(at)", "[@]"; ".", "dot", "(dot)", "[.]".
_AT = r"(?:\s*@\s*|\s*[(\[{<]\s*(?:at|@)\s*[)\]}>]\s*|\s+at\s+)"
_DOT = r"(?:\s*\.\s*|\s*[(\[{<]\s*(?:dot|\.)\s*[)\]}>]\s*|\s+dot\s+)"
_TLD = r"(?:com|org|net|edu|gov|us|nyc|io|co|info|biz|me|app|mail)"
_EMAIL = re.compile(r"[\w.+%-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
# "jane dot doe at example dot com": the name's spelled dots too.
_SPELLED_EMAIL = re.compile(
    rf"(?:[\w+%-]+{_DOT})*[\w.+%-]+{_AT}[\w-]+(?:{_DOT}[\w-]+)*{_DOT}{_TLD}\b",
    re.IGNORECASE,
)
# Card and account numbers: 13 to 19 digits, in groups or not. Longer than any
# phone number, so they are named for what they are.
_CARD_NUMBER = re.compile(r"(?<![\d-])\d{4}(?:[ -]?\d){9,15}(?![\d-])")
# Social security numbers as written on the card (123-45-6789).
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
# Six or more digits (or an SSN spaced out) right after a word naming an account or
# a social security number: "Account #12345678", "acct no. 123456", "SSN 123456789".
# The word stays, so the comment keeps its sense; fewer digits are left alone, as
# in "my account was updated 2 times".
_NUMBER_AFTER_WORD = re.compile(
    r"(\b(?:accounts?|acct|ssn|social\s+security)\b\.?"
    r"(?:\s*(?:number|num|nbr|no)\b\.?)?"
    r"(?:\s*(?:is|was|:|：))?\s*)"
    r"#?\s*(?:\d{3}[ -]\d{2}[ -]\d{4}|\d(?:[ -]?\d){5,})(?![\w-])",
    re.IGNORECASE,
)

# Ten or more digits with separators, seven-digit local numbers (555-0100) and
# vanity numbers (1-800-FLOWERS): what libphonenumber leaves in the text.
_LONG_NUMBER = re.compile(r"\+?\(?\d(?:[\s().-]*\d){9,}")
_LOCAL_NUMBER = re.compile(r"(?<![\w-])\d{3}[\s.-]\d{4}(?![\w-])")
_VANITY_NUMBER = re.compile(
    r"(?<!\w)(?:1[\s.-]?)?\(?8(?:00|33|44|55|66|77|88)\)?[\s.-]?[A-Z0-9]{3}[\s.-]?[A-Z0-9]{4,}\b",
    re.IGNORECASE,
)

_SUFFIXES = (
    "street|st|avenue|ave|av|boulevard|blvd|road|rd|place|pl|drive|dr|lane|ln|"
    "court|ct|parkway|pkwy|terrace|ter|way|square|sq|highway|hwy|expressway|expy|"
    "turnpike|tpke|plaza|plz|loop|crescent|walk|row|alley|oval|circle|cir|path|"
    "concourse|slip|broadway"
)
# Words that end a street name's run: "waited 3 weeks on the street" is no address.
_NOT_IN_A_NAME = (
    "the|on|in|at|of|for|to|and|or|a|an|from|by|with|my|our|your|this|that|is|was|"
    "it|me|we|they|he|she|times|days|weeks|hours|minutes|months|years|calls|people"
)
_HOUSE_NUMBER = r"\d{1,5}(?:-\d{1,4})?[a-z]?(?:\s+1/2)?"
_STREET_ADDRESS = re.compile(
    rf"(?<![\w-]){_HOUSE_NUMBER}\s+"
    r"(?:(?:n|s|e|w|north|south|east|west)\.?\s+)?"
    rf"(?:(?!(?:{_NOT_IN_A_NAME})\b)[\w'’.-]+\s+){{0,4}}?"
    rf"(?:{_SUFFIXES})\b\.?",
    re.IGNORECASE,
)
# "12 Avenue C", "350 Avenue of the Americas", "5 Broadway".
_NAMED_AVENUE = re.compile(
    rf"(?<![\w-]){_HOUSE_NUMBER}\s+(?:avenue|ave)\.?\s+(?:[a-z]\b|of\s+the\s+americas\b)",
    re.IGNORECASE,
)
# "221 E 12th": a house number, a direction and a numbered street, without "Street".
# The direction is what tells it from "the 3 potholes on 5th".
_NUMBERED_STREET = re.compile(
    rf"(?<![\w-]){_HOUSE_NUMBER}\s+(?:n|s|e|w|north|south|east|west)\.?\s+"
    r"\d{1,3}(?:st|nd|rd|th)\b",
    re.IGNORECASE,
)
# New York City ZIP codes; not the round 10000 and 11000, which are counts.
_ZIP = re.compile(
    r"(?<![\w-])(?!1[01]000(?![\w-]))1(?:0[0-4]|1[0-6])\d{2}(?:-\d{4})?(?![\w-])"
)
# "P.O. Box 123" is where the resident gets mail.
_PO_BOX = re.compile(r"(?<!\w)p\.?\s*o\.?\s*box\s*#?\s*\d+", re.IGNORECASE)
# The word must stand alone or run straight into digits ("PH2"), so that "rooms",
# "floors", "units", "flu" and "step" are words, not apartments. A designator is
# digits first ("4B", "12-C") or a letter, with digits or not ("Apt B", "unit c2"),
# except a lower-case "a" or "i" on its own after words that are also ordinary
# ("the unit a neighbour rents"); after "apartment", "apt" and "bldg" it counts.
# After "is" or "was" only a designator with a letter counts ("my apartment is
# 4B", not "the room is 5 degrees").
_APARTMENT_WORD = (
    r"(?<!\w)(?:apartment|apt|unit|suite|ste|room|rm|floor|fl|flat|building|bldg|"
    r"penthouse|ph)(?:\b|(?=\d))\.?"
)
_APARTMENT = re.compile(
    rf"{_APARTMENT_WORD}\s*(?:no\.?\s*|number\s*)?"
    r"#?\s*(?:\d[\w-]{0,5}|(?!(?-i:[ai])(?!\d))[a-z]\d{0,3})(?!\w)"
    rf"|{_APARTMENT_WORD}\s*#?\s*(?:is|was)\s+\d{{1,4}}[a-z](?!\w)"
    # "apt a": after these words even a lone "a" or "i" is a designator.
    r"|(?<!\w)(?:apartment|apt|bldg)\b\.?\s*#?\s*[a-z]\d{0,3}(?!\w)"
    r"|(?<!\w)#\s?\d{1,4}[a-z]?(?!\w)"
    r"|(?<!\w)\d{1,3}(?:st|nd|rd|th)\s+(?:floor|fl)\b\.?",
    re.IGNORECASE,
)
# The forms a phone keyboard or CJK input may give: full-width digits, Latin
# letters, "@", ".", "-" and "#", and the small "@" and "." (U+FE6B, U+FE52). One
# character each, so nothing else moves; CJK punctuation is left as written.
_PLAIN_FORMS = str.maketrans(
    {
        **{chr(0xFF10 + digit): str(digit) for digit in range(10)},
        **{chr(0xFF21 + n): chr(ord("A") + n) for n in range(26)},
        **{chr(0xFF41 + n): chr(ord("a") + n) for n in range(26)},
        "\uff20": "@",
        "\ufe6b": "@",
        "\uff0e": ".",
        "\ufe52": ".",
        "\uff0d": "-",
        "\ufe63": "-",
        "\uff03": "#",
        "\ufe5f": "#",
    }
)
# "I'm in 4B": digits and one capital letter after "in", a token ordinary text
# does not write that way ("in 2 days", "in 5th", "in 2024" keep their words),
# except times ("in 2A.M.") and "in 3D".
_APARTMENT_AFTER_IN = re.compile(
    r"(\b(?i:in)\s+)(?!\d[AP]\.?M\b|[23]D\b)\d{1,4}[A-Z](?![\w-])"
)


# The site's other languages. Residents write addresses in their own words too:
# "12 rue Main", "calle Main 12", "ulicy Głównej 12 m. 4", "ул. Ленина 5",
# "Брайтон авеню 3100", "250 চার্চ অ্যাভিনিউ", "主街123号4B室", "세종대로 110". As in
# English, a number must sit beside the word.

# Vowel signs and other combining marks, which \w leaves out: "৪বি" is one token.
_MARKS = "\u0300-\u036f\u064b-\u065f\u0670\u0900-\u0903\u093a-\u094f\u0981-\u0983\u09bc-\u09cd\u09d7"
_TOKEN_CHAR = rf"[\w{_MARKS}]"
# A number that counts something is no address: "Дом 2 недели", "calle 3 semanas",
# "الشارع ... 3 أسابيع", "3일".
_NOT_A_COUNT = (
    r"(?!\s*(?:days?|weeks?|hours?|minutes?|months?|years?|times|calls|people|"
    r"d[ií]as?|semanas?|horas?|meses|mes|años?|veces|"
    r"jours?|semaines?|heures?|mois|ans?|fois|"
    r"jou|semèn|èdtan|mwa|fwa|lane|"
    r"dni|dzie[ńn]|tygodni\w*|godzin\w*|miesi\w*|lat|razy?|"
    r"недел\w*|дн\w*|день|час\w*|месяц\w*|минут\w*|раз\w*|лет|год\w*|"
    r"أسابيع|أسبوع|أيام|يوم|ساعات|ساعة|أشهر|شهر|مرات|"
    r"ہفت\w*|دن|گھنٹ\w*|مہین\w*|بار|"
    r"সপ্তাহ|দিন|ঘণ্টা|মাস|বার|"
    r"일|주|시간|개월|번|天|周|週|小时|小時|个月|個月|次)(?!\w))"
)
_HOUSE_NUMBER_ELSEWHERE = (
    rf"\d{{1,5}}(?:-\d{{1,4}})?[a-z]?(?![\w{_MARKS}-]){_NOT_A_COUNT}"
)
_STREET_WORD_ELSEWHERE = (
    r"(?:calle|avenida|bulevar|carretera|camino|"  # Spanish
    r"rue|avenue|boulevard|chemin|all[ée]e|impasse|"  # French
    r"ri|lari|avni|boulva|wout|"  # Haitian Creole
    r"ulic[aąyę]|aleja|alei|plac|placu|osiedle|"  # Polish
    r"улиц[аеуы]|проспект[аеу]?|переул(?:ок|ке)|шоссе|"  # Russian
    r"(?:av|bd|ul|al|os|ул|пр|пер)\.)"
)
# English street words written in another script, after the name as in English.
_TRANSLITERATED_STREET_WORD = (
    r"(?:авеню|стрит|бульвар[аеу]?|роуд|плейс|драйв|парквей|"
    r"ایونیو|اوینیو|سٹریٹ|اسٹریٹ|روڈ|بلیوارڈ|أفينيو|افينيو|ستريت|بوليفارد|"
    r"অ্যাভিনিউ|অ্যাভেনিউ|এভিনিউ|স্ট্রিট|রোড|বুলেভার্ড|প্লেস|"
    r"애비뉴|에비뉴|애버뉴|스트리트|블러바드|블루바드|로드|플레이스|파크웨이)"
)
# A name's words start with a capital in these languages ("Główna", "Ленина");
# the little words of French and Spanish names need not.
_NAME_WORD = (
    r"(?:(?:de|del|de la|la|las|los|le|les|du|des|y)\s+"
    r"|(?-i:[A-ZÀ-ÖØ-ÞĄĆĘŁŃŚŹŻА-ЯЁ])[\w'’.-]*\s*)"
)
_NUMBER_MARK = r"(?:n[º°o]\.?\s*|nr\.?\s*|№\s*|#\s*|d\.\s*|д\.\s*|дом\s+|n[úu]mero\s+|n[úu]m\.?\s*)?"
_ADDRESS_NUMBER_FIRST = re.compile(
    rf"(?<![\w-])\d{{1,5}}(?:-\d{{1,4}})?[a-z]?,?\s+{_STREET_WORD_ELSEWHERE}(?!\w)"
    rf"(?:\s*{_NAME_WORD}){{0,4}}",
    re.IGNORECASE,
)
_ADDRESS_NAME_FIRST = re.compile(
    rf"(?<!\w){_STREET_WORD_ELSEWHERE}(?!\w)\s*{_NAME_WORD}{{1,4}},?\s*"
    rf"{_NUMBER_MARK}{_HOUSE_NUMBER_ELSEWHERE}",
    re.IGNORECASE,
)
# "calle 116 número 245": a numbered street, then the house number after a mark.
_NUMBERED_STREET_ELSEWHERE = re.compile(
    rf"(?<!\w){_STREET_WORD_ELSEWHERE}(?!\w)\s*\d{{1,3}}\w{{0,2}},?\s*"
    r"(?:n[º°o]\.?|nr\.?|№|#|n[úu]mero|n[úu]m\.?)\s*\d{1,5}(?:-\d{1,4})?",
    re.IGNORECASE,
)
# The street word straight before the number, the name before it: "Брайтон авеню
# 3100", "노던 블러바드 150-20", "Kingston Ave 1520", "Avenue Lenox n° 45".
_NUMBER_AFTER_STREET_WORD = re.compile(
    rf"(?<!\w)(?:{_TRANSLITERATED_STREET_WORD}|{_SUFFIXES})\.?,?\s*"
    rf"{_NUMBER_MARK}{_HOUSE_NUMBER_ELSEWHERE}",
    re.IGNORECASE,
)
# The number first: "250 চার্চ অ্যাভিনিউ", "1520 Coney Island авеню".
_NUMBER_BEFORE_STREET_WORD = re.compile(
    rf"(?<![\w-])\d{{1,5}}(?:-\d{{1,4}})?\s+(?:{_TOKEN_CHAR}+\s+){{0,3}}?"
    rf"{_TRANSLITERATED_STREET_WORD}(?!{_TOKEN_CHAR})",
    re.IGNORECASE,
)
# Arabic, Urdu and Bengali street words before the name: "شارع مين 123".
_ADDRESS_UNCASED = re.compile(
    r"(?<!\w)(?:شارع|سٹریٹ|روڈ|گلی|রোড|স্ট্রিট|সড়ক|এভিনিউ)"
    rf"(?:\s+{_TOKEN_CHAR}+){{0,2}}?\s+{_NUMBER_MARK}{_HOUSE_NUMBER_ELSEWHERE}"
)
# "4 piso", no; "piso 4", "apto. 3B", "appartement 3", "m. 4", "кв. 12", "شقة 5":
# yes.
_APARTMENT_ELSEWHERE = re.compile(
    r"(?:(?<!\w)(?:apartamento|apto|departamento|depto|piso|puerta|"
    r"appartement|appart|appt|[ée]tage|b[âa]timent|porte|apatman|etaj|"
    r"mieszkani[aeu]|lokal[u]?|pi[ęe]tr[oze]+|klatka|"
    r"квартир[аеуы]|этаж[еу]?|подъезд|корпус|дом|"
    r"شقة|الشقة|شقتي|طابق|الطابق|فلیٹ|اپارٹمنٹ|منزل|ফ্ল্যাট|অ্যাপার্টমেন্ট|"
    r"app|lok|кв|корп)\.?"
    # A one-letter abbreviation needs its dot: "m. 4", "д. 5", but not "20 m 4"
    # nor "5 p.m. 3".
    r"|(?<![\w.])(?:m|д)\.)"
    r"\s*(?:n[º°o]\.?\s*|nr\.?\s*|№\s*)?#?\s*"
    rf"(?:\d{_TOKEN_CHAR}{{0,5}}|(?-i:[A-ZА-Я])\d{{0,3}})(?![\w{_MARKS}-]){_NOT_A_COUNT}",
    re.IGNORECASE,
)
# Chinese and Korean put the word after the number: 123号, 4B室, 1203호, 101동.
# Not a date's day (5月3号), a subway line (7号线, 7호선) nor a count of floors.
_CJK_ADDRESS = re.compile(
    r"(?<![\d月])\d{1,5}(?:-\d{1,4})?[A-Za-z]?\s*"
    r"(?:(?:号|號|호)(?![线線车車선])|室|楼|樓|单元|單元|栋|棟|동|번지)"
)
# Korean road names end in 로 or 길 and take the number after them.
_KOREAN_ROAD = re.compile(r"[가-힣]+(?:로|길)\s*\d{1,5}(?:-\d{1,4})?(?!\d)")


def redact_comment(text: str) -> str:
    """The comment with every personal detail replaced by a placeholder."""
    text = text.translate(_PLAIN_FORMS)
    text = _EMAIL.sub(EMAIL, text)
    text = _SPELLED_EMAIL.sub(EMAIL, text)
    text = _CARD_NUMBER.sub(NUMBER, text)
    text = _SSN.sub(NUMBER, text)
    text = _NUMBER_AFTER_WORD.sub(lambda match: match[1] + NUMBER, text)
    text = _remove_phone_numbers(text)
    text = _NAMED_AVENUE.sub(ADDRESS, text)
    text = _STREET_ADDRESS.sub(ADDRESS, text)
    text = _NUMBERED_STREET.sub(ADDRESS, text)
    text = _ZIP.sub(ADDRESS, text)
    text = _PO_BOX.sub(ADDRESS, text)
    text = _APARTMENT.sub(APARTMENT, text)
    text = _APARTMENT_AFTER_IN.sub(lambda match: match[1] + APARTMENT, text)
    text = _NUMBERED_STREET_ELSEWHERE.sub(ADDRESS, text)
    text = _ADDRESS_NUMBER_FIRST.sub(ADDRESS, text)
    text = _ADDRESS_NAME_FIRST.sub(ADDRESS, text)
    text = _NUMBER_BEFORE_STREET_WORD.sub(ADDRESS, text)
    text = _NUMBER_AFTER_STREET_WORD.sub(ADDRESS, text)
    text = _ADDRESS_UNCASED.sub(ADDRESS, text)
    text = _APARTMENT_ELSEWHERE.sub(APARTMENT, text)
    text = _KOREAN_ROAD.sub(ADDRESS, text)
    return _CJK_ADDRESS.sub(ADDRESS, text)


# A phone number as people write one in a note: ten digits, grouped 3-3-4 or not,
# with the US country code or not. Narrower than a comment's redaction, which also
# takes seven-digit and long runs of digits: staff notes carry ticket and case
# numbers ("INC0104512", "FOIL 2026-000123") that are nobody's phone.
_NOTE_PHONE = re.compile(
    r"(?<![\w-])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])"
)
_NOTE_DETAILS = [
    ("an email address", (_EMAIL, _SPELLED_EMAIL)),
    ("a phone number", (_NOTE_PHONE,)),
    ("a social security or card number", (_SSN, _CARD_NUMBER)),
    (
        "a street address",
        (_STREET_ADDRESS, _NAMED_AVENUE, _NUMBERED_STREET, _PO_BOX),
    ),
]


def details_in_note(text: str) -> list[str]:
    """The kinds of personal detail in a note staff write for the public, such as
    a correction's note or a withdrawal's reason: emails, phone numbers, social
    security and card numbers, street addresses. Apartment and ZIP patterns are
    left out here: "#57" or "room 4 results" in a note are not where anyone lives.
    """
    text = text.translate(_PLAIN_FORMS)
    return [
        kind
        for kind, patterns in _NOTE_DETAILS
        if any(pattern.search(text) for pattern in patterns)
    ]


def _remove_phone_numbers(text: str) -> str:
    matches = list(
        phonenumbers.PhoneNumberMatcher(
            text, "US", leniency=phonenumbers.Leniency.POSSIBLE
        )
    )
    # From the end, so earlier positions stay valid.
    for match in reversed(matches):
        text = text[: match.start] + PHONE + text[match.end :]
    text = _VANITY_NUMBER.sub(PHONE, text)
    text = _LONG_NUMBER.sub(PHONE, text)
    return _LOCAL_NUMBER.sub(PHONE, text)
