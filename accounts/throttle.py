"""Limits on guessing passwords and on sending reset emails, counted in the shared cache.

Logging in: a client (an IPv4 address or an IPv6 /64) that fails too often is stopped for
the rest of the window, for every account. An email that fails too often is stopped only
for the clients that themselves failed on it several times, so an attacker cannot lock
the owner out with failures from elsewhere, the owner's own typo does not count against
them, and the right password from another network still works. A successful login
clears that email's counts.
"""

import time
from datetime import UTC, datetime

from django.conf import settings

from joinrun.client_address import client_key
from joinrun.ratelimit import Limiter, Window

# A client must have failed this often on an email before that email's limit stops it.
OWN_FAILURES_BEFORE_EMAIL_LIMIT = 3


def _limiter(name):
    return Limiter(name, limit=settings.LOGIN_RATE_LIMIT, window=settings.LOGIN_RATE_WINDOW)


def _reset_limiter(name):
    return Limiter(
        name, limit=settings.PASSWORD_RESET_RATE_LIMIT, window=settings.PASSWORD_RESET_RATE_WINDOW
    )


def _until(window: Window | None) -> datetime | None:
    return datetime.fromtimestamp(window.resets_at, tz=UTC) if window else None


def login_blocked_until(request, email, *, now=None) -> datetime | None:
    """When this client may try again, or None when it may try now."""
    now = time.time() if now is None else now
    client = client_key(request)
    window = _limiter("login-client").exceeded(client, now=now)
    if window is None:
        own = _limiter("login-email-client").current(email, client, now=now)
        if own and own.count >= OWN_FAILURES_BEFORE_EMAIL_LIMIT:
            window = _limiter("login-email").exceeded(email, now=now)
    return _until(window)


def record_failed_login(request, email, *, now=None) -> None:
    client = client_key(request)
    _limiter("login-client").record(client, now=now)
    _limiter("login-email").record(email, now=now)
    _limiter("login-email-client").record(email, client, now=now)


def record_successful_login(request, email) -> None:
    _limiter("login-email").clear(email)
    _limiter("login-email-client").clear(email, client_key(request))


def password_check_blocked_until(user, *, now=None) -> datetime | None:
    """Re-entering the password on the account pages (email change, password change,
    deletion): a stolen session may not guess it endlessly."""
    return _until(_limiter("password-check").exceeded(str(user.pk), now=now))


def record_failed_password_check(user, *, now=None) -> None:
    _limiter("password-check").record(str(user.pk), now=now)


def reset_request_blocked_until(request, *, now=None) -> datetime | None:
    return _until(_reset_limiter("reset-client").exceeded(client_key(request), now=now))


def may_send_reset_email(request, email, *, now=None) -> bool:
    """Counts a reset request; False once this client or this email asked too often.

    A flooded address simply gets no more emails for a while: the page answers the same
    either way, so it tells nobody whether an account exists."""
    client_within = _reset_limiter("reset-client").hit(client_key(request), now=now)
    email_within = _reset_limiter("reset-email").hit(email, now=now)
    return client_within and email_within


# Signing up: every submitted sign-up sends an email (a confirmation link, or a note to
# the owner of an address that has an account), so one client gets as many as it gets
# login attempts.
#
# Notes to the owner of an address ("someone tried to sign up with your address") are
# limited per client network *and* address, not per address alone: with a per-address
# limit of a few, anyone could use up the owner's notes with three fake sign-ups of their
# own, and the owner would then hear nothing about the next attempt (perhaps the one that
# matters). Another client's attempts do not count against this one's. So that many
# networks together still cannot flood the owner's inbox, the address also has a cap
# per day, generous enough that reaching it takes a deliberate flood (and the owner has
# been told many times by then).
ADDRESS_IN_USE_NOTES_PER_CLIENT = 3  # per client and address, per PASSWORD_RESET_RATE_WINDOW
ADDRESS_IN_USE_NOTES_PER_DAY = 10  # per address, from all clients together
# Confirmation links one account may ask for ("Send the link again", new addresses).
CONFIRMATION_LINKS_PER_HOUR = 3


def signup_blocked_until(request, *, now=None) -> datetime | None:
    return _until(_limiter("signup-client").exceeded(client_key(request), now=now))


def record_signup(request, *, now=None) -> None:
    _limiter("signup-client").record(client_key(request), now=now)


def may_send_address_in_use(request, email, *, now=None) -> bool:
    """Counts a note to the owner of ``email``; False once this client asked for too
    many about this address, or the address got its notes for the day. A client over its
    own limit is not counted against the address's daily cap."""
    per_client = Limiter("address-in-use-client", limit=ADDRESS_IN_USE_NOTES_PER_CLIENT,
                         window=settings.PASSWORD_RESET_RATE_WINDOW)
    if not per_client.hit(client_key(request), email, now=now):
        return False
    per_address = Limiter("address-in-use", limit=ADDRESS_IN_USE_NOTES_PER_DAY,
                          window=24 * 60 * 60)
    return per_address.hit(email, now=now)


def _confirmation_limiter():
    return Limiter("confirmation-link", limit=CONFIRMATION_LINKS_PER_HOUR, window=60 * 60)


def confirmation_link_blocked_until(user, *, now=None) -> datetime | None:
    return _until(_confirmation_limiter().exceeded(str(user.pk), now=now))


def record_confirmation_link(user, *, now=None) -> None:
    _confirmation_limiter().record(str(user.pk), now=now)
