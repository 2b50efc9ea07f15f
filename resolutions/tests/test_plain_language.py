"""The editor's plain-language help: placeholders, grade, phrases, parts and SMS."""

import pytest

from resolutions import plain_language
from resolutions.plain_language import (
    FALLBACKS,
    GSM7_BASIC,
    GSM7_EXTENSION,
    PLACEHOLDERS,
    VAGUE_PHRASES,
    Finding,
    Level,
    check_sms,
    check_text,
    check_version,
    count_syllables,
    fill_placeholders,
    has_errors,
    reading_grade,
    sms_segments,
)

# NYPD's most common legacy text in the shared 311 sample (3,473 requests).
LEGACY_NYPD = (
    "The Police Department responded to the complaint and with the information "
    "available observed no evidence of the violation at that time."
)

# A plain rewrite of it for a noise complaint: what officers did, then what the
# resident can do next.
GOOD_NYPD_NOISE = (
    "Police officers went to {address} on {closed_date} to check on the noise you "
    "reported. When they got there, it was quiet, so they did not give anyone a "
    "ticket. If the noise starts again, call 311 or report it at nyc.gov/311. Give "
    "your request number: {request_number}."
)
GOOD_NYPD_NOISE_SMS = (
    "NYPD went to {address} about the noise. It was quiet when they got there. "
    "If it starts again, call 311. Request {request_number}"
)


def codes(findings: list[Finding], level: Level | None = None) -> list[str]:
    return [f.code for f in findings if level is None or f.level == level]


def only(findings: list[Finding], code: str) -> Finding:
    matching = [f for f in findings if f.code == code]
    assert len(matching) == 1, findings
    return matching[0]


# --- Placeholders ------------------------------------------------------------------


def test_known_placeholders_are_not_findings():
    text = "We visited {address}. " + " ".join(f"{{{name}}}" for name in PLACEHOLDERS)

    findings = check_text(text)

    assert "unknown_placeholder" not in codes(findings)
    assert "unbalanced_brace" not in codes(findings)


def test_unknown_placeholder_is_an_error_naming_it_and_suggesting_the_close_one():
    findings = check_text("Officers went to {adress}. If it starts again, call 311.")

    finding = only(findings, "unknown_placeholder")
    assert finding.level == Level.ERROR
    assert finding.subject == "{adress}"
    assert "{adress}" in finding.message
    assert "{address}" in finding.message
    assert has_errors(findings)


def test_each_unknown_placeholder_is_reported_once():
    findings = check_text("{borough} and {borough} and {officer_name}")

    assert [f.subject for f in findings if f.code == "unknown_placeholder"] == [
        "{borough}",
        "{officer_name}",
    ]


@pytest.mark.parametrize(
    "text", ["We went to {address on Monday.", "We went to address} on Monday."]
)
def test_unbalanced_brace_is_an_error(text):
    findings = check_text(text)

    finding = only(findings, "unbalanced_brace")
    assert finding.level == Level.ERROR
    assert "address" in finding.message


def test_doubled_braces_around_a_placeholder_are_unbalanced():
    findings = check_text("We went to {{address}}.")

    assert codes(findings, Level.ERROR) == ["unbalanced_brace", "unbalanced_brace"]


def test_placeholders_in_sms_are_checked_too():
    findings = check_sms("NYPD went to {adress}. Call 311 if it starts again.")

    finding = only(findings, "unknown_placeholder")
    assert finding.level == Level.ERROR
    assert finding.field == "sms_text"


@pytest.mark.parametrize(
    "tag",
    [
        '<script>alert("x")</script>',
        "<b>",
        '<a href="javascript:alert(1)">',
        "<img src=x onerror=alert(1)>",
        "</p>",
        "<!-- note -->",
        "<img/src=x onerror=alert(1)>",
        "<svg/onload=alert(1)>",
        "<script",
    ],
)
def test_html_in_either_text_is_an_error_naming_the_tag(tag):
    text = GOOD_NYPD_NOISE.replace("Police officers", f"{tag} Police officers")
    sms = GOOD_NYPD_NOISE_SMS.replace("NYPD went", f"{tag} NYPD went")

    web = only(check_text(text), "markup")
    phone = only(check_sms(sms), "markup")

    assert web.level == phone.level == Level.ERROR
    assert web.field == "text" and phone.field == "sms_text"
    assert tag.startswith(web.subject) and tag.startswith(phone.subject)
    assert has_errors(check_version(text, sms, for_submission=True))


@pytest.mark.parametrize(
    "text",
    [
        "Wait < 5 days, then call 311.",
        "It took <3 hours.",
        "Noise > 80 dB <- here",
        "Keep it <= 68F, or <68F at night.",
        "Это ‹важно›.",
    ],
)
def test_angle_brackets_in_ordinary_text_are_not_markup(text):
    assert "markup" not in codes(check_text(text) + check_sms(text))


def test_fill_placeholders_uses_the_values_given():
    text = "{agency_name} went to {address} on {closed_date}. Ref {request_number}."

    filled = fill_placeholders(
        text,
        {
            "agency_name": "NYPD",
            "address": "12 Main Street, Brooklyn",
            "closed_date": "March 3",
            "request_number": "311-12345678",
        },
    )

    assert (
        filled == "NYPD went to 12 Main Street, Brooklyn on March 3. Ref 311-12345678."
    )


def test_fill_placeholders_falls_back_for_missing_or_blank_values():
    text = "We went to {address} about {complaint_type}. Ref {request_number}."

    filled = fill_placeholders(text, {"address": "   ", "complaint_type": ""})

    assert filled == (
        "We went to the address you gave about the problem you reported. "
        "Ref the number in your 311 confirmation."
    )
    assert "{" not in filled


def test_every_placeholder_has_a_fallback():
    assert set(FALLBACKS) == set(PLACEHOLDERS)
    assert all(str(fallback).strip() for fallback in FALLBACKS.values())


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("We went to {adress}.", {}),
        ("We went to {address.", {}),
        ("We went to {address}.", {"adress": "12 Main Street"}),
    ],
)
def test_fill_placeholders_refuses_what_would_reach_a_resident_broken(text, values):
    with pytest.raises(ValueError):
        fill_placeholders(text, values)


# --- Reading grade ----------------------------------------------------------------


def test_legacy_nypd_text_reads_above_grade_8_and_warns_with_the_grade():
    findings = check_text(LEGACY_NYPD)

    grade = reading_grade(LEGACY_NYPD)
    assert grade > 8
    warning = only(findings, "reading_grade_too_high")
    assert warning.level == Level.WARNING
    assert f"{grade:.1f}" in warning.message
    assert only(findings, "reading_grade").level == Level.INFO


def test_simple_text_reads_below_grade_8_and_only_reports_the_grade():
    text = "We fixed the streetlight on your block. If it goes out again, call 311."

    findings = check_text(text)

    assert reading_grade(text) < 8
    assert only(findings, "reading_grade").level == Level.INFO
    assert "reading_grade_too_high" not in codes(findings)


def test_reading_grade_threshold_is_configurable():
    lenient = check_text(LEGACY_NYPD, max_grade=16)
    strict = check_text(GOOD_NYPD_NOISE, max_grade=3)

    assert "reading_grade_too_high" not in codes(lenient)
    warning = only(strict, "reading_grade_too_high")
    assert "aim for 3 or lower" in warning.message


def test_placeholder_names_do_not_count_as_words_in_the_grade():
    text = "We went to {address} on {closed_date}. Call 311 if it starts again."

    grade = float(only(check_text(text), "reading_grade").subject)

    assert grade == reading_grade(
        "We went to 123 Main Street, Brooklyn on March 3, 2026. "
        "Call 311 if it starts again."
    )


def test_a_web_address_ending_a_sentence_still_ends_it():
    one_sentence = reading_grade("Call 311 or go to nyc.gov/311 now")
    two_sentences = reading_grade("Call 311 or go to nyc.gov/311. Do it now")

    assert two_sentences < one_sentence


def test_grade_is_skipped_for_other_languages():
    findings = check_text(
        "La policía fue a {address}. Si el ruido sigue, llame al 311.", language="es"
    )

    assert "reading_grade" not in codes(findings)
    assert "missing_action" not in codes(findings)


@pytest.mark.parametrize(
    ("word", "syllables"),
    [("open", 2), ("available", 4), ("repaired", 2), ("inspected", 3), ("311", 1)],
)
def test_syllable_counts_of_common_words(word, syllables):
    assert count_syllables(word) == syllables


# --- Length -----------------------------------------------------------------------


def test_empty_text_is_an_error_and_nothing_else():
    findings = check_text("  \n ")

    assert codes(findings) == ["empty"]
    assert findings[0].level == Level.ERROR


def test_text_longer_than_a_phone_screen_warns():
    sentence = "We fixed the light. Call 311 if it goes out again. "

    text = sentence * 13

    findings = check_text(text)

    assert only(findings, "too_long").level == Level.WARNING
    assert f"{len(text.strip())} characters" in only(findings, "length").message


# --- Vague phrases ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        (
            "The Police Department responded to the complaint and took action to "
            "fix the condition.",
            "took action",
        ),
        ("We took action to fix the condition.", "the condition"),
        (LEGACY_NYPD, "at that time"),
        (LEGACY_NYPD, "no evidence of the violation"),
    ],
)
def test_vague_phrases_from_the_issue_warn_with_a_suggestion(text, phrase):
    findings = check_text(text)

    warnings = [f for f in findings if f.code == "vague_phrase"]
    finding = next(f for f in warnings if f.subject == phrase)
    assert finding.level == Level.WARNING
    assert f"“{phrase}”" in finding.message


@pytest.mark.parametrize("vague", VAGUE_PHRASES, ids=lambda v: v.phrase)
def test_every_vague_phrase_is_found_in_any_case(vague):
    text = f"Inspectors went there. {vague.phrase.upper()}. Call 311 if you need to."

    findings = check_text(text)

    assert vague.phrase in [f.subject for f in findings if f.code == "vague_phrase"]


def test_a_vague_phrase_used_twice_is_reported_once():
    text = "We took action. Then we took action again. Call 311 if it returns."

    findings = check_text(text)

    assert [f.subject for f in findings if f.code == "vague_phrase"] == ["took action"]


def test_vague_phrases_in_sms_are_reported_against_the_sms():
    findings = check_sms("NYPD took action. Call 311 if it starts again.")

    assert only(findings, "vague_phrase").field == "sms_text"


# --- What the agency did, what the resident can do next ----------------------------


def test_good_nypd_noise_rewrite_has_no_warnings_even_on_submit():
    findings = check_version(GOOD_NYPD_NOISE, GOOD_NYPD_NOISE_SMS, for_submission=True)

    assert [f for f in findings if f.level != Level.INFO] == []
    assert float(only(findings, "reading_grade").subject) <= 8


def test_text_missing_both_parts_warns_while_editing():
    findings = check_text("Your complaint about noise has been closed.")

    assert only(findings, "missing_action").level == Level.WARNING
    assert only(findings, "missing_next_step").level == Level.WARNING
    assert not has_errors(findings)


def test_text_missing_both_parts_is_an_error_on_submit():
    findings = check_text(
        "Your complaint about noise has been closed.", for_submission=True
    )

    assert only(findings, "missing_action").level == Level.ERROR
    assert only(findings, "missing_next_step").level == Level.ERROR
    assert has_errors(findings)


@pytest.mark.parametrize(
    "text",
    [
        "We towed the car.",
        "Inspectors could not get into the building.",
        "Officers were unable to gain entry.",
        "{agency_name} crews patched the pothole.",
    ],
)
def test_what_the_agency_did_is_recognised(text):
    assert "missing_action" not in codes(check_text(text))


@pytest.mark.parametrize(
    "text",
    [
        "We fixed it. You can ask for a new inspection.",
        "We fixed it. If the light goes out again, tell us.",
        "We fixed it. Submit a new request online.",
        "We fixed it. Results are at nyc.gov/hpd.",
    ],
)
def test_what_the_resident_can_do_next_is_recognised(text):
    assert "missing_next_step" not in codes(check_text(text))


def test_the_agency_contacting_the_resident_is_not_a_next_step():
    findings = check_text("We inspected the building. HPD may contact you later.")

    assert "missing_next_step" in codes(findings)


def test_level_names_are_usable_from_the_module():
    finding = only(check_text("Go to {adress}."), "unknown_placeholder")

    assert finding.level == plain_language.ERROR == "error"


def test_check_version_lists_errors_first_and_names_each_field():
    findings = check_version("We fixed it. Call 311 if you need to.", "Ref {ref}")

    assert findings[0].code == "unknown_placeholder"
    assert findings[0].field == "sms_text"
    assert {f.field for f in findings} == {"text", "sms_text"}


# --- SMS segments -----------------------------------------------------------------


def test_gsm7_table_has_all_128_basic_positions_once():
    assert len(GSM7_BASIC) == 128
    assert len(set(GSM7_BASIC)) == 128
    assert set(GSM7_EXTENSION) == set("\f^{}\\[~]|€")


@pytest.mark.parametrize(
    ("length", "segments"), [(0, 0), (1, 1), (160, 1), (161, 2), (306, 2), (307, 3)]
)
def test_gsm7_segment_boundaries(length, segments):
    assert sms_segments("a" * length) == ("GSM-7", length, segments)


@pytest.mark.parametrize(("count", "segments"), [(80, 1), (81, 2)])
def test_gsm7_extension_characters_count_two_septets(count, segments):
    result = sms_segments("{" * count)

    assert result.encoding == "GSM-7"
    assert result.units == 2 * count
    assert result.segments == segments


def test_an_extension_character_is_not_split_across_segments():
    # 152 septets, then € needs 2: it moves to the second segment, and 153 more
    # septets no longer fit beside it.
    assert sms_segments("a" * 152 + "€" + "a" * 152).segments == 3


def test_letters_in_the_gsm7_table_stay_gsm7_and_others_do_not():
    assert sms_segments("Café, Niño, àè £5 ÄÖÜ ¿Qué?").encoding == "GSM-7"
    assert sms_segments("Sí").encoding == "UCS-2"


@pytest.mark.parametrize(("length", "segments"), [(70, 1), (71, 2), (134, 2), (135, 3)])
def test_ucs2_segment_boundaries(length, segments):
    assert sms_segments("ж" * length) == ("UCS-2", length, segments)


def test_emoji_counts_two_ucs2_units():
    assert sms_segments("😀") == ("UCS-2", 2, 1)
    assert sms_segments("😀" * 35) == ("UCS-2", 70, 1)
    assert sms_segments("😀" * 36).segments == 2


def test_one_curly_quote_flips_a_100_character_sms_to_ucs2_and_two_segments():
    sms = (
        "We fixed the streetlight on your block. We’re sorry it took ten days. "
        "Call 311 if it goes out again."
    )
    assert len(sms) == 100
    assert sms_segments(sms.replace("’", "'")) == ("GSM-7", 100, 1)

    findings = check_sms(sms)

    assert sms_segments(sms) == ("UCS-2", 100, 2)
    hint = only(findings, "sms_ucs2")
    assert hint.level == Level.WARNING
    assert hint.subject == "’"
    assert "’ (curly apostrophe) with '" in hint.message


def test_dashes_ellipsis_and_emoji_are_named_in_the_ucs2_hint():
    findings = check_sms("Fixed – call 311… 👍")

    hint = only(findings, "sms_ucs2")
    assert "– (en dash) with -" in hint.message
    assert "… (ellipsis) with ..." in hint.message
    assert "👍 (emoji)" in hint.message


def test_letters_another_language_needs_make_ucs2_an_info_not_a_warning():
    findings = check_sms("La policía fue. Si sigue, llame al 311.", language="es")

    hint = only(findings, "sms_ucs2")
    assert hint.level == Level.INFO
    assert "í" in hint.message


def test_more_than_two_segments_warns():
    findings = check_sms("We fixed it. Call 311 if it breaks again. " * 8)

    assert only(findings, "sms_length").subject == "3"
    assert only(findings, "sms_segments").level == Level.WARNING


def test_two_segments_do_not_warn():
    findings = check_sms("We fixed it. Call 311 if it breaks again. " * 6)

    assert only(findings, "sms_length").subject == "2"
    assert "sms_segments" not in codes(findings)


def test_sms_is_counted_with_long_placeholder_values_and_says_so():
    long_name = "Department of Housing Preservation and Development"

    finding = only(check_sms("{agency_name} closed your request."), "sms_length")

    expected = len(f"{long_name} closed your request.")
    assert f"{expected} characters" in finding.message
    assert long_name in finding.message


def test_sms_can_be_counted_with_the_agencys_own_name():
    sms = "{agency_name} closed your request."

    finding = only(check_sms(sms, values={"agency_name": "NYPD"}), "sms_length")

    assert f"{len('NYPD closed your request.')} characters" in finding.message


def test_empty_sms_is_only_an_info():
    assert [(f.level, f.code) for f in check_sms("")] == [(Level.INFO, "sms_empty")]


def test_sms_length_names_the_characters_that_count_as_two():
    gsm = only(check_sms("Fee: 5 € [cash]"), "sms_length")
    ucs2 = only(check_sms("Fee: 5 € 👍"), "sms_length")

    assert "18 characters in GSM-7" in gsm.message
    assert "count as two: [ ] €." in gsm.message
    assert "11 characters in UCS-2" in ucs2.message
    assert "count as two: 👍." in ucs2.message
