"""The policy's promises that apply to every response: security headers and a log
line per request that cannot be linked to a person."""

import logging
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from joinrun.client_address import client_ip, truncate_ip

access_log = logging.getLogger("joinrun.access")

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
        "base-uri 'none'",
    ]
)
PERMISSIONS_POLICY = ", ".join(
    [
        f"{feature}=()"
        for feature in (
            "accelerometer", "browsing-topics", "camera", "gyroscope",
            "magnetometer", "microphone", "payment", "usb",
        )
    ]
    # "Sort by distance from me" (static/js/near-me.js) asks for the location on our own
    # pages, and the location stays in the browser. No other site's frame may ask.
    + ["geolocation=(self)"]
)


class SecurityHeadersMiddleware:
    """Headers Django's SecurityMiddleware does not set (it sets nosniff, Referrer-Policy,
    Cross-Origin-Opener-Policy and, with HTTPS, HSTS)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def referrer_origin(referrer: str) -> str:
    """Only scheme and host of the referring page: its path may carry personal data."""
    try:
        parts = urlsplit(referrer)
    except ValueError:  # "http://[::1": the client's header, not our fault
        return "-"
    if not parts.scheme or not parts.netloc:
        return "-"
    return f"{parts.scheme}://{parts.netloc}"


def _quoted(value: str) -> str:
    """Quoted, with backslashes, quotes, newlines and other control characters escaped,
    so a crafted path or user agent cannot forge a log line."""
    escaped = value.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{escaped}"'


class AccessLogMiddleware:
    """One line per request: time, method, path, status, duration, user agent, referrer
    origin, truncated client network. Never a query string, user id or email."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.monotonic()
        response = self.get_response(request)
        duration_ms = (time.monotonic() - started) * 1000
        # The view has done its work (a join may be stored): a fault in the log line must
        # not turn its answer into a 500. Only the exception's type is logged, as its
        # message may quote a header.
        try:
            self.log(request, response, duration_ms)
        except Exception as error:  # noqa: BLE001
            access_log.error("access line for a %s request not written: %s",
                             request.method, type(error).__name__)
        return response

    def log(self, request, response, duration_ms):
        access_log.info(
            "%s %s %s %s %d %.1fms %s %s",
            datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            truncate_ip(client_ip(request)),
            request.method,
            _quoted(request.path),
            response.status_code,
            duration_ms,
            _quoted(request.headers.get("User-Agent", "")[:300]),
            referrer_origin(request.headers.get("Referer", "")),
        )
