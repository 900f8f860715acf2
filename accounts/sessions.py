"""Database sessions that record their user, their browser and two days
(SESSION_ENGINE = "accounts.sessions"), and "Where you're signed in" on My account.

A session row knows its user (to end every session of a person at once), a coarse
browser name read from the User-Agent when it was made, the day it started and the day it
was last used. "Last used" is written at most once a day per session: when a request
loads a session whose day has passed, one UPDATE; every other request writes nothing.
Signed-out visitors have no session cookie, so they cost none of this (and the public
page cache, before SessionMiddleware, answers them without a session at all).
"""

from datetime import date

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db.models import Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from . import devices, session_row

# The columns a session keeps besides Django's own.
COLUMNS = ("device", "started_on", "last_used_on")


class SessionStore(DBStore):
    # The browser's User-Agent, set by BrowserMiddleware for a request's session; read only
    # when a new session row is made, and never stored (only its coarse name is).
    user_agent = ""

    def __init__(self, session_key=None):
        super().__init__(session_key)
        # This session's row's columns, once loaded or made, so saving keeps them.
        self._columns = None
        self._loaded_user = None

    def _validate_session_key(self, key):
        """Only a key we could have made (32 of Django's key characters): anything else
        from a cookie (a NUL byte, which PostgreSQL refuses) counts as no session,
        instead of a 500 on every page."""
        return bool(key) and len(key) == 32 and set(key) <= set(VALID_KEY_CHARS)

    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    @property
    def loaded_user(self):
        """The account row loaded with this session's (None for none): see
        accounts/backends.py."""
        self._get_session()  # loads the session, and so the row, if not yet loaded
        return self._loaded_user

    def _get_session_from_db(self):
        """The session's row, with its account's row in the same query."""
        self._loaded_user = None
        found = session_row.load(self.session_key, timezone.now())
        if found is None:
            self._session_key = None
            return None
        session, self._loaded_user = found
        today = timezone.localdate()
        if session.last_used_on is None or session.last_used_on < today:
            # The first use today: one UPDATE (a concurrent request may have made it).
            self.model.objects.filter(
                Q(last_used_on__lt=today) | Q(last_used_on__isnull=True),
                session_key=session.session_key,
            ).update(last_used_on=today)
            session.last_used_on = today
        self._columns = {name: getattr(session, name) for name in COLUMNS}
        return session

    def _new_columns(self):
        today = timezone.localdate()
        return {"device": devices.device(self.user_agent), "started_on": today,
                "last_used_on": today}

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        session.user_id = int(user_id) if user_id is not None else None
        if self._columns is None:
            self._columns = self._new_columns()
        for name, value in self._columns.items():
            setattr(session, name, value)
        return session

    def cycle_key(self):
        """A new key for the same data. For a signed-in person (a password change keeps
        them signed in with a new key) it is the same browser and sign-in, so the row's
        browser and days go with it; when someone signs in (no one was), the session
        starts now, in the browser that signed in."""
        signed_in = self.get(SESSION_KEY) is not None
        if not signed_in:
            self._columns = None
        super().cycle_key()

    def flush(self):
        super().flush()
        self._columns = None  # the next session here is a new one
        self._loaded_user = None


class BrowserMiddleware:
    """Right after SessionMiddleware: tells each request's session its browser's
    User-Agent, from which a new session row takes its coarse browser name. Sets an
    attribute, nothing more: it loads no session."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.session.user_agent = request.headers.get("User-Agent", "")
        return self.get_response(request)


def row_id(session_key):
    """The id of a session in pages and forms: a keyed hash of its key, so the page never
    shows a key (which would sign in whoever read it) and an id cannot be turned back
    into one."""
    return salted_hmac("accounts.sessions.row_id", session_key).hexdigest()[:24]


def live_sessions(user, *, now=None):
    from accounts.models import Session

    now = now or timezone.now()
    return Session.objects.filter(user=user, expire_date__gt=now)


def find_own(user, session_id):
    """The live session of ``user`` whose row id is ``session_id``, or None: a person's
    own sessions are the only ones searched, so another's id finds nothing."""
    for session in live_sessions(user).only("session_key"):
        if constant_time_compare(row_id(session.session_key), session_id):
            return session
    return None


def listed(request):
    """The signed-in person's live sessions for My account, this browser first, then the
    most recently used."""
    current = request.session.session_key
    rows = []
    for session in live_sessions(request.user).only("session_key", *COLUMNS):
        rows.append({
            "id": row_id(session.session_key),
            "device": devices.describe(session.device),
            "started_on": session.started_on,
            "last_used_on": session.last_used_on,
            "is_current": session.session_key == current,
        })
    rows.sort(key=lambda row: (
        not row["is_current"], -(row["last_used_on"] or date.min).toordinal()))
    return rows
