"""No hostile input gets a 5xx: every URL parameter, every form, bad charsets and broken
headers, as a visitor, a runner, the organiser of a run and a club, and staff in the admin.

The test client (``raise_request_exception=False``, so a 500 is an answer like any other)
walks the URLconf as tests/test_html_valid.py does, with that test's site. Path arguments
get out-of-range numbers and NUL bytes; every query parameter the site's views, links and
GET forms use gets each hostile value; every form found on a page (and on the pages its
answers lead to) is posted with each hostile value in its visible fields, with seeded mixes
that change hidden fields too, and in unreadable charsets. The inputs are a fixed list and
a seeded random, so a failure repeats. A smaller set goes through real gunicorn
(tests/test_hostile_requests_served.py serves the audit's own cases).

Each failure names the request and the exception, so it can be fixed where it starts.
"""

import logging
import random
import re
import socket
import traceback
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
from django.contrib import admin
from django.core.cache import caches
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import path as route
from django.urls import reverse

from accounts.models import User
from joinrun import urls as site_urls
from tests.conftest import PASSWORD, connect_strava
from tests.test_html_valid import build_site, named_routes, route_kwargs

SEED = 14
BIG = "x" * 100_000
HOSTILE = [
    "\u202egpx.exe", "Ana\u200b\u200d\u2060", "a\u2028b\u2029c", "\x1b[2J\x07\x08\x7f",
    "\x00", "a\x00b", "1e309", "-1e309", "NaN", "inf", str(10**30),
    "-99999999999999999999", "9223372036854775808", "-1", "0", "", " \t ",
    BIG, "2026-02-30", "0000-00-00T00:00", "9999-12-31T23:59", "-99999-01-01",
    "2026-13-45T25:61", "99:99", "<script>x</script>", "' OR '1'='1", "../../etc/passwd",
    "\U0001f3c3" * 300, "\ufeff\ufffe\uffff", "http://[::1", "//evil.example/",
    "javascript:alert(1)",
]
# The values that found the audit's faults, for the places a full sweep would be too slow.
SHARP = ["\x00", str(10**30), "-99999999999999999999", "1e309", "9999-12-31", BIG,
         "\u202e", "2026-02-30"]
# Names views read from the query string that no link or form on a page shows.
QUERY_NAMES = {"token", "key", "uid", "state", "code", "scope", "error", "next", "kind",
               "from", "force", "page", "past", "club", "hub.mode", "hub.challenge",
               "hub.verify_token", "lat", "lon", "q"}
PATH_VALUES = ["0", "99999999999999999999", "9223372036854775808", "%00", "1%00", "%ff%fe",
               "%E2%80%AE", "x" * 3000, "..%2F..", "00000000-0000-0000-0000-000000000000",
               "JR-2026-99999999999999"]
# Stand-ins the URLconf's converters accept, replaced by PATH_VALUES in the reversed path.
SENTINELS = {"int": 987654321, "slug": "zz-sentinel-zz",
             "uuid": "12345678-1234-5678-1234-567812345678", "reference": "JR-2026-98765"}
UNREADABLE_BODIES = [
    ("application/x-www-form-urlencoded; charset=utf-16", "title=x".encode("utf-16")),
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"title=x"),
    ("application/x-www-form-urlencoded", b"title=%ff%fe%00&email=%c3%28&" + b"a=" * 3000),
    ("multipart/form-data; boundary=", b"--\r\n\r\n"),
    ("multipart/form-data; boundary=zz", b"--zz\r\nContent-Disposition: form-data\r\n\r\nx"),
    ("multipart/form-data", b"\x00" * 64),
    ("application/json", b'{"title": ['),
    ("text/plain; charset=utf-8", b"\xff\xfe\x00"),
]
HEADERS = [
    {"Referer": "http://[::1"}, {"Referer": "\x00"}, {"Referer": "http://" + "a" * 5000},
    {"Cookie": "sessionid=" + "\x00" * 32}, {"Cookie": "sessionid=abc%00def; csrftoken=\x00"},
    {"Cookie": "csrftoken=" + "x" * 5000}, {"Cookie": "=; ;;; sessionid"},
    {"Accept-Language": "zz-" * 500}, {"Accept-Language": "*;q=1e309, en;q=-1, sl;q=x"},
    {"Accept-Language": "\x00"}, {"Accept-Language": "sl-SI-\u202e"},
    {"Host": "TESTSERVER"}, {"Host": "testserver."}, {"Host": "testserver:99999"},
    {"Host": "testserver:abc"}, {"Host": "[::1"}, {"Host": "evil.example"},
    {"X-Forwarded-For": "\x00, 999.999.1.1, [::1"}, {"X-Forwarded-Proto": "https\x00"},
    {"User-Agent": "\x00" + "Mozilla/5.0 " * 1000}, {"Accept-Encoding": "gzip;q=" + "9" * 500},
    {"If-None-Match": '"\x00"'}, {"If-Modified-Since": "Mon, 99 Foo 99999 99:99:99 GMT"},
    {"Range": "bytes=-99999999999999999999"}, {"Sec-GPC": "\x00"},
]
METHODS = ["PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "HEAD", "BREW"]
ROUTE_FILE = "route.gpx"
HOSTILE_FILES = [
    (ROUTE_FILE, b"\x00\xff" * 2000),
    ("\u202expg.gpx", b'<?xml version="1.0"?><gpx version="1.1"><trk><trkseg>'
                      b'<trkpt lat="1e309" lon="-99999999999999999999"/></trkseg></trk></gpx>'),
    ("../../etc/passwd", b'<?xml version="1.0"?><!DOCTYPE g [<!ENTITY a "aaaaaaaaaa">'
                         b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]><gpx>&b;</gpx>'),
    ("a\x00.gpx", b'<gpx version="1.1"><trk><trkseg>' + b'<trkpt lat="0" lon="0"/>' * 3
                  + b"</trkseg></trk></gpx>"),
]


class Forms(HTMLParser):
    """The forms of a page: (method, action, fields), each field (name, kind, value)."""

    def __init__(self):
        super().__init__()
        self.forms, self.links = [], []
        self._form = self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = (attrs.get("method", "get").lower(), attrs.get("action") or "", [])
            self.forms.append(self._form)
        elif tag == "a" and "?" in (attrs.get("href") or ""):
            self.links.append(attrs["href"])
        elif tag == "option" and self._select is not None and self._select[2] is None:
            self._select[2] = attrs.get("value", "")  # the first choice
        if self._form is None or not attrs.get("name"):
            return
        fields = self._form[2]
        if tag == "input":
            fields.append((attrs["name"], attrs.get("type", "text").lower(),
                           attrs.get("value") or ""))
        elif tag == "button":
            fields.append((attrs["name"], "hidden", attrs.get("value") or ""))
        elif tag == "select":
            self._select = [attrs["name"], "select", None]
            fields.append(self._select)
        elif tag == "textarea":
            self._textarea = [attrs["name"], "textarea", ""]
            fields.append(self._textarea)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select" and self._select is not None:
            self._select[2] = self._select[2] or ""  # a list with no choices
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[2] += data


class Fuzzer:
    """Sends requests, remembers each 5xx with what caused it, and finds forms and query
    names in what comes back."""

    def __init__(self):
        self.failures, self.sent = [], 0
        # (who, method, action, field names) -> (who, client, method, action, fields)
        self.forms = {}
        self.query_names = set(QUERY_NAMES)

    def send(self, who, client, method, path, *, data=None, content_type=None, **headers):
        if content_type is not None:
            response = client.generic(method, path, data or b"", content_type=content_type,
                                      headers=headers)
        elif method == "POST":
            response = client.post(path, data or {}, headers=headers)
        else:
            response = client.generic(method, path, headers=headers)
        self.sent += 1
        if response.status_code >= 500:
            cause = _cause(getattr(response, "exc_info", None))
            self.failures.append(f"{who}: {method} {path[:200]} {_short(data)} "
                                 f"{_short(headers)} {content_type or ''} -> "
                                 f"{response.status_code}\n{cause}")
        return response

    def read(self, who, client, path, response):
        if not response.get("Content-Type", "").startswith("text/html"):
            return
        page = Forms()
        page.feed(response.content.decode(errors="replace"))
        for method, action, fields in page.forms:
            action = action or path
            if not action.startswith("/"):
                continue  # another site (none today) or a fragment
            names = tuple(sorted(field[0] for field in fields))
            self.forms.setdefault((who, method, urlsplit(action).path, names),
                                  (who, client, method, action, fields))
            if method == "get":
                self.query_names.update(names)
        for link in page.links:
            self.query_names.update(name for name, _ in parse_qsl(urlsplit(link).query))


def _cause(exc_info):
    """The exception and the last frame of the project's own code that it passed."""
    if not exc_info:
        return ""
    frames = [f for f in traceback.extract_tb(exc_info[2]) if "/.venv/" not in f.filename]
    where = f"  at {frames[-1].filename}:{frames[-1].lineno} {frames[-1].line}\n" \
        if frames else ""
    return f"{where}  {exc_info[0].__name__}: {str(exc_info[1])[:300]}"


def _short(value):
    text = repr(value)
    return text if len(text) < 200 else text[:200] + "…"


def _client(user=None):
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def quiet():
    """Thousands of 4xx are logged otherwise; each 5xx is kept with its cause here."""
    logging.disable(logging.CRITICAL)
    yield
    logging.disable(logging.NOTSET)


@pytest.fixture
def cast(db, fake_strava, quiet):
    """test_html_valid's site (Bojan's club and runs in every state, Ana on them, a
    ticket), Ana's Strava with an activity on the day of the past run, and staff."""
    site = build_site()
    _, athlete = connect_strava(site["runner"], fake_strava)
    fake_strava.add_activity(athlete, start=site["past"].starts_at)
    staff = User.objects.create_superuser("staff@example.com", PASSWORD)
    users = {"visitor": None, "runner": site["runner"], "organiser": site["organiser"],
             "staff": staff}
    return site, users


def site_routes():
    return [(name, pattern) for name, pattern in named_routes()
            if not name.startswith("admin:")]


def _private_links(site):
    """Pages only an emailed link opens, as test_html_valid reaches them."""
    from django.contrib.auth.tokens import default_token_generator
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    from privacy import services as privacy_services

    runner, ticket = site["runner"], site["ticket"]
    return [
        f"/accounts/password-reset/confirm/?uid={urlsafe_base64_encode(force_bytes(runner.pk))}"
        f"&token={default_token_generator.make_token(runner)}",
        ticket.get_absolute_url(), privacy_services.verify_path(ticket),
    ]


def _pages_in_other_states(site):
    """Pages whose forms show only for a run or a person in another state than the one
    route_kwargs picks: a past run's check-in and Strava activity, a series date, every
    run, and each staff page that edits something."""
    past = site["past"].pk
    paths = [run.get_absolute_url() for run in site["runs"]]
    paths += [f"/runs/{past}/check-in/", f"/strava/runs/{past}/activity/",
              f"/runs/{site['dates'][0].pk}/edit/"]
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            meta = model._meta
            paths.append(reverse(f"admin:{meta.app_label}_{meta.model_name}_change",
                                 args=[first.pk]))
    return paths


def visit_every_page(fuzzer, site, users):
    """Fetches every named route (and the emailed links) as everyone, to find the forms
    and the query names; nothing hostile yet."""
    paths = [reverse(name, kwargs=route_kwargs(pattern, site))
             for name, pattern in site_routes()] + _private_links(site)
    for who, user in users.items():
        client = _client(user)
        for path in paths + _pages_in_other_states(site):
            # Staff's part is the staff pages; elsewhere they are a runner like Ana.
            if who != "staff" or path.startswith("/admin/"):
                fuzzer.read(who, client, path, fuzzer.send(who, client, "GET", path))
    invitation, invitee = f"/clubs/{site['club_slug']}/invitation/", _client(site["invitee"])
    fuzzer.read("invitee", invitee, invitation, fuzzer.send("invitee", invitee, "GET", invitation))
    return paths


def fuzz_path_arguments(fuzzer, site, users):
    clients = {"visitor": _client(), "organiser": _client(users["organiser"])}
    for name, pattern in site_routes():
        converters = getattr(pattern.pattern, "converters", {})
        for argument, converter in converters.items():
            kind = type(converter).__name__.removesuffix("Converter").lower()
            kwargs = route_kwargs(pattern, site)
            kwargs[argument] = SENTINELS[kind]
            template = reverse(name, kwargs=kwargs)
            for value in PATH_VALUES:
                path = template.replace(str(SENTINELS[kind]), value)
                for who, client in clients.items():
                    fuzzer.send(who, client, "GET", path)
                fuzzer.send("organiser", clients["organiser"], "POST", path)


def fuzz_query_strings(fuzzer, paths, users, rng):
    names = sorted(fuzzer.query_names)
    for who, user in users.items():
        if who == "staff":
            continue  # fuzz_admin
        client = _client(user)
        for path in paths:
            base = urlsplit(path).path
            # The organiser, whose pages do the most, gets the sharp values and a few
            # more; everyone else a few sharp ones: the sweep stays within two minutes.
            values = SHARP + rng.sample(HOSTILE, 6) if who == "organiser" \
                else rng.sample(SHARP, 4)
            for value in values:
                fuzzer.send(who, client, "GET", f"{base}?{urlencode(dict.fromkeys(names, value))}")
            mixed = {name: rng.choice(HOSTILE + ["1", "2026-12-01", "true"]) for name in names}
            fuzzer.send(who, client, "GET", f"{base}?{urlencode(mixed)}")
            _clear_limits()


def _clear_limits():
    """Attempt limits count in the cache: cleared, so a limit reached by one form does not
    hide what the next one would do with its input."""
    caches["default"].clear()


def _values(fields, value, *, hidden_too=False):
    data = {}
    for name, kind, original in fields:
        keep = kind in ("hidden", "submit") and not hidden_too or name == "csrfmiddlewaretoken"
        if kind == "file":
            data[name] = SimpleUploadedFile(ROUTE_FILE, str(value).encode("utf-8", "replace"))
        else:
            data[name] = original if keep else value
    return data


def fuzz_forms(fuzzer, site, users, rng):
    users = {**users, "invitee": site["invitee"]}
    done = set()
    while len(done) < len(fuzzer.forms):
        for key in sorted(set(fuzzer.forms) - done, key=str):
            done.add(key)
            who, client, method, action, fields = fuzzer.forms[key]
            if method != "post" or urlsplit(action).path in NOT_POSTED:
                continue
            if users[who] is not None:
                client.force_login(users[who])  # a form may have signed it out
            _fuzz_one_form(fuzzer, who, client, action, fields, rng)
            _clear_limits()


# Posting these would sign the client out mid-sweep; their forms have no input to fuzz.
NOT_POSTED = {"/accounts/logout/", "/admin/logout/"}


def _fuzz_one_form(fuzzer, who, client, action, fields, rng):
    # The sharp values and a seeded share of the rest (fewer on the staff pages, Django's
    # own forms and slow to draw): every value reaches many forms, within two minutes.
    for value in SHARP + rng.sample(HOSTILE, 4 if action.startswith("/admin/") else 14):
        response = fuzzer.send(who, client, "POST", action, data=_values(fields, value))
        fuzzer.read(who, client, action, response)
    for _ in range(3):
        mixed = {name: rng.choice(HOSTILE + [original, [original, "\x00"]])
                 for name, _kind, original in fields if name != "csrfmiddlewaretoken"}
        fuzzer.send(who, client, "POST", action, data=mixed)
        fuzzer.send(who, client, "POST", action, data=_values(fields, rng.choice(SHARP),
                                                              hidden_too=True))
    if any(kind == "file" for _name, kind, _value in fields):
        for name, content in HOSTILE_FILES:
            data = _values(fields, "1")
            for field, kind, _value in fields:
                if kind == "file":
                    data[field] = SimpleUploadedFile(name, content, "application/gpx+xml")
            fuzzer.send(who, client, "POST", action, data=data)
    for content_type, body in UNREADABLE_BODIES:
        fuzzer.send(who, client, "POST", action, data=body, content_type=content_type)


def fuzz_headers_and_methods(fuzzer, site, users):
    run = f"/runs/{site['open_run']}/"
    paths = ["/", "/runs/", run, "/clubs/", "/accounts/login/", "/accounts/profile/",
             "/privacy/requests/new/", f"{run}join/", "/admin/", "/no-such-page/"]
    for who in ("visitor", "runner"):
        client = _client(users[who])
        for path in paths:
            for headers in HEADERS:
                fuzzer.send(who, client, "GET", path, **headers)
                fuzzer.send(who, client, "POST", path, data={"email": "a@example.com"},
                            **headers)
            for method in METHODS:
                fuzzer.send(who, client, method, path)
    login = {"email": site["runner"].email, "password": PASSWORD}
    for headers in HEADERS:
        fuzzer.send("visitor", _client(), "POST", "/accounts/login/", data=login, **headers)
        _clear_limits()


def fuzz_admin(fuzzer, users, rng):
    """Staff pages: each list with every filter, sort and search set to sharp values, each
    object's pages with out-of-range ids, each action with ids that are not ids; and the
    add forms (found by visit_admin)."""
    staff = _client(users["staff"])
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        page = Forms()
        response = fuzzer.send("staff", staff, "GET", changelist)
        page.feed(response.content.decode(errors="replace"))
        names = {name for link in page.links for name, _ in parse_qsl(urlsplit(link).query)}
        names |= {"q", "o", "p", "e", "all", "_to_field", "_popup"}
        for name in sorted(names):
            for value in rng.sample(SHARP, 5) + ["x.y.z"]:
                fuzzer.send("staff", staff, "GET", f"{changelist}?{urlencode({name: value})}")
        actions = ["delete_selected", "\x00", "x" * 300]
        actions += [f[2] for form in page.forms for f in form[2] if f[0] == "action" and f[2]]
        for action in actions:
            for ids in (["99999999999999999999"], ["\x00"], ["x", "-1"], []):
                fuzzer.send("staff", staff, "POST", changelist,
                            data={"action": action, "_selected_action": ids, "index": "0"})
        for object_id in ["99999999999999999999", "%00", "-1", "x" * 300, "1%00"]:
            for view in ("change", "history", "delete"):
                fuzzer.send("staff", staff, "GET", f"{changelist}{object_id}/{view}/")
        add = f"{changelist}add/"
        response = fuzzer.send("staff", staff, "GET", add)
        fuzzer.read("staff", staff, add, response)
    for term in SHARP:
        fuzzer.send("staff", staff, "GET", "/admin/autocomplete/?" + urlencode(
            {"term": term, "app_label": term, "model_name": term, "field_name": term}))
    for content_type in ["99999999999999999999", "1"]:
        fuzzer.send("staff", staff, "GET", f"/admin/r/{content_type}/%00/")


def test_no_hostile_input_gets_a_server_error(cast):
    site, users = cast
    rng = random.Random(SEED)
    fuzzer = Fuzzer()
    paths = visit_every_page(fuzzer, site, users)
    fuzz_path_arguments(fuzzer, site, users)
    fuzz_query_strings(fuzzer, paths, users, rng)
    fuzz_admin(fuzzer, users, rng)
    fuzz_forms(fuzzer, site, users, rng)
    fuzz_headers_and_methods(fuzzer, site, users)
    assert len(fuzzer.forms) > 60 and fuzzer.sent > 7000  # the sweep really swept
    assert not fuzzer.failures, f"{len(fuzzer.failures)} of {fuzzer.sent} requests got a " \
        "5xx:\n" + "\n".join(fuzzer.failures[:40])


def test_the_fuzzer_reports_a_server_error_with_its_cause(db, quiet, settings):
    """The sweep can fail: a view that breaks on a NUL byte is caught, with its line."""
    settings.ROOT_URLCONF = __name__
    fuzzer = Fuzzer()
    fuzzer.send("visitor", _client(), "GET", "/breaks/?q=%00")
    fuzzer.send("visitor", _client(), "GET", "/breaks/?q=fine")
    (failure,) = fuzzer.failures
    assert "GET /breaks/?q=%00" in failure and "-> 500" in failure
    assert "ValueError: a NUL byte" in failure and "test_fuzz_no_5xx.py" in failure


def _breaks_on_nul(request):
    from django.http import HttpResponse

    if "\x00" in request.GET.get("q", ""):
        raise ValueError("a NUL byte")
    return HttpResponse("fine")


urlpatterns = [route("breaks/", _breaks_on_nul), *site_urls.urlpatterns]


# Through gunicorn, as production serves it: a smaller set, for what the test client cannot
# send (NUL bytes and broken lines in headers, bodies gunicorn reads first).

SERVED_PATHS = ["/", "/runs/", "/accounts/login/", "/privacy/requests/new/",
                "/accounts/profile/", "/clubs/"]
SERVED_ODD_PATHS = ["/runs/99999999999999999999/", "/runs/%00/", "/privacy/requests/%00/",
                    "/clubs/%E2%80%AE/", "/runs/?from=%00&to=9999-12-31&min_km=1e309&max_km="
                    "-99999999999999999999&pace=%ff", "/clubs/?q=" + "x" * 3000,
                    "/accounts/password-reset/confirm/?uid=%00&token=%ff", "/" + "a" * 5000]


def seed_served_site():
    """Runs inside the served site's environment (``manage.py shell``): a runner signed
    in, and a run of an organiser's."""
    import json

    from tests.conftest import make_user
    from tests.runs.conftest import make_run
    from tests.served import signed_in_session

    runner = make_user("runner@example.com", "Ana", password=None)
    run = make_run(make_user("organiser@example.com", "Bojan", password=None))
    print(json.dumps({"session": signed_in_session(runner), "run": run.pk}))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    from tests.served import seeded_site

    tmp = tmp_path_factory.mktemp("fuzz")
    seed = "from tests.test_fuzz_no_5xx import seed_served_site; seed_served_site()"
    with seeded_site(tmp, name="fuzz", workers=1, seed=seed) as (base, seeded):
        yield base, seeded, tmp / "gunicorn.log"


def raw_answer(base, method, path, headers=(), body=b""):
    """The status gunicorn answers a request written byte by byte (headers with NUL
    bytes and broken values that an HTTP library would refuse to send)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}:{port}", "Connection: close",
             *(f"{name}: {value}" for name, value in headers)]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    request = "\r\n".join(lines).encode("utf-8", "surrogateescape") + b"\r\n\r\n" + body
    with socket.create_connection((host, port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else None


def test_hostile_requests_through_gunicorn_get_no_server_error(served):
    base, seeded, log_path = served
    signed_in = f"sessionid={seeded['session']}; csrftoken={CSRF}"
    answers = []
    for path in SERVED_PATHS:
        for cookie in ("", signed_in):
            for headers in HEADERS:
                sent = [(name, value) for name, value in headers.items() if name != "Host"]
                if cookie and "Cookie" not in headers:
                    sent.append(("Cookie", cookie))
                answers.append((path, headers, raw_answer(base, "GET", path, sent)))
        for content_type, body in UNREADABLE_BODIES:
            sent = [("Content-Type", content_type), ("Cookie", signed_in),
                    ("X-CSRFToken", CSRF)]
            answers.append((path, content_type, raw_answer(base, "POST", path, sent, body)))
    for path in SERVED_ODD_PATHS + [f"/runs/{seeded['run']}/join/"]:
        for method in ("GET", "POST", "BREW"):
            answers.append((path, method, raw_answer(base, method, path, [
                ("Cookie", signed_in), ("X-CSRFToken", CSRF), ("Referer", "http://[::1")])))
    failed = [answer for answer in answers if answer[2] is None or answer[2] >= 500]
    assert not failed, failed
    assert len(answers) > 300
    # Django logs a 4xx with its traceback too; a 5xx is its "Internal Server Error", or
    # gunicorn's own error line, or a 5xx in the access log.
    log = log_path.read_text()
    assert "Internal Server Error" not in log and "Error handling request" not in log
    assert not re.search(r'^\S+ \S+ [A-Z]+ "[^"]*" 5\d\d ', log, re.M)


CSRF = "fuzzfuzzfuzzfuzzfuzzfuzzfuzzfuzz"  # 32 letters: a token Django takes as it is
