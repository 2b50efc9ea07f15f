"""How a provider's answer is classified, for email and SMS alike.

Backends turn their provider's errors into these, with messages safe to store and
show to staff: a status or error code, never the resident's address or number.
"""


class SendError(Exception):
    """The provider did not take the message."""


class TransientSendError(SendError):
    """Worth trying again later: a timeout, a rate limit, an outage.

    `maybe_sent` is True when the request may have reached the provider before it
    failed (a read timeout, a 500 after the body was sent). Such a message is not
    simply sent again: the sender asks the backend whether it went (see
    surveys.sending), and marks it unknown when the backend cannot tell.
    """

    def __init__(self, message: str, *, maybe_sent: bool = False) -> None:
        super().__init__(message)
        self.maybe_sent = maybe_sent


class PermanentSendError(SendError):
    """Sending again cannot help: an invalid address, a number that opted out."""

    def __init__(self, message: str, *, opted_out: bool = False) -> None:
        super().__init__(message)
        self.opted_out = opted_out


class CannotTell(Exception):
    """The backend cannot say whether it already sent a message with a reference."""
