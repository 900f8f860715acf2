"""Whole public pages for signed-out visitors (the run list, run and club pages), kept in
each worker's memory.

Rendering the run list is most of its cost, and every signed-out visitor gets the same
page for the same address and language. A page is stored under a version token that
every change a visitor could see replaces (``pages_changed``), so a change shows at once;
the current minute is in the key too, so a run that has started stops looking open within
a minute, and anything a change forgot to announce is at most a minute old.

Signed-in people always get a fresh page: theirs shows their own places and carries their
CSRF token.
"""

import hashlib
import time
import uuid
from functools import wraps

from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.utils.translation import get_language

# In the shared cache, so every worker and every server sees a change.
VERSION_KEY = "runs:public-pages-version"
CACHEABLE_STATUSES = (200, 400)
# The run list's query parameters; an address with others is rendered but not stored, so
# made-up parameters cannot push the real pages out.
KNOWN_PARAMETERS = {"from", "to", "min_km", "max_km", "pace", "past", "page", "q"}


def _new_version():
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def pages_changed(**_signal_arguments):
    """A run, a place on one, a club, its organisers or followers, or an organiser's name
    changed. The version moves now,
    and again at commit: a page rendered from the old data in between is never used."""
    _new_version()
    transaction.on_commit(_new_version)


def _version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(VERSION_KEY)
    return version


def _key(request):
    page = f"{get_language()}:{request.get_full_path()}"
    minute = int(time.time() // 60)
    return f"page:{_version()}:{minute}:{hashlib.sha256(page.encode()).hexdigest()}"


def for_signed_out_visitors(view):
    @wraps(view)
    def cached_view(request, *args, **kwargs):
        # Any cookie means a session or a CSRF token, whose pages (and their messages)
        # are personal; signed-out readers carry none.
        if (request.method != "GET" or request.COOKIES
                or not KNOWN_PARAMETERS.issuperset(request.GET)):
            return view(request, *args, **kwargs)
        pages = caches["pages"]
        key = _key(request)
        stored = pages.get(key)
        if stored is not None:
            status, content_type, body = stored
            return HttpResponse(body, status=status, content_type=content_type)
        response = view(request, *args, **kwargs)
        # Nor a page that sets a cookie or made a CSRF token.
        if (response.status_code in CACHEABLE_STATUSES and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")):
            pages.set(key, (response.status_code, response["Content-Type"], response.content))
        return response

    return cached_view
