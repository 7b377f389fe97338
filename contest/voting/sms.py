"""Pluggable SMS senders for phone verification. ``SMS_SENDER`` names one of ``SENDERS``; the default
"log" sender writes the message to the application log (for demos and tests; no network)."""
from __future__ import annotations

import logging
from typing import Callable

log = logging.getLogger("contest.sms")

def send_log(phone: str, text: str) -> None:
    masked = phone[:3] + "****" + phone[-4:] if len(phone) >= 7 else "***"
    log.warning("SMS to %s: %s", masked, text)


SENDERS: dict[str, Callable[[str, str], None]] = {"log": send_log}


def register_sender(name: str, sender: Callable[[str, str], None]) -> None:
    """Add a sender (e.g. a provider's API client) selectable with SMS_SENDER=name."""
    SENDERS[name] = sender


def send(name: str, phone: str, text: str) -> None:
    """Send ``text`` to ``phone`` with the configured sender. Raises KeyError for an unknown sender name."""
    SENDERS[name](phone, text)
