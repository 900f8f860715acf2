"""A form body Django will not read (a charset other than UTF-8, a broken multipart body,
too many fields) is the client's mistake: 400 with our page.

Without this the answer was gunicorn's bare 500: the CSRF check reads ``request.POST``,
which raises; Django's 400 page runs the CSRF check again (``requires_csrf_token``),
which reads ``request.POST`` again and raises past Django's handler."""

from django.core.exceptions import BadRequest, SuspiciousOperation
from django.shortcuts import render
from django.urls import Resolver404, resolve

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnreadableFormMiddleware:
    """Last in MIDDLEWARE, so the page has the visitor's language and every header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (request.method == "POST" and request.content_type in FORM_TYPES
                and not _csrf_exempt(request)):
            try:
                request.POST  # noqa: B018  (parsed now, while a 400 can still be answered)
            except (BadRequest, SuspiciousOperation):
                return render(request, "400.html", status=400)
        return self.get_response(request)


def _csrf_exempt(request):
    """Views that skip the CSRF check read their own body (Strava's webhook reads it raw,
    which parsing a multipart form here first would make impossible); the CSRF check, the
    reason for this middleware, never reads theirs."""
    try:
        view = resolve(request.path_info).func
    except Resolver404:
        return False
    return getattr(view, "csrf_exempt", False)
