"""What every reader of a public page sees, kept in each worker's memory: whole pages for
signed-out visitors (the run list, run and club pages), and the rows a signed-in reader's
page shares with everyone's (``kept``).

Everything is stored under a version token that every change a visitor could see
replaces (``pages_changed``), so a change shows at once; the current minute is in the key
too, so a run that has started stops looking open within a minute, and anything a change
forgot to announce is at most a minute old.

A page is stored when its view is marked ``@for_signed_out_visitors`` and the request
carries no cookie (a session or a CSRF token makes a page personal). The next visitor gets
it from ``SignedOutPages``, a middleware placed before sessions, CSRF, authentication and
the URL resolver: the stored answer has every header the whole stack gave the first one
(Vary, Content-Language, X-Frame-Options), and the middleware outside it add theirs as for
any page. Only these pages are compressed (gzip): they carry no CSRF token and nothing
personal, so reflecting a visitor's filter values beside them gives a BREACH attacker
no secret to guess.

Signed-in people always get a page of their own: it shows their own places and carries
their CSRF token. Parts of it that are the same for everyone of a language (the header, the
filters) are kept as fragments (``{% kept %}``, this module as the template library
``page_cache``), with the CSRF token put in per request.
"""

import gzip
import hashlib
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from functools import wraps

from django import template
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.safestring import mark_safe

# In the shared cache, so every worker and every server sees a change.
VERSION_KEY = "runs:public-pages-version"
CACHEABLE_STATUSES = (200, 400)
# The run list's query parameters; an address with others is rendered but not stored, so
# made-up parameters cannot push the real pages out.
KNOWN_PARAMETERS = {"from", "to", "min_km", "max_km", "pace", "past", "page", "q"}
# Set on a response by a view marked @for_signed_out_visitors.
STORABLE = "for_signed_out_visitors"
# Headers the answer's length and encoding decide, written afresh for each answer.
REWRITTEN = {"content-length", "content-encoding"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
SMALLEST_COMPRESSED = 200  # bytes; below this gzip's own header costs more than it saves


def _new_version():
    cache.set(VERSION_KEY, uuid.uuid4().hex, timeout=None)


def pages_changed(**_signal_arguments):
    """A run, a place on one, a club, its organisers or followers, or an organiser's name
    changed. The version moves now,
    and again at commit: a page rendered from the old data in between is never used."""
    _new_version()
    transaction.on_commit(_new_version)


def version(request=None):
    """The current version token (it moves on every change a visitor could see), read
    once per ``request``: it is in the shared cache."""
    if request is not None and hasattr(request, "_pages_version"):
        return request._pages_version
    current = cache.get(VERSION_KEY)
    if current is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, timeout=None)
        current = cache.get(VERSION_KEY)
    if request is not None:
        request._pages_version = current
    return current


def minute():
    return int(time.time() // 60)


def _key(kind, name, request=None):
    digest = hashlib.sha256(name.encode()).hexdigest()
    return f"{kind}:{version(request)}:{minute()}:{digest}"


def kept(request, name, compute, still_good=None):
    """What ``compute()`` returns for the public page at ``request``'s address, kept in
    this worker under ``name`` until the version moves or the minute ends: for public
    rows every reader's page shows (a page of the run list with its counts), so a
    signed-in reader's page adds only what is theirs. Every request of the worker gets
    the same value, uncopied: read it, never change it. ``still_good(value)``: False
    when a kept value is out of date before the minute ends (a run on it has started).
    Not kept for an address with made-up parameters."""
    if not KNOWN_PARAMETERS.issuperset(request.GET):
        return compute()
    key = _key("kept", f"{name}:{request.get_full_path()}", request)
    value = memory.get(key)
    if value is None or (still_good is not None and not still_good(value)):
        value = compute()
        memory.set(key, value)
    return value


def for_signed_out_visitors(view):
    """Marks the view's pages storable for signed-out visitors (SignedOutPages stores and
    serves them)."""

    @wraps(view)
    def marked_view(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if _signed_out_get(request):
            setattr(response, STORABLE, True)
        return response

    return marked_view


def _signed_out_get(request):
    # Any cookie means a session or a CSRF token, whose pages (and their messages) are
    # personal; signed-out readers carry none.
    return (request.method == "GET" and not request.COOKIES
            and KNOWN_PARAMETERS.issuperset(request.GET))


class SignedOutPages:
    """Answers a signed-out visitor's GET with a stored page, before the middleware that
    follows it (sessions, language, CSRF, authentication, messages) and the URL resolver
    run; stores the pages of views marked @for_signed_out_visitors as that stack made
    them. After SecurityMiddleware and the privacy headers, so a stored answer gets
    those (and the HTTPS redirect) as every answer does."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _signed_out_get(request):
            return self.get_response(request)
        request.get_host()  # a Host outside ALLOWED_HOSTS is a 400, as CommonMiddleware says
        # As LocaleMiddleware chooses it for a request without cookies: Accept-Language.
        language = translation.get_language_from_request(request)
        key = _key("page", f"{language}:{request.get_full_path()}", request)
        pages = caches["pages"]
        stored = pages.get(key)
        if stored is not None:
            return _answer(stored, request)
        response = self.get_response(request)
        if not (getattr(response, STORABLE, False)
                and response.status_code in CACHEABLE_STATUSES
                and not response.streaming and not response.cookies
                and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
                and response.get("Content-Language") == language
                and not response.has_header("Content-Encoding")):
            return response
        stored = _stored(response)
        pages.set(key, stored)
        return _answer(stored, request)


def _stored(response):
    """(status, headers, body, gzipped body or None) of a page as the stack made it."""
    headers = [(name, value) for name, value in response.items()
               if name.lower() not in REWRITTEN]
    body = response.content
    compressed = None
    if len(body) >= SMALLEST_COMPRESSED:
        compressed = gzip.compress(body, compresslevel=6, mtime=0)
    return response.status_code, headers, body, compressed


def _answer(stored, request):
    status, headers, body, compressed = stored
    response = HttpResponse(status=status)
    for name, value in headers:
        response[name] = value
    if compressed is not None:
        patch_vary_headers(response, ["Accept-Encoding"])
        if ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            body = compressed
            response["Content-Encoding"] = "gzip"
    response.content = body
    response["Content-Length"] = str(len(body))
    return response


class WorkerMemory:
    """Values kept in this worker's memory and shared by its requests as they are: no
    pickling on the way in or out, which for a signed-in page cost more than the page's
    own work. A value put here is never changed, only replaced, so one being read is
    never half written; the least recently used is forgotten first, and a value may
    have a number of seconds after which it is forgotten."""

    def __init__(self, size):
        self.size = size
        self.values = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            kept = self.values.get(key)
            if kept is None:
                return None
            value, until = kept
            if until is not None and until <= time.monotonic():
                del self.values[key]
                return None
            self.values.move_to_end(key)
            return value

    def set(self, key, value, seconds=None):
        until = None if seconds is None else time.monotonic() + seconds
        with self.lock:
            self.values[key] = (value, until)
            self.values.move_to_end(key)
            while len(self.values) > self.size:
                self.values.popitem(last=False)

    def clear(self):
        with self.lock:
            self.values.clear()


# Fragments and the rows of kept pages (a few KB each; the key has the version and the
# minute, so old ones are never read again and go first).
memory = WorkerMemory(2000)


# Fragments of a page: {% load page_cache %} ... {% kept name part... %}...{% endkept %}

register = template.Library()
FRAGMENT_SECONDS = 60  # a template edit in development shows within a minute
# Stands for the CSRF token in a kept fragment; each request's own token replaces it.
TOKEN_MARKER = "keptcsrf" + secrets.token_hex(16)


class KeptFragment(template.Node):
    def __init__(self, nodelist, name, parts):
        self.nodelist, self.name, self.parts = nodelist, name, parts

    def render(self, context):
        token = context.get("csrf_token")  # lazy: evaluating it may set the CSRF cookie
        if token is None:  # rendered without a request: as it is
            return self.nodelist.render(context)
        parts = "|".join(str(part.resolve(context)) for part in self.parts)
        if len(parts) > 100:  # a long query string: a cache key stays short
            parts = hashlib.sha256(parts.encode()).hexdigest()
        key = f"fragment:{self.name}|{parts}"
        html = memory.get(key)
        if html is None:
            with context.push(csrf_token=TOKEN_MARKER):
                html = str(self.nodelist.render(context))
            memory.set(key, html, FRAGMENT_SECONDS)
        # The nodelist's own escaped output; a token is letters and digits.
        if TOKEN_MARKER not in html:
            return mark_safe(html)  # noqa: S308
        if str(token) == "NOTPROVIDED":  # no CSRF middleware: {% csrf_token %} shows nothing
            return self.nodelist.render(context)
        return mark_safe(html.replace(TOKEN_MARKER, str(token)))  # noqa: S308


@register.tag("kept")
def kept_fragment(parser, token):
    """{% kept name part... %}: the enclosed markup, kept per worker for each set of parts'
    values (the language, signed in or not, the view, the query string). Everything in it
    must follow from those parts: a person's name stays outside, and so does anything read
    from the database (the page version is not in the key, so a change would show only
    after FRAGMENT_SECONDS). {% csrf_token %} may be inside."""
    bits = token.split_contents()
    if len(bits) < 2:
        raise template.TemplateSyntaxError("{% kept %} takes a name and the parts it varies on")
    nodelist = parser.parse(("endkept",))
    parser.delete_first_token()
    return KeptFragment(nodelist, bits[1], [parser.compile_filter(bit) for bit in bits[2:]])
