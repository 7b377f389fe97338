"""Small helpers that read the request for views (services get plain values)."""
from flask import request


def client_ip() -> str:
    """The client address; X-Forwarded-For counts only through ProxyFix with a trusted proxy count."""
    return request.remote_addr or ""
