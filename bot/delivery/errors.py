"""What a channel's sender raises when a send fails. The worker never sees a platform
exception: each adapter maps its platform's errors onto these, and the worker decides what to
do by the class alone.

An error's text is what the platform answered; it is logged and stored, so it must never
carry what we tried to send (that may be personal data).
"""

from __future__ import annotations


class SendError(Exception):
    """A send failed."""


class RetryAfter(SendError):
    """The platform is throttling the whole bot (HTTP 429): nothing may go out for a while."""

    def __init__(self, seconds: float, message: str = "") -> None:
        super().__init__(message or f"retry after {seconds:g} s")
        self.seconds = seconds


class Unreachable(SendError):
    """The recipient cannot be written to (blocked the bot, deactivated): permanent for them."""


class Rejected(SendError):
    """The platform refused this message (bad request and the like): retrying cannot help."""


class Temporary(SendError):
    """The platform or the network failed before accepting the request: safe to retry."""


class UnknownOutcome(SendError):
    """The request left but no answer came back: the message may have been delivered."""


class OutsideAllowance(Rejected):
    """The platform's allowance does not cover this message (a used-up quota of paid or
    proactive messages, a reply window that closed): not retried, like any refusal, but named
    apart so that logs and the dead letters say why."""
