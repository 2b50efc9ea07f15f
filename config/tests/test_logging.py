import logging

import pytest

from config.logfilters import MaskSurveyTokens

TOKEN = "B43fCF9XnHFeE7gFaXRDrz"


def record(msg: str, *args) -> logging.LogRecord:
    return logging.LogRecord(
        "django.request", logging.ERROR, __file__, 1, msg, args, None
    )


@pytest.mark.parametrize(
    "path", [f"/s/{TOKEN}/", f"/s/{TOKEN}/thanks/", f"/u/{TOKEN}/"]
)
def test_survey_tokens_are_masked_in_error_lines(path):
    line = record("Internal Server Error: %s", path)

    MaskSurveyTokens().filter(line)

    assert TOKEN not in line.getMessage()
    assert "[token]" in line.getMessage()


def test_other_lines_are_left_alone():
    line = record('"GET /requests/%s/ HTTP/1.1" 200', 70000001)

    MaskSurveyTokens().filter(line)

    assert line.getMessage() == '"GET /requests/70000001/ HTTP/1.1" 200'


def test_every_line_the_site_prints_goes_through_the_mask():
    for name in ("django.request", "django.server", "surveys.views"):
        logger = logging.getLogger(name)
        assert not logger.handlers
        assert logger.propagate

    [console] = logging.getLogger().handlers[:1]
    assert any(isinstance(f, MaskSurveyTokens) for f in console.filters)
