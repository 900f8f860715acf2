"""A fake of Strava's OAuth and REST API (v3), standard library only.

In tests it runs in-process; point the app's base URLs at it::

    with FakeStrava() as fake:
        athlete = fake.add_athlete("Ana", "Novak")
        fake.add_activity(athlete, start=datetime(2026, 9, 1, 6, tzinfo=UTC))
        settings.STRAVA_OAUTH_URL, settings.STRAVA_API_URL = fake.oauth_url, fake.api_url

By hand, ``python -m tests.fakes.strava --port 8765`` (from the project root) serves in the
foreground with a demo athlete and two weeks of activities, and prints the environment
variables that point the app at it. It is as strict as Strava's documented behaviour (the
sections cited are those of shared/reference/strava-api.md), so a test fails where Strava
would: comma-separated scopes, single-use codes, refresh-token rotation, Bearer-only API calls,
redirect_uri on ``callback_domain``, rate-limit headers and windows (by the ``now`` clock),
/oauth/revoke with HTTP Basic, ``capacity`` and ``inactive`` apps, Strava's error shape.
Opt-in quirks seen at Strava: ``refuse_fresh_codes_once``, ``same_refresh_token``. Faults can
be injected with fail().
"""

import argparse
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode, urlsplit

from tests.fakes.strava_wire import (
    ACTIVITY_NOT_FOUND,
    BAD_CLIENT,
    BAD_CODE,
    BAD_REDIRECT,
    BAD_SECRET,
    INACTIVE,
    INVALID_TOKEN,
    MISSING_SCOPE,
    NOT_FOUND,
    OVER_CAPACITY,
    OVER_CAPACITY_PAGE,
    RATE_LIMITED,
    Handler,
    Recorded,
    Server,
    error_body,
    fault_reply,
    int_param,
)

SCOPES = frozenset({"read", "read_all", "profile:read_all", "profile:write",
                    "activity:read", "activity:read_all", "activity:write"})
FAULT_KINDS = ("500", "429", "slow", "401", "malformed")
FAULT_TARGETS = ("api", "token", "deauthorize", "revoke", "any")
CODE_LIFETIME = 600        # authorization codes are short-lived
KEEP_ACCESS_TOKEN = 3600   # a refresh returns the same access token while more than 1 h is left
LOCAL_OFFSET = 3600        # every fake activity happens at UTC+1 (Europe/Ljubljana in winter)
MAX_PER_PAGE = 200
QUARTER, DAY = 900, 86400  # rate-limit windows, aligned to the epoch and so to UTC (section 6)
ALWAYS_ALLOWED_HOSTS = ("localhost", "127.0.0.1")  # redirect_uri hosts Strava always accepts
AVATAR = "avatar/athlete/large.png"


def _iso(moment):
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Access:
    athlete_id: int
    scope: str
    expires_at: int


@dataclass
class _Activity:
    id: int
    athlete_id: int
    start: datetime
    name: str
    sport_type: str
    distance: float
    moving_time: int
    elapsed_time: int
    private: bool
    visibility: str


class FakeStrava:
    def __init__(self, *, client_id="12345", client_secret="fake-client-secret", port=0,
                 token_lifetime=21600, callback_domain="localhost"):
        self.client_id = client_id
        self.client_secret = client_secret
        self.callback_domain = callback_domain  # the app's "Authorization Callback Domain"
        self.port = port
        self.token_lifetime = token_lifetime
        self.url = self.oauth_url = self.api_url = None  # set by start(), once the port is known
        self.signed_in_athlete: int | None = None
        self.deny = False
        self.granted_scope: str | None = None
        self.slow_seconds = 3.0
        self.token_delay = 0.0
        self.rate_limit = (200, 2000)
        self.read_rate_limit = (100, 1000)
        self.usage = [0, 0]
        self.read_usage = [0, 0]
        self.now = lambda: time.time()  # the fake's clock: epoch seconds or aware datetime
        self.capacity: int | None = None  # connected athletes allowed; None: no limit
        self.inactive = False             # True: every token, API and revoke call gets 403
        self.refuse_fresh_codes_once = False  # True: each code is refused once, then works
        self.same_refresh_token = False   # True: a refresh hands back the refresh token sent
        self.requests: list[Recorded] = []
        self.deauthorized: set[int] = set()
        self._lock = threading.Lock()
        self._athletes: dict[int, tuple[str, str]] = {}
        self._activities: dict[int, _Activity] = {}
        self._codes: dict[str, tuple[int, str, float]] = {}   # code -> athlete, scope, expiry
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, tuple[int, str]] = {}       # token -> athlete, scope
        self._current_access: dict[int, str] = {}            # athlete -> newest access token
        self._faults: list[list] = []                         # [kind, on, times left or None]
        self._refused_codes: set[str] = set()                 # for refuse_fresh_codes_once
        self._window: tuple[int, int] | None = None           # (quarter, day) of usage
        self._next_athlete = 9_000_000_001
        self._next_activity = 12_000_000_001                  # above 2**31: needs 64-bit columns
        self._server = None
        self._thread = None

    # --- lifecycle -------------------------------------------------------------------------

    def start(self):
        server = Server(("127.0.0.1", self.port), Handler)
        server.fake = self
        self.port = server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.oauth_url, self.api_url = self.url + "/oauth", self.url + "/api/v3"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-strava", daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()

    # --- data ------------------------------------------------------------------------------

    def add_athlete(self, firstname="Ana", lastname="Novak", *, athlete_id=None):
        with self._lock:
            athlete_id = self._next_athlete if athlete_id is None else athlete_id
            if athlete_id in self._athletes:
                raise ValueError(f"athlete {athlete_id} already exists")
            self._athletes[athlete_id] = (firstname, lastname)
            self._next_athlete = max(self._next_athlete, athlete_id + 1)
            return athlete_id

    def add_activity(self, athlete_id, *, start, name="Morning Run", sport_type="Run",
                     distance=10000.0, moving_time=3000, elapsed_time=None, private=False,
                     visibility=None):
        if start.tzinfo is None or start.utcoffset() is None:
            raise ValueError("start must be an aware datetime")
        visibility = visibility or ("only_me" if private else "everyone")
        with self._lock:
            self._require_athlete(athlete_id)
            activity_id = self._next_activity
            self._next_activity += 1
            self._activities[activity_id] = _Activity(
                activity_id, athlete_id, start.astimezone(UTC), name, sport_type, float(distance),
                int(moving_time), int(moving_time if elapsed_time is None else elapsed_time),
                bool(private or visibility == "only_me"), visibility)
            return activity_id

    def delete_activity(self, activity_id):
        with self._lock:
            if self._activities.pop(activity_id, None) is None:
                raise KeyError(f"no activity {activity_id}")

    # --- faults ----------------------------------------------------------------------------

    def fail(self, kind, *, times=1, on="api"):
        if kind not in FAULT_KINDS or on not in FAULT_TARGETS:
            raise ValueError(f"fail(kind in {FAULT_KINDS}, on in {FAULT_TARGETS})")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1, or None for 'until clear_faults()'")
        with self._lock:
            self._faults.append([kind, on, times])

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    # --- inspection and token seeding -------------------------------------------------------

    def requests_to(self, path):
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def issue_tokens(self, athlete_id, *, scope="read,activity:read", expires_at=None):
        """A token set as if the OAuth dance had happened; expires_at is epoch seconds or a
        datetime (default: now + token_lifetime)."""
        if isinstance(expires_at, datetime):
            expires_at = int(expires_at.timestamp())
        with self._lock:
            self._require_athlete(athlete_id)
            access = self._new_access(athlete_id, scope, expires_at)
            return self._token_json(access, self._new_refresh(athlete_id, scope))

    def expire_access_tokens(self, athlete_id):
        with self._lock:
            for entry in self._access.values():
                if entry.athlete_id == athlete_id:
                    entry.expires_at = int(self._now()) - 1

    def refresh_token_is_valid(self, token):
        with self._lock:
            return token in self._refresh

    # --- token bookkeeping (call with the lock held) -----------------------------------------

    def _now(self):
        moment = self.now()
        return moment.timestamp() if isinstance(moment, datetime) else float(moment)

    def _over_capacity(self, athlete_id):
        """Section 0: a new athlete past ``capacity``, which counts athletes with live tokens."""
        now = self._now()
        connected = ({owner for owner, _ in self._refresh.values()}
                     | {a.athlete_id for a in self._access.values() if a.expires_at > now})
        return (self.capacity is not None and athlete_id not in connected
                and len(connected) >= self.capacity)

    def _require_athlete(self, athlete_id):
        if athlete_id not in self._athletes:
            raise KeyError(f"no athlete {athlete_id}; call add_athlete() first")

    def _new_access(self, athlete_id, scope, expires_at=None):
        token = secrets.token_hex(20)
        if expires_at is None:
            expires_at = int(self._now()) + self.token_lifetime
        self._access[token] = _Access(athlete_id, scope, int(expires_at))
        self._current_access[athlete_id] = token
        return token

    def _new_refresh(self, athlete_id, scope):
        # Only the newest refresh token of an athlete works: issuing one kills the others.
        for token in [t for t, (owner, _) in self._refresh.items() if owner == athlete_id]:
            del self._refresh[token]
        token = secrets.token_hex(20)
        self._refresh[token] = (athlete_id, scope)
        return token

    def _token_json(self, access, refresh):
        expires_at = self._access[access].expires_at
        return {"token_type": "Bearer", "expires_at": expires_at,
                "expires_in": max(0, expires_at - int(self._now())),
                "refresh_token": refresh, "access_token": access}

    def _valid_access(self, token):
        entry = self._access.get(token) if token else None
        return entry if entry is not None and entry.expires_at > self._now() else None

    # --- request handling --------------------------------------------------------------------

    def _handle(self, req):
        """Answer one request: (status, body, headers); body is JSON-able, a str or None."""
        is_api = req.path == "/api/v3" or req.path.startswith("/api/v3/")
        with self._lock:
            self.requests.append(req)
            fault = self._take_fault(req.path, is_api)
        if fault == "slow":
            time.sleep(self.slow_seconds)  # outside the lock: other requests go on meanwhile
            fault = None
        if fault is None and self.inactive and req.path != "/oauth/authorize" and not (
                req.path.startswith("/_fake")):
            return 403, INACTIVE, {}  # section 0: every call of an Inactive app
        if is_api:
            return self._api(req, fault)
        if fault is not None:
            status, body = fault_reply(fault)
            return status, body, self._limit_headers(full="overall") if fault == "429" else {}
        route = (req.method, req.path)
        if route == ("GET", "/oauth/authorize"):
            return self._authorize(req.query)
        if route == ("POST", "/oauth/token"):
            return self._token({**req.query, **req.form})
        if route == ("POST", "/oauth/deauthorize"):
            return self._deauthorize(req)
        if route == ("POST", "/oauth/revoke"):
            return self._revoke_request(req)
        if route in (("GET", "/_fake"), ("GET", "/_fake/")):
            return 200, self._summary(), {}
        return 404, NOT_FOUND, {}

    def _take_fault(self, path, is_api):
        if path.startswith("/_fake"):
            return None  # the control endpoint always answers
        target = {"/oauth/token": "token", "/oauth/deauthorize": "deauthorize",
                  "/oauth/revoke": "revoke"}.get(path)
        target = "api" if is_api else target
        for fault in self._faults:
            kind, on, left = fault
            if on in ("any", target):
                if left is not None:
                    fault[2] -= 1
                    if fault[2] == 0:
                        self._faults.remove(fault)
                return kind
        return None

    def _authorize(self, q):
        if q.get("client_id") != self.client_id:
            return 400, BAD_CLIENT, {}
        redirect = q.get("redirect_uri", "")
        try:
            parts = urlsplit(redirect)
            host = parts.hostname or ""
        except ValueError:  # e.g. an unclosed "[" in the host
            return 400, BAD_REDIRECT, {}
        # Section 2: on the Authorization Callback Domain or a sub-domain of it; localhost
        # and 127.0.0.1 are always allowed. (A port does not matter; the scheme may be http.)
        domain = self.callback_domain.lower().strip(".")
        if parts.scheme not in ("http", "https") or not (
                host in ALWAYS_ALLOWED_HOSTS or host == domain or host.endswith("." + domain)):
            return 400, BAD_REDIRECT, {}
        if q.get("response_type") != "code":
            return 400, error_body("Bad Request", "Authorize", "response_type", "invalid"), {}
        scope = q.get("scope", "")
        if not scope or not set(scope.split(",")) <= SCOPES:  # spaces or legacy names fail here
            return 400, error_body("Bad Request", "Authorize", "scope", "invalid"), {}
        with self._lock:
            athlete_id = self.signed_in_athlete
            if athlete_id is None:
                athlete_id = next(iter(self._athletes), None)
            if athlete_id not in self._athletes:
                return 409, {"message": "FakeStrava: nobody is signed in; add_athlete() first",
                             "errors": []}, {}
            if self._over_capacity(athlete_id):  # section 0: what the browser is shown
                return 403, OVER_CAPACITY_PAGE, {}
            params = {"state": q.get("state", "")}  # Strava sends state= even when none was given
            if self.deny:
                params["error"] = "access_denied"
            else:
                granted = scope if self.granted_scope is None else self.granted_scope
                code = secrets.token_hex(20)
                self._codes[code] = (athlete_id, granted, self._now() + CODE_LIFETIME)
                params.update(code=code, scope=granted)
        joiner = "&" if "?" in redirect else "?"
        return 302, None, {"Location": redirect + joiner + urlencode(params, safe=",:")}

    def _token(self, params):
        if params.get("client_id") != self.client_id:
            return 400, BAD_CLIENT, {}
        if params.get("client_secret") != self.client_secret:
            return 401, BAD_SECRET, {}
        grant = params.get("grant_type")
        if grant == "authorization_code":
            return self._exchange_code(params.get("code", ""))
        if grant == "refresh_token":
            return self._refresh_tokens(params.get("refresh_token", ""))
        return 400, error_body("Bad Request", "Application", "grant_type", "invalid"), {}

    def _exchange_code(self, code):
        with self._lock:
            entry = self._codes.get(code)
            if self.refuse_fresh_codes_once and entry and code not in self._refused_codes:
                # Seen at Strava: a code used at once is refused, and works a moment later.
                self._refused_codes.add(code)
                return 400, BAD_CODE, {}
            self._codes.pop(code, None)  # single use, even when the exchange fails
            if entry is None or entry[2] < self._now():
                return 400, BAD_CODE, {}
            athlete_id, scope, _ = entry
            if self._over_capacity(athlete_id):  # a new athlete past the app's capacity
                return 403, OVER_CAPACITY, {}
            access = self._new_access(athlete_id, scope)
            body = self._token_json(access, self._new_refresh(athlete_id, scope))
            return 200, {**body, "athlete": self._athlete_json(athlete_id)}, {}

    def _refresh_tokens(self, refresh):
        if self.token_delay:
            time.sleep(self.token_delay)  # widens the window for racing refreshes in tests
        with self._lock:
            entry = self._refresh.get(refresh)
            if entry is None:
                return 400, error_body("Bad Request", "RefreshToken", "refresh_token",
                                       "invalid"), {}
            athlete_id, scope = entry
            # Section 2.7: the same access token while it has more than 1 h left; with 1 h or
            # less a new one, and the old one keeps working until it expires.
            access = self._current_access.get(athlete_id)
            current = self._access.get(access) if access else None
            if current is None or current.expires_at - self._now() <= KEEP_ACCESS_TOKEN:
                access = self._new_access(athlete_id, scope)
            # The refresh token "may differ" from the one sent: by default it does, and the
            # one sent dies at once; same_refresh_token hands it back, still valid.
            if not self.same_refresh_token:
                refresh = self._new_refresh(athlete_id, scope)
            return 200, self._token_json(access, refresh), {}

    def _deauthorize(self, req):
        token = req.bearer or req.form.get("access_token") or req.query.get("access_token")
        with self._lock:
            entry = self._valid_access(token)
            if entry is None:
                return 401, INVALID_TOKEN, {}
            self._revoke(entry.athlete_id)
            self.deauthorized.add(entry.athlete_id)
        return 200, {"access_token": token}, {}

    def _revoke_request(self, req):
        """POST /oauth/revoke (sections 0 and 1): HTTP Basic client_id:client_secret, the
        token in the form body, an optional token_type_hint; either token revokes them all.
        Strava documents no 400 bodies for it: the "Token" ones below are the fake's own."""
        user, password = req.basic_auth or ("", "")
        if user != self.client_id:
            return 401, error_body("Authorization Error", "Application", "client_id", "invalid"), {}
        if password != self.client_secret:
            return 401, BAD_SECRET, {}
        if {"token", "access_token", "refresh_token"} & req.query.keys():
            return 400, error_body("Bad Request", "Token", "token", "invalid"), {}  # not in a URL
        token, hint = req.form.get("token"), req.form.get("token_type_hint")
        if not token:
            return 400, error_body("Bad Request", "Token", "token", "missing"), {}
        if hint not in (None, "access_token", "refresh_token"):
            return 400, error_body("Bad Request", "Token", "token_type_hint", "invalid"), {}
        with self._lock:  # the hint only speeds up a look-up, as RFC 7009 says: both are tried
            owner = self._access[token].athlete_id if token in self._access else (
                self._refresh.get(token, (None,))[0])
            if owner is not None:
                # Like /oauth/deauthorize; Strava would then send a deauthorization event.
                self._revoke(owner)
                self.deauthorized.add(owner)
        # An unknown or already revoked token is not an error (RFC 7009 section 2.2). The
        # body of Strava's answer is not documented; a client should not rely on it.
        return 200, {}, {}

    def revoke(self, athlete_id):
        """The athlete removes the app in their Strava settings: every token of theirs dies
        (Strava then sends the app a deauthorization event; tests post it themselves)."""
        with self._lock:
            self._revoke(athlete_id)

    def _revoke(self, athlete_id):
        self._access = {k: v for k, v in self._access.items() if v.athlete_id != athlete_id}
        self._refresh = {k: v for k, v in self._refresh.items() if v[0] != athlete_id}
        self._current_access.pop(athlete_id, None)

    # --- /api/v3 -----------------------------------------------------------------------------

    def _api(self, req, fault):
        read = req.method == "GET"
        with self._lock:
            if fault == "429":
                return 429, RATE_LIMITED, self._limit_headers(full="read" if read else "overall")
            self._roll_windows()
            over = self._over_limit(read)
            for counter in (self.usage, self.read_usage) if read else (self.usage,):
                counter[0] += not over
                counter[1] += over != "daily"  # section 6: a 15-minute refusal counts for the day
            if over:
                return 429, RATE_LIMITED, self._limit_headers()
            status, body = fault_reply(fault) if fault else self._api_route(req)
            return status, body, self._limit_headers()

    def _roll_windows(self):
        """Section 6: fixed windows, not sliding ones. The 15-minute usage goes back to 0 at
        :00, :15, :30 and :45 UTC, the daily usage at midnight UTC (by the ``now`` clock)."""
        now, last = self._now(), self._window
        self._window = (int(now // QUARTER), int(now // DAY))
        for i in (0, 1) if last else ():
            if last[i] != self._window[i]:
                self.usage[i] = self.read_usage[i] = 0

    def _over_limit(self, read):
        """"daily" or "15min" when a limit is used up, else None."""
        pairs = [(self.usage, self.rate_limit)]
        if read:
            pairs.append((self.read_usage, self.read_rate_limit))
        if any(usage[1] >= limit[1] for usage, limit in pairs):
            return "daily"
        return "15min" if any(usage[0] >= limit[0] for usage, limit in pairs) else None

    def _limit_headers(self, full=None):
        """Section 6's headers; ``full`` ("read" or "overall"): that 15-minute limit shown
        used up, as with a 429 Strava sends when it is."""
        usage, read_usage = list(self.usage), list(self.read_usage)
        if full == "read":
            read_usage[0] = self.read_rate_limit[0]
        elif full == "overall":
            usage[0] = self.rate_limit[0]
        pairs = {"X-RateLimit-Limit": self.rate_limit, "X-RateLimit-Usage": usage,
                 "X-ReadRateLimit-Limit": self.read_rate_limit, "X-ReadRateLimit-Usage": read_usage}
        return {name: f"{pair[0]},{pair[1]}" for name, pair in pairs.items()}

    def _api_route(self, req):
        path = req.path.removeprefix("/api/v3")
        activity_id = path.removeprefix("/activities/")
        known = path in ("/athlete", "/athlete/activities") or (
            path.startswith("/activities/") and activity_id.isascii() and activity_id.isdigit())
        if req.method != "GET" or not known:
            return 404, NOT_FOUND
        token = self._valid_access(req.bearer)  # only the header counts, as from 2027 on
        if token is None:
            return 401, INVALID_TOKEN
        if path == "/athlete":
            return 200, self._athlete_json(token.athlete_id, detailed=True)
        scopes = set(token.scope.split(","))
        if not scopes & {"activity:read", "activity:read_all"}:
            return 401, MISSING_SCOPE
        read_all = "activity:read_all" in scopes  # only it shows "Only You" activities
        if path == "/athlete/activities":
            return self._list_activities(token.athlete_id, req.query, read_all)
        activity = self._activities.get(int(activity_id))
        if (activity is None or activity.athlete_id != token.athlete_id
                or (activity.private and not read_all)):
            return 404, ACTIVITY_NOT_FOUND
        return 200, self._activity_json(activity, detailed=True)

    def _list_activities(self, athlete_id, query, read_all):
        try:
            before, after = int_param(query, "before", None), int_param(query, "after", None)
            page, per_page = int_param(query, "page", 1), int_param(query, "per_page", 30)
            if page < 1 or per_page < 1:
                raise ValueError("page" if page < 1 else "per_page")
        except ValueError as bad:
            return 400, error_body("Bad Request", "Application", str(bad), "invalid")
        per_page = min(per_page, MAX_PER_PAGE)
        found = [a for a in self._activities.values()
                 if a.athlete_id == athlete_id and (read_all or not a.private)
                 and (before is None or a.start.timestamp() < before)
                 and (after is None or a.start.timestamp() > after)]
        found.sort(key=lambda a: (a.start, a.id), reverse=True)  # newest first
        return 200, [self._activity_json(a) for a in found[(page - 1) * per_page:page * per_page]]

    # --- JSON shapes -------------------------------------------------------------------------

    def _athlete_json(self, athlete_id, *, detailed=False):
        firstname, lastname = self._athletes[athlete_id]
        data = {"id": athlete_id, "username": None, "resource_state": 3 if detailed else 2,
                "firstname": firstname, "lastname": lastname, "city": "Ljubljana",
                "state": None, "country": "Slovenia", "sex": None, "premium": False,
                "summit": False, "created_at": "2020-01-01T00:00:00Z",
                "updated_at": "2020-01-01T00:00:00Z", "badge_type_id": 0,
                "profile_medium": AVATAR, "profile": AVATAR, "friend": None, "follower": None}
        if detailed:
            data.update(follower_count=0, friend_count=0, measurement_preference="meters",
                        ftp=None, weight=None, clubs=[], bikes=[], shoes=[])
        return data

    def _activity_json(self, a, *, detailed=False):
        speed = a.distance / a.moving_time if a.moving_time else 0.0
        upload_id = a.id + 1_000_000_000_000
        data = {
            "id": a.id, "resource_state": 3 if detailed else 2,
            "athlete": {"id": a.athlete_id, "resource_state": 1}, "name": a.name,
            "distance": a.distance, "moving_time": a.moving_time, "elapsed_time": a.elapsed_time,
            "total_elevation_gain": 0.0, "sport_type": a.sport_type,
            "type": "Run" if a.sport_type == "TrailRun" else a.sport_type,  # deprecated field
            "start_date": _iso(a.start),
            # Strava writes local wall time with a "Z" suffix too
            "start_date_local": _iso(a.start + timedelta(seconds=LOCAL_OFFSET)),
            "timezone": "(GMT+01:00) Europe/Ljubljana", "utc_offset": float(LOCAL_OFFSET),
            "start_latlng": [], "end_latlng": [], "achievement_count": 0, "kudos_count": 0,
            "athlete_count": 1,
            "map": {"id": f"a{a.id}", "summary_polyline": None, "resource_state": 2},
            "trainer": False, "commute": False, "manual": False, "private": a.private,
            "visibility": a.visibility, "flagged": False, "average_speed": round(speed, 3),
            "max_speed": round(speed * 1.25, 3), "has_heartrate": False,
            "device_name": "Fake Watch", "external_id": f"fake-{a.id}.fit",
            "upload_id": upload_id, "upload_id_str": str(upload_id),
        }
        if detailed:
            data.update(description=None, calories=0.0, map={
                "id": f"a{a.id}", "polyline": None, "summary_polyline": None, "resource_state": 3})
        return data

    def _summary(self):
        with self._lock:
            connected = {owner for owner, _ in self._refresh.values()}
            owners = [a.athlete_id for a in self._activities.values()]
            return {"signed_in_athlete": self.signed_in_athlete,
                    "athletes": [{"id": i, "firstname": first, "lastname": last,
                                  "activities": owners.count(i), "connected": i in connected}
                                 for i, (first, last) in self._athletes.items()],
                    "deauthorized": sorted(self.deauthorized), "requests": len(self.requests),
                    "usage": self.usage, "read_usage": self.read_usage}


def seed_demo(fake, *, now=None):
    """Add "Demo Runner" with two weeks of runs and rides; sign them in. Returns their id."""
    now = now or datetime.now(UTC)
    athlete = fake.add_athlete("Demo", "Runner")
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    plan = [((6, 0), "Morning Run", "Run", 8000.0, 45 * 60),
            ((16, 30), "Afternoon Ride", "Ride", 25000.0, 60 * 60),
            ((17, 0), "Evening Run", "Run", 10000.0, 55 * 60)]
    for days_ago in range(14):
        for (hour, minute), name, sport_type, distance, seconds in plan:
            start = midnight - timedelta(days=days_ago) + timedelta(hours=hour, minutes=minute)
            if start <= now:  # nothing in the future
                fake.add_activity(athlete, start=start, name=name, sport_type=sport_type,
                                  distance=distance, moving_time=seconds)
    fake.signed_in_athlete = athlete
    return athlete


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.fakes.strava",
                                     description="Serve a fake Strava API for trying join run.")
    parser.add_argument("--port", type=int, default=8765, help="port on 127.0.0.1 (default 8765)")
    args = parser.parse_args(argv)
    fake = FakeStrava(port=args.port)
    athlete = seed_demo(fake)
    fake.start()
    print(f"Fake Strava on {fake.url}, signed in as Demo Runner ({athlete}). Ctrl-C stops it.")
    print(f"Point the app at it with:\n\nSTRAVA_CLIENT_ID={fake.client_id}\n"
          f"STRAVA_CLIENT_SECRET={fake.client_secret}\nSTRAVA_OAUTH_URL={fake.oauth_url}\n"
          f"STRAVA_API_URL={fake.api_url}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
