"""The fake Strava's wire (tests/fakes/strava.py): Strava's error bodies as Strava writes
them, each request as the fake received it, and the HTTP server around FakeStrava."""

import base64
import contextlib
import json
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

MALFORMED_BODY = '{"id": 1,'


def error_body(message, resource, field, code):
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


INVALID_TOKEN = error_body("Authorization Error", "Athlete", "access_token", "invalid")
MISSING_SCOPE = error_body("Authorization Error", "AccessToken", "activity:read_permission",
                           "missing")
ACTIVITY_NOT_FOUND = error_body("Resource Not Found", "Activity", "id", "not found")
RATE_LIMITED = error_body("Rate Limit Exceeded", "Application", "rate limit", "exceeded")
BAD_CLIENT = error_body("Bad Request", "Application", "client_id", "invalid")
# The "401 form": a known client_id with a wrong secret is an authorization error, not a 400.
BAD_SECRET = error_body("Authorization Error", "Application", "client_secret", "invalid")
BAD_REDIRECT = error_body("Bad Request", "Application", "redirect_uri", "invalid")
BAD_CODE = error_body("Bad Request", "AuthorizationCode", "code", "invalid")
# Section 0: an app without its owner's paid subscription is "Inactive" (stravalib#730).
INACTIVE = error_body("Forbidden", "Application", "Status", "Inactive")
# Section 0: Single Player Mode (1 athlete) and the Standard tier (10). The browser sees a page.
OVER_CAPACITY = error_body("Limit of connected athletes exceeded", "Application", "athletes",
                       "limit exceeded")
SERVER_ERROR = {"message": "Internal Server Error", "errors": []}
NOT_FOUND = {"message": "Resource Not Found", "errors": []}


class _Html(str):
    """A body served as text/html rather than JSON."""


OVER_CAPACITY_PAGE = _Html("<!DOCTYPE html><html><head><title>Strava</title></head><body>"
                           "<h1>Error 403: Limit of connected athletes exceeded</h1></body></html>")


@dataclass
class Recorded:
    """One request as the fake received it."""

    method: str
    path: str                 # without the query string
    query: dict[str, str]
    headers: dict[str, str]   # lower-case names
    form: dict[str, str]      # for application/x-www-form-urlencoded bodies
    json: object | None       # parsed application/json body

    @property
    def bearer(self):
        scheme, _, token = self.headers.get("authorization", "").partition(" ")
        return (token.strip() or None) if scheme.lower() == "bearer" else None

    @property
    def token_via(self):
        """Where the client put its access token: "header", "form", "query" or None."""
        if self.bearer:
            return "header"
        if "access_token" in self.form:
            return "form"
        return "query" if "access_token" in self.query else None

    @property
    def basic_auth(self):
        """(user, password) from an HTTP Basic Authorization header, else None."""
        scheme, _, value = self.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "basic":
            return None
        with contextlib.suppress(ValueError):  # binascii.Error, UnicodeDecodeError
            user, colon, password = base64.b64decode(value, validate=True).decode().partition(":")
            return (user, password) if colon else None
        return None


def fault_reply(kind):
    return {"500": (500, SERVER_ERROR), "429": (429, RATE_LIMITED), "401": (401, INVALID_TOKEN),
            "malformed": (200, MALFORMED_BODY)}[kind]


def int_param(query, name, default):
    value = query.get(name, "")
    if value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(name) from None


class Server(ThreadingHTTPServer):
    fake: "FakeStrava"  # noqa: F821 (tests/fakes/strava.py sets it)

    def handle_error(self, request, client_address):
        # A client that gave up (e.g. its timeout during a "slow" fault) is expected here.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    server_version = "FakeStrava/1.0"

    def log_message(self, *args):
        pass  # keep test output quiet

    def _serve(self):
        url = urlsplit(self.path)
        try:
            length = max(0, int(self.headers.get("Content-Length") or 0))
        except ValueError:
            length = 0
        text = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        body_json = None
        if ctype == "application/json":
            with contextlib.suppress(ValueError):
                body_json = json.loads(text)
        req = Recorded(
            method=self.command, path=url.path, query=dict(parse_qsl(url.query)),
            headers={k.lower(): v for k, v in self.headers.items()},
            form=dict(parse_qsl(text)) if ctype == "application/x-www-form-urlencoded" else {},
            json=body_json)
        status, body, headers = self.server.fake._handle(req)
        payload = b"" if body is None else (
            body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        if body is not None:
            self.send_header("Content-Type", "text/html; charset=utf-8" if isinstance(
                body, _Html) else "application/json; charset=utf-8")
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = do_PUT = do_DELETE = _serve


