"""The voter behind a request: a signed long-lived cookie id plus the client IP, turned into HMAC hashes.

View glue only (reads the request and the app's secret); the services receive a plain ``Voter``.
"""
from __future__ import annotations

import secrets
from functools import lru_cache
from typing import Optional

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer

from contest.core.request_info import client_ip
from contest.voting.policy import address_key, keyed_hash, network_of
from contest.voting.services import Voter

COOKIE = "cv_voter"
PHONE_COOKIE = "cv_phone"
COOKIE_MAX_AGE = 400 * 24 * 3600
PHONE_MAX_AGE = 30 * 24 * 3600

_ISSUED = "contest.voter_cookie_issued"
MISSING, VALID, FORGED = "missing", "valid", "forged"


def _serializer() -> URLSafeSerializer:
    return _voter_serializer(current_app.secret_key)


@lru_cache(maxsize=8)
def _voter_serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt="contest-voter-id")


def _phone_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="contest-voter-phone")


def _secret() -> str:
    return current_app.secret_key


def hash_value(purpose: str, value: str) -> str:
    return keyed_hash(_secret(), purpose, value)


def read_voter_id() -> tuple[str, Optional[str]]:
    """(MISSING|VALID|FORGED, voter id). A cookie whose signature does not verify is FORGED."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return MISSING, None
    return _verified(current_app.secret_key, raw[:200])


@lru_cache(maxsize=4096)  # a browser sends the same signed id with every vote: verify it once per process
def _verified(secret: str, raw: str) -> tuple[str, Optional[str]]:
    try:
        value = _voter_serializer(secret).loads(raw)
    except BadSignature:
        return FORGED, None
    if not isinstance(value, str) or len(value) != 32:
        return FORGED, None
    return VALID, value


def ensure_voter_cookie(response):
    """Give the browser a voter id when it has none (or a forged one); keep a valid one."""
    status, _ = read_voter_id()
    # The flag lives in the WSGI environ: ``g`` can outlive one request when an outer app context exists.
    if status != VALID and not request.environ.get(_ISSUED):
        request.environ[_ISSUED] = True
        token = _serializer().dumps(secrets.token_hex(16))
        response.set_cookie(COOKIE, token, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Lax",
                            secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def verified_phone_hash(contest_id: int) -> str:
    """The phone hash from a valid phone cookie for this contest, else ''."""
    raw = request.cookies.get(PHONE_COOKIE)
    if not raw:
        return ""
    try:
        value = _phone_serializer().loads(raw, max_age=PHONE_MAX_AGE)
    except BadSignature:
        return ""
    if isinstance(value, dict) and value.get("c") == contest_id and isinstance(value.get("p"), str):
        return value["p"]
    return ""


def set_phone_cookie(response, contest_id: int, phone_hash: str):
    response.set_cookie(PHONE_COOKIE, _phone_serializer().dumps({"c": contest_id, "p": phone_hash}),
                        max_age=PHONE_MAX_AGE, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def current_voter(voter_id: str, contest_id: int) -> Voter:
    """Hashes of the voter id, IP (an IPv6 address by its /64, see ``address_key``), its network and the user
    agent. With a verified phone the phone is the voter, so one person is one voter whatever browser they use."""
    ip = client_ip()
    phone_hash = verified_phone_hash(contest_id)
    return Voter(
        voter_hash=phone_hash or hash_value("voter", voter_id),
        ip_hash=hash_value("ip", address_key(ip)),
        net_hash=hash_value("net", network_of(ip)),
        ua_hash=hash_value("ua", request.headers.get("User-Agent", "")),
        phone_hash=phone_hash,
    )
