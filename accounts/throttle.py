"""Failed-login limits, counted in the shared cache.

A client (address) that fails too often is stopped for the rest of the window. An email
that fails too often is stopped only for the clients that took part in those failures:
an attacker cannot lock the owner out, and the right password from another network
still works.
"""

import time
from datetime import UTC, datetime

from django.conf import settings

from joinrun.client_address import client_ip
from joinrun.ratelimit import Limiter


def _limiter(name):
    return Limiter(name, limit=settings.LOGIN_RATE_LIMIT, window=settings.LOGIN_RATE_WINDOW)


def login_blocked_until(request, email, *, now=None) -> datetime | None:
    """When this client may try again, or None when it may try now."""
    now = time.time() if now is None else now
    client = client_ip(request)
    window = _limiter("login-client").exceeded(client, now=now)
    if window is None and _limiter("login-email-client").current(email, client, now=now):
        window = _limiter("login-email").exceeded(email, now=now)
    if window is None:
        return None
    return datetime.fromtimestamp(window.resets_at, tz=UTC)


def record_failed_login(request, email, *, now=None) -> None:
    client = client_ip(request)
    _limiter("login-client").record(client, now=now)
    _limiter("login-email").record(email, now=now)
    _limiter("login-email-client").record(email, client, now=now)
