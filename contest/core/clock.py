"""The request's clock. Views call ``now()``; services receive ``now=`` explicitly.

Tests and demos may set ``app.config["CLOCK"]`` to a zero-argument callable returning naive UTC,
which freezes time for every view without patching anything.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context

from contest.core.timeutil import utcnow


def now() -> datetime:
    if has_app_context():
        clock = current_app.config.get("CLOCK")
        if clock is not None:
            return clock()
    return utcnow()
