"""Logging filters that keep residents' secrets out of every log line."""

import logging
import re

# Survey and unsubscribe links: /s/<token>/ and /u/<token>/, anywhere in a line.
_TOKEN_IN_PATH = re.compile(r"/([su])/[A-Za-z0-9_-]{16,}")


class MaskSurveyTokens(logging.Filter):
    """Replace the token of survey and unsubscribe links with "[token]".

    Django logs the path of every error and the development server every
    request; a token in a log would let anyone who reads the logs answer or
    unsubscribe in the resident's name.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _TOKEN_IN_PATH.sub(r"/\1/[token]", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
