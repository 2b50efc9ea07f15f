"""Email through whatever EMAIL_BACKEND is: django-anymail in production.

`send_email` returns the provider's message id and raises the errors of
surveys.delivery; `find_sent_email` answers, where the backend keeps a copy, whether
a message with a given Message-ID already went out.
"""

import smtplib
from pathlib import Path

from django.conf import settings
from django.core import mail
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends import filebased, locmem
from django.utils.module_loading import import_string

from surveys.delivery import CannotTell, PermanentSendError, TransientSendError


def send_email(email: EmailMessage) -> str:
    from anymail.exceptions import (
        AnymailAPIError,
        AnymailRecipientsRefused,
        AnymailRequestsAPIError,
    )

    try:
        get_connection(fail_silently=False).send_messages([email])
    except AnymailRecipientsRefused:
        raise PermanentSendError(
            "The provider refused the address (invalid or suppressed)"
        ) from None
    except AnymailRequestsAPIError as error:
        raise _classify_http(error.status_code) from None
    except AnymailAPIError as error:
        raise TransientSendError(
            f"Email provider error ({type(error).__name__})", maybe_sent=True
        ) from None
    except smtplib.SMTPRecipientsRefused:
        raise PermanentSendError("The mail server refused the address") from None
    except (smtplib.SMTPConnectError, ConnectionRefusedError):
        raise TransientSendError("Could not reach the mail server") from None
    except (smtplib.SMTPException, OSError) as error:
        raise TransientSendError(
            f"Mail server error ({type(error).__name__})", maybe_sent=True
        ) from None

    status = getattr(email, "anymail_status", None)
    if status is not None and status.message_id:
        return str(status.message_id)
    return email.extra_headers["Message-ID"]


def _classify_http(status_code: int | None) -> Exception:
    if status_code in (429, 503):
        return TransientSendError(f"Email provider HTTP {status_code}")
    if status_code is None or status_code >= 500:
        return TransientSendError(f"Email provider HTTP {status_code}", maybe_sent=True)
    return PermanentSendError(f"Email provider HTTP {status_code}")


def find_sent_email(message_id_header: str) -> str | None:
    """The Message-ID if a copy of the email was sent, None if not, or CannotTell.

    Django's locmem backend (this process's outbox) and file backend keep copies;
    SMTP and the providers' APIs do not answer such questions.
    """
    backend = import_string(settings.EMAIL_BACKEND)
    if issubclass(backend, locmem.EmailBackend):
        for sent in getattr(mail, "outbox", []):
            if sent.extra_headers.get("Message-ID") == message_id_header:
                return message_id_header
        return None
    if issubclass(backend, filebased.EmailBackend):
        needle = f"Message-ID: {message_id_header}\n".encode()
        for path in Path(settings.EMAIL_FILE_PATH).glob("*.log"):
            if needle in path.read_bytes():
                return message_id_header
        return None
    raise CannotTell(f"{settings.EMAIL_BACKEND} keeps no copy to look in.")
