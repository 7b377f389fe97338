"""A lean per-route rate limit for the hottest endpoint (the public vote).

``@limiter.limit`` walks Flask-Limiter's whole machinery on every request (limit resolution,
exemption scopes, header bookkeeping): about 0.1 ms, as much as the vote's own database work. This
decorator uses the same configured limiter — its strategy and storage (Redis in the scale-out
profile, so the limit holds across app servers), its on/off switch — and only hits one counter.
Flask-Limiter also checks every request for limits in a ``before_request`` hook; a view limited
here is exempted from that walk (it has no Flask-Limiter limits). Other routes keep ``@limiter.limit``.
"""
from __future__ import annotations

from functools import lru_cache, wraps
from typing import Callable

from flask import abort, current_app, request
from limits import RateLimitItem, parse

from contest.core.request_info import client_ip
from contest.extensions import limiter


@lru_cache(maxsize=64)
def _item(text: str) -> RateLimitItem:
    return parse(text)


def hit(scope: str, limit: str, key: str) -> bool:
    """Count one request of ``key`` against ``limit`` (e.g. "30 per minute") in ``scope``; False when over."""
    if not limiter.enabled:
        return True
    return limiter.limiter.hit(_item(limit), "contest", scope, key)


def per_ip(scope: str, limit: Callable[[], str], key: Callable[[str], str] = str) -> Callable:
    """Decorate a view: at most ``limit()`` requests per client IP, else 429 (the blueprint's 429 handler answers).
    ``key`` maps the client IP to what is counted (e.g. an IPv6 address to its /64); by default the IP itself."""
    def decorate(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not hit(scope, limit(), key(client_ip())):
                abort(429)
            return view(*args, **kwargs)
        wrapped.own_rate_limit = True
        return wrapped
    return decorate


@limiter.request_filter
def _limited_here() -> bool:
    """Flask-Limiter's request filter: skip its per-request walk for views limited by ``per_ip``."""
    view = current_app.view_functions.get(request.endpoint or "")
    return getattr(view, "own_rate_limit", False)
