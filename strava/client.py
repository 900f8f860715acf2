"""Every call join run makes to Strava, and nothing else.

Strava is reached only through STRAVA_OAUTH_URL and STRAVA_API_URL (the one place to
change when Strava moves its API, announced for January 2027), with timeouts, the access
token only ever in the ``Authorization`` header (never a query string or form body: Strava
accepts nothing else from 1 June 2027), and one exception type. The
application-wide rate limits are read from each answer's headers and kept in the shared
cache: once usage reaches a limit, no call goes out until its window resets, so every
worker stops together instead of each finding out with a 429.

This module knows HTTP, not accounts: storing and refreshing tokens is strava/services.py.
"""

import datetime as dt
import logging
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urlencode

import requests
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

log = logging.getLogger(__name__)

SCOPE = "read,activity:read"
PAUSE_KEY = "strava:paused-until"
READ_PAUSE_KEY = "strava:reads-paused-until"
QUARTER_HOUR = 15 * 60


class StravaError(Exception):
    """A call to Strava that did not give an answer we can use.

    ``code`` is one of UNAVAILABLE (down, slow past the timeout, 5xx), RATE_LIMITED (429,
    or our own pause; ``retry_at`` says until when), UNAUTHORIZED (Strava refuses the
    runner's token or code: only this means their access is gone), APP_REFUSED (Strava
    refuses join run's app itself), NOT_FOUND (no such activity for this athlete) or
    BAD_RESPONSE (an answer we cannot read).
    """

    UNAVAILABLE = "unavailable"
    APP_REFUSED = "app_refused"  # our app, not the runner: a wrong secret, an inactive app
    RATE_LIMITED = "rate_limited"
    UNAUTHORIZED = "unauthorized"
    NOT_FOUND = "not_found"
    BAD_RESPONSE = "bad_response"

    # Why Strava refused the app itself, when it says: it has as many athletes as Strava
    # lets it connect (a new app: 1, then 10 until Strava grants more), or it is inactive
    # (its owner's Strava subscription lapsed).
    CAPACITY = "capacity"
    INACTIVE = "inactive"

    def __init__(self, code, detail="", *, retry_at=None, cause=None, faults=()):
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.retry_at = retry_at
        self.cause = cause
        self.faults = faults  # Strava's own error codes, such as "AuthorizationCode/invalid"


def is_configured():
    return bool(settings.STRAVA_CLIENT_ID and settings.STRAVA_CLIENT_SECRET)


_session = requests.Session()  # one per worker: connections to Strava are reused
# ...by every runner's calls, so it keeps no cookie Strava sets: one would go with the
# next runner's request.
_session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))


def _timeout():
    # (connect, read): Strava answers in well under a second when it is well.
    return (min(3.05, settings.STRAVA_TIMEOUT), settings.STRAVA_TIMEOUT)


# Rate limits

def paused_until(now=None, *, read=True):
    """When calls may go out again, or None when they may go out now. Reads (GET) also
    wait for the read limit; other calls (the token exchange that signs someone in with
    Strava) only for the overall one."""
    now = now or timezone.now()
    pauses = [cache.get(PAUSE_KEY)] + ([cache.get(READ_PAUSE_KEY)] if read else [])
    until = max((pause for pause in pauses if pause is not None), default=None)
    if until is None or until <= now.timestamp():
        return None
    return dt.datetime.fromtimestamp(until, tz=dt.UTC)


def _next_quarter_hour(now):
    return (int(now.timestamp()) // QUARTER_HOUR + 1) * QUARTER_HOUR


def _next_midnight_utc(now):
    tomorrow = now.astimezone(dt.UTC).date() + dt.timedelta(days=1)
    return int(dt.datetime.combine(tomorrow, dt.time(), tzinfo=dt.UTC).timestamp())


def _pairs(response, name):
    """("15min", "daily") integers from a header such as "100,1000", or None."""
    try:
        first, second = response.headers[name].split(",")
        return int(first), int(second)
    except (KeyError, ValueError):
        return None


def _note_rate_limits(response, method, now):
    """Pauses every worker when Strava says usage has reached a limit: the read limit
    pauses reads only, so reads used up (say, by webhook events) never stop sign-ins."""
    read = method == "GET"
    limits = [("X-RateLimit-Limit", "X-RateLimit-Usage", PAUSE_KEY)]
    if read:  # reads also count against the tighter read limit
        limits.append(("X-ReadRateLimit-Limit", "X-ReadRateLimit-Usage", READ_PAUSE_KEY))
    pauses = {}
    for limit_name, usage_name, key in limits:
        limit, usage = _pairs(response, limit_name), _pairs(response, usage_name)
        if not limit or not usage:
            continue
        if usage[1] >= limit[1]:
            pauses[key] = _next_midnight_utc(now)
        elif usage[0] >= limit[0]:
            pauses[key] = _next_quarter_hour(now)
    if response.status_code == 429 and not pauses:
        # No usable headers: Strava's windows are 15 minutes.
        pauses[READ_PAUSE_KEY if read else PAUSE_KEY] = _next_quarter_hour(now)
    for key, until in pauses.items():
        # Never shorten a longer pause another worker has just set (the daily limit).
        pauses[key] = until = max(until, cache.get(key) or 0)
        cache.set(key, until, timeout=until - int(now.timestamp()) + 1)
    return max(pauses.values(), default=None)


# Calls

def _request(method, url, *, token=None, data=None, params=None, auth=None, now=None,
             answer=True):
    """Strava's decoded JSON answer; with ``answer=False`` (revoke, whose body Strava does
    not document), None for any 2xx."""
    now = now or timezone.now()
    until = paused_until(now, read=method == "GET")
    if until:
        raise StravaError(StravaError.RATE_LIMITED, "paused", retry_at=until)
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = _session.request(method, url, headers=headers, data=data, params=params,
                                    auth=auth, timeout=_timeout(), allow_redirects=False)
    except requests.Timeout as error:
        raise StravaError(StravaError.UNAVAILABLE, "timeout") from error
    except requests.RequestException as error:
        raise StravaError(StravaError.UNAVAILABLE, type(error).__name__) from error
    until = _note_rate_limits(response, method, now)
    status = response.status_code
    if status == 429:
        retry_at = dt.datetime.fromtimestamp(until, tz=dt.UTC)
        raise StravaError(StravaError.RATE_LIMITED, "429", retry_at=retry_at)
    if status >= 500:
        raise StravaError(StravaError.UNAVAILABLE, str(status))
    if status == 404:
        raise StravaError(StravaError.NOT_FOUND, "404")
    if status in (400, 401, 403):
        raise _refusal(status, *_faults(response))
    if not answer and 200 <= status < 300:
        return None
    if status != 200:
        raise StravaError(StravaError.BAD_RESPONSE, str(status))
    try:
        return response.json()
    except (ValueError, RecursionError) as error:
        raise StravaError(StravaError.BAD_RESPONSE, "not JSON") from error


# The runner's own access is gone only when Strava refuses their token (401) or their
# code or refresh token (400 with these resources). Anything else refused is about join
# run's app (a wrong secret, an app Strava marked inactive): forgetting runners' connections
# over it would punish them for our mistake, so the operator is told instead.
RUNNER_TOKEN_RESOURCES = {"RefreshToken", "AuthorizationCode", "Athlete", "AccessToken"}


CAUSES = {
    StravaError.CAPACITY: "it has connected as many athletes as Strava allows it (apply for "
                          "more on the app's page at Strava: Settings, My API Application)",
    StravaError.INACTIVE: "Strava marked the app inactive (its owner needs a Strava "
                          "subscription; see the app's page at Strava: Settings, My API "
                          "Application)",
}


def _cause(status, faults, message):
    codes = {fault.split("/")[-1].lower() for fault in faults if fault.startswith("Application")}
    # Strava's own page says "Limit of connected athletes exceeded"; its API's wording is
    # not documented, so a limit named in the app's fault, or on athletes, is the capacity.
    message = message.lower()
    if status == 403 and (any("limit" in code for code in codes)
                          or ("limit" in message and "athlete" in message)):
        return StravaError.CAPACITY
    if status == 403 and "inactive" in codes:
        return StravaError.INACTIVE
    return None


def _refusal(status, faults, message=""):
    resources = {fault.split("/")[0] for fault in faults}
    if status == 403 or "Application" in resources or (
        status == 400 and not resources & RUNNER_TOKEN_RESOURCES
    ):
        cause = _cause(status, faults, message)
        if cause:
            log.error("Strava refused join run's app (HTTP %s %s): %s.", status,
                      ",".join(faults), CAUSES[cause])
        else:
            log.error("Strava refused join run's app (HTTP %s %s): check STRAVA_CLIENT_ID, "
                      "STRAVA_CLIENT_SECRET and the app's status at Strava.", status,
                      ",".join(faults))
        return StravaError(StravaError.APP_REFUSED, f"{status} {','.join(faults)}",
                           cause=cause, faults=faults)
    return StravaError(StravaError.UNAUTHORIZED, f"{status} {','.join(faults)}", faults=faults)


def _faults(response):
    """Strava's own error codes (["RefreshToken/invalid"]) and summary ("Limit of connected
    athletes exceeded"), read from one parse of its answer; neither names a person."""
    try:
        answer = response.json()
        errors = answer.get("errors") or []
        codes = [f"{e.get('resource')}/{e.get('code')}" for e in errors][:5]
    except (ValueError, RecursionError, AttributeError, TypeError):
        return [], ""
    message = answer.get("message")
    return codes, message[:200] if isinstance(message, str) else ""


def authorize_url(*, redirect_uri, state, force=False):
    query = urlencode({
        "client_id": settings.STRAVA_CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "approval_prompt": "force" if force else "auto",
        "scope": SCOPE,  # comma-separated: Strava refuses spaces
        "state": state,
    })
    return f"{settings.STRAVA_OAUTH_URL}/authorize?{query}"


def _token_call(fields):
    data = {"client_id": settings.STRAVA_CLIENT_ID,
            "client_secret": settings.STRAVA_CLIENT_SECRET, **fields}
    answer = _request("POST", f"{settings.STRAVA_OAUTH_URL}/token", data=data)
    try:
        tokens = {
            "access_token": _text(answer["access_token"]),
            "refresh_token": _text(answer["refresh_token"]),
            "expires_at": dt.datetime.fromtimestamp(int(answer["expires_at"]), tz=dt.UTC),
        }
        if "athlete" in answer:
            athlete = answer["athlete"]
            tokens["athlete_id"] = athlete["id"]
            if not is_strava_id(athlete["id"]):
                raise ValueError("not an id")
            firstname = athlete.get("firstname")
            tokens["firstname"] = firstname if isinstance(firstname, str) else ""
    except (KeyError, TypeError, ValueError, OverflowError, OSError) as error:
        raise StravaError(StravaError.BAD_RESPONSE, "token fields") from error
    return tokens


def exchange_code(code):
    """Tokens for an authorization code (single use): access_token, refresh_token,
    expires_at, athlete_id and firstname."""
    tokens = _token_call({"code": code, "grant_type": "authorization_code"})
    if "athlete_id" not in tokens:
        raise StravaError(StravaError.BAD_RESPONSE, "no athlete")
    return tokens


def refresh(refresh_token):
    """New tokens; the refresh token sent dies once Strava has answered."""
    return _token_call({"grant_type": "refresh_token", "refresh_token": refresh_token})


def revoke(token, *, kind="refresh_token"):
    """Ends join run's access to the athlete at Strava: revoking either of their tokens
    revokes both, so the refresh token (which needs no refreshing first) will do.

    ``POST /oauth/revoke`` (since June 2026; ``/oauth/deauthorize``, which took the access
    token as a parameter, is retired on 1 June 2027): the app authenticates with HTTP Basic
    (client id and secret), and the token goes in the form body, as OAuth's token
    revocation (RFC 7009) has it.
    """
    _request("POST", f"{settings.STRAVA_OAUTH_URL}/revoke",
             data={"token": token, "token_type_hint": kind},
             auth=(str(settings.STRAVA_CLIENT_ID), settings.STRAVA_CLIENT_SECRET), answer=False)


def get(path, access_token, params=None):
    """GET ``STRAVA_API_URL + path``: the decoded JSON."""
    return _request("GET", f"{settings.STRAVA_API_URL}{path}", token=access_token,
                    params=params)


def _text(value):
    if not isinstance(value, str) or not value:
        raise ValueError("not a string")
    return value


def is_strava_id(value):
    """Athlete and activity ids: positive 64-bit integers (and bool is an int in Python)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**63
