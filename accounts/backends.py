"""Sign-in backends that take the signed-in person from their session's own query.

A request of a signed-in person loads their session row and, in the same query, their
account's row (accounts.sessions). Django's ``auth.get_user`` then asks the session's
backend for the account by id; these backends answer with the row this request loaded
(``PRELOADED``, set only while ``accounts.middleware.AuthenticationMiddleware`` works out
``request.user``), and otherwise as the backends they extend. The checks stay Django's and
theirs: an inactive account is refused here, and ``auth.get_user`` still compares the
session's password hash, so a changed password signs the session out as before.
"""

from contextvars import ContextVar

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django_otp_webauthn.backends import WebAuthnBackend

PRELOADED = ContextVar("accounts.backends.PRELOADED", default=None)


class _FromTheSession:
    def get_user(self, user_id):
        user = PRELOADED.get()
        if user is not None and user.pk == user_id:
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)


class PasswordBackend(_FromTheSession, ModelBackend):
    """Email and password (and Strava, which stands for the password)."""


class PasskeyBackend(_FromTheSession, WebAuthnBackend):
    """A passkey alone (accounts/passkey_views.py)."""

    async def aget_user(self, user_id):
        # For request.auser(), which Django's other backends answer too.
        return await sync_to_async(self.get_user)(user_id)
