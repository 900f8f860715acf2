"""Database sessions that record their user (SESSION_ENGINE = "accounts.sessions")."""

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DBStore


class SessionStore(DBStore):
    def _validate_session_key(self, key):
        """Only a key we could have made (32 of Django's key characters): anything else
        from a cookie (a NUL byte, which PostgreSQL refuses) counts as no session,
        instead of a 500 on every page."""
        return bool(key) and len(key) == 32 and set(key) <= set(VALID_KEY_CHARS)

    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        session.user_id = int(user_id) if user_id is not None else None
        return session
