"""Every page of the site is valid HTML by the Nu HTML checker (the W3C's validator).

The test client fetches every page, signed out and signed in (a runner, an organiser of a
club run, a co-organiser, an invited organiser), in the states people meet: a run open,
full, waitlisted, cancelled, past, a date of a series; forms sent back with their errors;
the error pages. Each page is written to a folder and the checker (node_modules/vnu-jar,
installed by `make test`; it needs Java) reads them all in one run, since a JVM is slow to
start. The test also walks the URLconf: a named route that answers GET must be fetched
here or be in EXCLUDED with the reason; and every page template must have been rendered.
So a new page cannot be forgotten.
"""

import json
import re
import shutil
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from django.contrib.auth.tokens import default_token_generator
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import URLResolver, get_resolver, resolve, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import mailbox_proof, second_factor, tokens
from accounts import unsubscribe as account_unsubscribe
from accounts.models import User
from clubs import services as club_services
from clubs import unsubscribe as club_unsubscribe
from privacy import services as privacy_services
from privacy.models import DataRequest, Kind
from runs import routes, series
from runs.models import Participation, Route
from tests.clubs.conftest import make_club
from tests.conftest import PASSWORD, code_for, connect_strava, make_user
from tests.runs.conftest import make_run

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# Named routes that answer GET but are not checked here, and why.
EXCLUDED = {
    "healthz": "plain text for load balancers",
    "runs:calendar": "an iCalendar file",
    "runs:club_calendar": "an iCalendar feed",
    "runs:my_calendar": "an iCalendar feed",
    "runs:runners_csv": "a CSV download",
    "runs:route_gpx": "a GPX download",
    "accounts:export": "a JSON download",
    "favicon": "an icon",
    "apple_touch_icon": "an icon",
    "apple_touch_icon_precomposed": "an icon",
    "robots_txt": "plain text for crawlers",
    "manifest": "the web app manifest (JSON)",
    "gpc": "JSON for browsers (Global Privacy Control)",
    "security_txt": "plain text (RFC 9116)",
    "change_password": "a redirect to My account",
    "strava:connect": "a redirect to Strava",
    "strava:webhook": "Strava's API, answering JSON",
    "accounts:passkey_messages": "JavaScript (the passkey buttons' messages)",
}
EXCLUDED_NAMESPACES = {"admin": "Django's own admin pages, for staff"}

# A short route by the river, with heights, for the run page's map and profile.
ROUTE = "".join([
    '<?xml version="1.0"?><gpx version="1.1" creator="test" ',
    'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>',
    *(f'<trkpt lat="{46.05 + i / 1000}" lon="{14.50 + i / 700}"><ele>{295 + i * i}</ele></trkpt>'
      for i in range(8)),
    "</trkseg></trk></gpx>"])

# A value for each kind of URL argument, from the site built below (see route_kwargs).
ARGUMENT_SOURCES = {
    "run_id": "open_run", "participation_id": "place", "series_id": "series_id",
    "slug": "club_slug", "invitation_id": "invitation_id", "user_id": "co_organiser_id",
    "reference": "reference", "passkey_id": "passkey",
}


class Pages:
    """Fetches pages, keeps each HTML answer in ``folder`` under a readable name, and
    remembers which named routes were fetched with GET."""

    def __init__(self, folder):
        self.folder = folder
        self.labels = {}
        self.fetched = set()
        self.templates = set()

    def check(self, client, path, label, *, status=200, data=None, post=False, **extra):
        method = "POST" if post else "GET"
        response = (client.post if post else client.get)(path, data or {}, **extra)
        where = f"{label} ({method} {path})"
        assert response.status_code == status, f"{where} answered {response.status_code}"
        assert response["Content-Type"].startswith("text/html"), where
        self.templates.update(template.name for template in response.templates)
        if not post and status != 404:
            self.fetched.add(resolve(urlsplit(path).path).view_name)
        self.keep(response.content, where)
        return response

    def keep(self, content, where):
        name = f"{len(self.labels):03d}-{slugify(where)[:60]}.html"
        (self.folder / name).write_bytes(content)
        self.labels[name] = where


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def gpx(text):
    return SimpleUploadedFile("route.gpx", text.encode(), "application/gpx+xml")


def build_site():
    """Organiser Bojan's club and runs in every state, runner Ana on them, a ticket."""
    now = timezone.now()
    organiser = make_user("organiser@example.com", "Bojan")
    runner = make_user("runner@example.com", "Ana")
    others = [make_user(f"other{i}@example.com", f"Runner {i}") for i in range(3)]
    co_organiser = make_user("co@example.com", "Dora")
    invitee = make_user("invitee@example.com", "Ema")
    club = make_club(organiser, description="We run by the river.",
                     co_organisers=[co_organiser])
    club_services.follow(club, runner)
    invitation = club_services.invite(club, by=organiser, email=invitee.email)

    # Times with seconds and microseconds, as the admin or a script may save them.
    odd = timedelta(seconds=17, microseconds=123456)
    open_run = make_run(organiser, club=club, capacity=10, description="Easy pace.\n\nBring water.",
                        latitude="46.0569", longitude="14.5058")
    open_run.starts_at += odd
    open_run.save()
    place = open_run.join(runner)
    Route.attach(routes.read(gpx(ROUTE)), [open_run])
    open_run.join(others[0])
    full = make_run(organiser, title="Full tempo", capacity=1, days=4)
    full.join(others[1])
    full.join(runner)  # waitlisted
    full.join(others[2])
    cancelled = make_run(organiser, title="Stormy loop", days=5)
    cancelled.join(runner)
    cancelled.cancel(reason="Storm warning")
    past = make_run(organiser, club=club, title="Yesterday's loop", days=-1)
    for person in (runner, others[0]):
        Participation.objects.create(run=past, runner=person, status="going",
                                     joined_at=now - timedelta(days=3))
    Participation.objects.filter(run=past, runner=runner).update(attended_at=now)
    series_id = uuid.uuid4()
    first = make_run(organiser, title="Weekly hills", days=2, series=series_id, capacity=1)
    dates = [first] + [make_run(organiser, title="Weekly hills", series=series_id, capacity=1,
                                starts_at=series.weeks_later(first.starts_at, week))
                       for week in (1, 2)]
    dates[0].join(runner)
    dates[0].join(others[1])  # waiting for Ana's place
    old_date = make_run(organiser, title="Weekly hills", series=series_id, days=-6)

    passkey = WebAuthnCredential.objects.create(
        user=runner, name="Ana's phone", confirmed=True, credential_id=b"ana",
        public_key=b"public")

    ticket = privacy_services.file_request(DataRequest(
        kind=Kind.ACCESS, contact_email="someone@example.com", details="All of it."))
    return {
        "organiser": organiser, "runner": runner, "co_organiser": co_organiser,
        "invitee": invitee, "club": club, "club_slug": club.slug,
        "invitation_id": invitation.pk, "co_organiser_id": co_organiser.pk,
        "open_run": open_run.pk, "place": place.pk, "full": full, "cancelled": cancelled,
        "past": past, "series_id": series_id, "dates": dates, "old_date": old_date,
        "ticket": ticket, "reference": ticket.reference, "passkey": passkey.pk,
        "runs": [open_run, full, cancelled, past, *dates, old_date],
    }


def signed_out_pages(pages, site):
    visitor = Client()
    ticket = site["ticket"]
    for path in ["/", "/runs/", "/runs/?past=1", "/clubs/", "/clubs/?q=river", "/privacy/",
                 site["club"].get_absolute_url(), f"/runs/series/{site['series_id']}/",
                 *[run.get_absolute_url() for run in site["runs"]]]:
        pages.check(visitor, path, "signed out")
    # Bad filters: the whole list with the messages, only valid values echoed back.
    pages.check(visitor, "/runs/?from=not-a-date&to=2026-13-45&min_km=abc&max_km=-3&pace=fast",
                "bad filters", status=400)
    pages.check(visitor, "/runs/?from=2026-12-10&to=2026-12-01&min_km=20&max_km=5",
                "filters that contradict each other", status=400)
    pages.check(visitor, "/clubs/?q=" + "x" * 200, "a search too long", status=400)

    for path in ["/accounts/signup/", "/accounts/login/", "/accounts/password-reset/",
                 "/accounts/signup/sent/", "/accounts/password-reset/sent/",
                 "/accounts/password-reset/complete/", "/privacy/requests/new/"]:
        pages.check(visitor, path, "form")
    pages.check(visitor, "/accounts/signup/", "sign-up with errors", post=True, status=400,
                data={"email": "not-an-email", "display_name": "", "password": "short"})
    pages.check(visitor, "/accounts/login/", "login with errors", post=True, status=400,
                data={"email": "runner@example.com", "password": "wrong"})
    pages.check(visitor, "/accounts/password-reset/", "reset with errors", post=True,
                status=400, data={"email": "nope"})
    pages.check(visitor, "/privacy/requests/new/", "data request with errors", post=True,
                status=400, data={"kind": "nonsense", "contact_email": "nope"})
    pages.check(visitor, "/accounts/logout/", "logged out", post=True)

    reset = "/accounts/password-reset/confirm/"
    pages.check(visitor, f"{reset}?uid=x&token=y", "a broken reset link", status=400)
    runner = site["runner"]
    link = (f"{reset}?uid={urlsafe_base64_encode(force_bytes(runner.pk))}"
            f"&token={default_token_generator.make_token(runner)}")
    pages.check(visitor, link, "reset form")
    pages.check(visitor, link, "reset form with errors", post=True, status=400,
                data={"new_password1": "a", "new_password2": "b"})

    confirm = "/accounts/confirm/"
    pages.check(visitor, f"{confirm}?token=broken", "a broken confirmation link", status=400)
    token = tokens.make_confirm_token(site["runner"], "ana.new@example.com")
    pages.check(visitor, f"{confirm}?token={token}", "a confirmation link, signed out")
    for path, token in [
        ("/accounts/unsubscribe/", account_unsubscribe.make_token(runner, "reminders")),
        ("/clubs/unsubscribe/", club_unsubscribe.make_token(runner, site["club"])),
    ]:
        pages.check(visitor, f"{path}?token={token}", "unsubscribe")
        pages.check(visitor, f"{path}?token={token}", "unsubscribed", post=True)
        pages.check(visitor, f"{path}?token=broken", "a broken unsubscribe link", status=400)

    status_url = ticket.get_absolute_url()
    pages.check(visitor, status_url, "a data request's status")
    pages.check(visitor, privacy_services.verify_path(ticket), "verify a data request")
    pages.check(visitor, f"/privacy/requests/{ticket.reference}/verify/?token=x",
                "a broken verification link", status=400)
    export = reverse("privacy:download_export", args=[ticket.reference])
    pages.check(visitor, f"{export}?key={ticket.link_key}", "an export that is gone", status=410)
    pages.check(visitor, "/strava/callback/?state=x", "Strava's answer, state lost", status=400)


def runner_pages(pages, site, fake_strava, monkeypatch):
    runner = site["runner"]
    signed_in(runner)  # another browser, so "Where you're signed in" has one to sign out
    ana = signed_in(runner)
    for path in ["/", "/runs/", "/runs/?past=1", "/runs/mine/", "/clubs/", "/privacy/",
                 "/accounts/profile/", "/accounts/delete/", "/runs/new/", "/clubs/new/",
                 "/privacy/requests/new/", site["club"].get_absolute_url(),
                 f"/runs/series/{site['series_id']}/",
                 *[run.get_absolute_url() for run in site["runs"]]]:
        pages.check(ana, path, "runner")
    for which, data in [
        ("display_name", {"display_name": ""}),
        ("email", {"email": "nope", "current_password": "wrong"}),
        ("password", {"old_password": "wrong", "new_password1": "a", "new_password2": "b"}),
        ("emails", {"language": "xx"}),
    ]:
        pages.check(ana, "/accounts/profile/", f"profile {which} with errors", post=True,
                    status=400, data={"form": which, **data})
    pages.check(ana, "/accounts/delete/", "delete with errors", post=True, status=400,
                data={"confirmation": "wrong"})
    pages.check(ana, "/runs/new/", "run form with errors", post=True, status=400, data={
        "title": "", "starts_at": "tomorrow", "meeting_point": "", "distance_km": "far",
        "pace_min": "fast", "pace_max": "", "capacity": "-1", "latitude": "north",
        "longitude": "", "repeat_weeks": "99", "club": "nope",
        "route": gpx("<gpx>cut short")})
    pages.check(ana, "/clubs/new/", "club form with errors", post=True, status=400,
                data={"name": "", "place": "", "description": "x" * 5000})
    pages.check(ana, "/privacy/requests/new/", "signed-in data request with errors",
                post=True, status=400, data={"kind": ""})

    # Leaving a place others wait for asks first; so does leaving the series.
    dates = site["dates"]
    pages.check(ana, f"/runs/{dates[0].pk}/leave/", "leave: someone waits", post=True)
    pages.check(ana, f"/runs/series/{site['series_id']}/leave/", "leave series: asks",
                post=True)
    pages.check(ana, f"/runs/{site['cancelled'].pk}/join/", "join a cancelled run",
                post=True, status=409)
    pages.check(ana, f"/runs/{site['past'].pk}/i-was-there/", "i was there: no answer",
                post=True, status=400)

    # Strava: choosing an activity, the linked activity on the run page and My runs.
    _, athlete = connect_strava(runner, fake_strava)
    activity = fake_strava.add_activity(athlete, start=site["past"].starts_at)
    choose = f"/strava/runs/{site['past'].pk}/activity/"
    pages.check(ana, site["past"].get_absolute_url(), "past run, Strava connected")
    pages.check(ana, choose, "choose an activity")
    pages.check(ana, choose, "choose nothing", post=True, status=400, data={"activity": "x"})
    assert ana.post(choose, {"activity": activity}).status_code == 302
    for path in [site["past"].get_absolute_url(), "/runs/mine/", "/accounts/profile/"]:
        pages.check(ana, path, "Strava activity linked")
    unconfirmed = make_user("new@example.com", "Nova", email_confirmed_at=None)
    pages.check(signed_in(unconfirmed), "/strava/connect/", "Strava needs a confirmed email",
                status=403)
    strava_only = make_user(None, "Stana", password=None)
    connect_strava(strava_only, fake_strava, firstname="Stana")
    pages.check(signed_in(strava_only), "/strava/disconnect/", "Strava is the only way in",
                post=True, status=409)
    visitor = Client()
    to_strava = visitor.get("/strava/connect/")
    state = parse_qs(urlsplit(to_strava["Location"]).query)["state"][0]
    pages.check(visitor, f"/strava/callback/?state={state}&code=c0de&scope=read",
                "Strava answered without activities")
    from strava.views import EXCHANGES_PER_CLIENT

    for _refused in range(EXCHANGES_PER_CLIENT.limit):
        EXCHANGES_PER_CLIENT.record("127.0.0.1")
    to_strava = visitor.get("/strava/connect/")
    state = parse_qs(urlsplit(to_strava["Location"]).query)["state"][0]
    pages.check(visitor, f"/strava/callback/?state={state}&code=c0de&scope=read,activity:read",
                "too many Strava answers from one network", status=429)
    leaving = make_user("leaving@example.com", "Lea")
    pages.check(signed_in(leaving), "/accounts/delete/", "account deleted", post=True,
                data={"confirmation": PASSWORD})

    # Too many attempts: the 429 pages.
    later = timezone.now() + timedelta(minutes=10)
    monkeypatch.setattr("accounts.throttle.login_blocked_until", lambda *a: later)
    pages.check(Client(), "/accounts/login/", "login paused", post=True, status=429,
                data={"email": "runner@example.com", "password": "x"})
    window = type("Window", (), {"resets_at": later.timestamp()})()
    monkeypatch.setattr("privacy.views._too_many_requests", lambda *a: window)
    pages.check(Client(), "/privacy/requests/new/", "data requests paused", post=True,
                status=429, data={"kind": "access", "contact_email": "a@example.com"})


def organiser_pages(pages, site, monkeypatch):
    bojan = signed_in(site["organiser"])
    run_url = f"/runs/{site['open_run']}/"
    slug, dates = site["club_slug"], site["dates"]
    for path in ["/runs/mine/", run_url, f"{run_url}edit/", f"{run_url}runners/",
                 f"{run_url}message/", f"{run_url}runners/{site['place']}/remove/",
                 f"/runs/{dates[0].pk}/edit/", f"/runs/{site['past'].pk}/check-in/",
                 f"/runs/series/{site['series_id']}/", f"/runs/new/?from={site['open_run']}",
                 f"/clubs/{slug}/", f"/clubs/{slug}/edit/", f"/clubs/{slug}/close/",
                 *[run.get_absolute_url() for run in site["runs"]]]:
        pages.check(bojan, path, "organiser")
    pages.check(bojan, f"{run_url}edit/", "run edit with errors", post=True, status=400,
                data={"title": "", "starts_at": "2026-02-30T25:00", "distance_km": "-1"})
    pages.check(bojan, f"/runs/{dates[0].pk}/edit/", "series date edit with errors",
                post=True, status=400, data={"title": "", "scope": "nonsense"})
    pages.check(bojan, f"{run_url}cancel/", "cancel: asks first", post=True,
                data={"reason": "Ice"})
    pages.check(bojan, f"/runs/{dates[0].pk}/cancel/", "cancel a series date: asks",
                post=True, data={"scope": "later"})
    pages.check(bojan, f"{run_url}cancel/", "cancel with errors", post=True, status=400,
                data={"reason": "x" * 500})
    pages.check(bojan, f"{run_url}message/", "message with errors", post=True, status=400,
                data={"audience": "everyone", "text": ""})
    pages.check(bojan, f"{run_url}runners/{site['place']}/remove/", "remove with errors",
                post=True, status=400, data={"reason": "x" * 500})
    pages.check(bojan, f"/runs/{site['cancelled'].pk}/edit/", "edit a cancelled run",
                status=409)
    pages.check(bojan, f"/runs/{site['open_run']}/check-in/", "check-in before the start",
                status=409)
    pages.check(bojan, f"/runs/series/{site['series_id']}/add-weeks/", "add weeks")
    pages.check(bojan, f"/runs/series/{site['series_id']}/add-weeks/", "add weeks with errors",
                post=True, status=400, data={"weeks": "lots"})
    pages.check(bojan, f"/clubs/{slug}/edit/", "club edit with errors", post=True, status=400,
                data={"name": "", "place": ""})
    pages.check(bojan, f"/clubs/{slug}/invite/", "invite with errors", post=True, status=400,
                data={"email": "nope"})
    later = timezone.now() + timedelta(minutes=10)
    window = type("Window", (), {"resets_at": later.timestamp()})()
    monkeypatch.setattr("clubs.views.invite_limit.exceeded", lambda *a: window)
    pages.check(bojan, f"/clubs/{slug}/invite/", "invitations paused", post=True, status=429,
                data={"email": "someone@example.com"})
    monkeypatch.setattr("runs.message_views.message_limit.exceeded", lambda *a: window)
    pages.check(bojan, f"{run_url}message/", "messages paused", post=True, status=429,
                data={"audience": "going", "text": "See you at six."})

    dora = signed_in(site["co_organiser"])  # organises the club, not the run itself
    for path in [run_url, f"{run_url}edit/", f"/clubs/{slug}/", "/runs/mine/"]:
        pages.check(dora, path, "co-organiser")
    invitee = signed_in(site["invitee"])
    pages.check(invitee, f"/clubs/{slug}/invitation/", "an invitation")
    pages.check(signed_in(site["runner"]), f"/clubs/{slug}/invitation/", "no invitation",
                status=400)


def error_pages(pages, site):
    runner = signed_in(site["runner"])
    pages.check(Client(), "/no-such-page/", "404", status=404)
    pages.check(runner, f"/runs/{site['open_run']}/edit/", "403: not the organiser", status=403)
    pages.check(runner, "/accounts/profile/", "400: no such form", post=True, status=400,
                data={"form": "nonsense"})
    strict = Client(enforce_csrf_checks=True)
    pages.check(strict, "/accounts/login/", "403: no CSRF token", post=True, status=403,
                data={"email": "a@example.com", "password": PASSWORD})
    request = RequestFactory().get("/")
    response = get_resolver().resolve_error_handler(500)(request)
    assert response.status_code == 500
    pages.keep(response.content, "500 (the handler's template)")


def page_templates():
    """The templates of whole pages; the admin's are Django's pages for staff, the 500
    page is rendered outside the test client (error_pages)."""
    folder = ROOT / "templates"
    names = {str(path.relative_to(folder)) for path in folder.rglob("*.html")}
    return {name for name in names
            if not name.startswith(("admin/", "emails/", "includes/")) and "/includes/" not in name
            and name not in ("base.html", "500.html")}


def named_routes(resolver=None, namespace=""):
    """(view name, pattern) of every named route, namespaces included."""
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from named_routes(pattern, inner)
        elif pattern.name:
            yield f"{namespace}{pattern.name}", pattern


def route_kwargs(pattern, site):
    names = getattr(pattern.pattern, "converters", None) or pattern.pattern.regex.groupindex
    missing = [name for name in names if name not in ARGUMENT_SOURCES]
    assert not missing, f"no value for {missing} of {pattern}: add it to ARGUMENT_SOURCES"
    return {name: site[ARGUMENT_SOURCES[name]] for name in names}


def unchecked_get_routes(pages, site):
    """Named routes that answer GET (asked as the organiser: POST-only ones answer 405)
    and that this test neither fetched nor excluded."""
    client = signed_in(site["organiser"])
    unchecked = []
    for name, pattern in named_routes():
        if name.split(":")[0] in EXCLUDED_NAMESPACES or name in EXCLUDED:
            continue
        if name in pages.fetched:
            continue
        url = reverse(name, kwargs=route_kwargs(pattern, site))
        if client.get(url).status_code != 405:
            unchecked.append(f"{name} ({url})")
    return unchecked


def nu_errors(folder, labels):
    java = shutil.which("java")
    assert java, "the Nu HTML checker needs Java: apt-get install default-jre-headless"
    assert VNU.exists(), f"{VNU} is missing: run `make test` (or `npm ci`) once"
    files = sorted(str(folder / name) for name in labels)
    done = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--errors-only", *files],
                          capture_output=True, text=True, timeout=600, check=False)
    report = json.loads(done.stderr or done.stdout)  # the checker reports on stderr
    errors = []
    for message in report["messages"]:
        page = labels.get(Path(urlsplit(message.get("url", "")).path).name, message.get("url"))
        extract = " ".join(message.get("extract", "").split())
        errors.append(f"{page}, line {message.get('lastLine', '?')}: {message['message']}"
                      f"\n      {extract}")
    return errors


def two_step_pages(pages):
    """Two-step sign-in: setting it up, the recovery codes, the code after the password."""
    tina = make_user("tina@example.com", "Tina")
    tina_client = signed_in(tina)
    setup = "/accounts/two-factor/setup/"
    pages.check(tina_client, setup, "two-step setup")
    pages.check(tina_client, setup, "two-step setup with errors", post=True, status=400,
                data={"code": ""})
    app = TOTPDevice.objects.get(user=tina)
    pages.check(tina_client, setup, "recovery codes", post=True, data={"code": code_for(app)})
    pages.check(tina_client, "/accounts/profile/", "two-step on")
    for path in ["/accounts/two-factor/recovery-codes/", "/accounts/two-factor/off/"]:
        pages.check(tina_client, path, "two-step")
        pages.check(tina_client, path, "two-step with errors", post=True, status=400)
    # Another browser, between the password and the code.
    between = signed_in(tina)
    session = between.session
    session[second_factor.PENDING] = True
    session.save()
    pages.check(between, "/accounts/two-factor/", "the second step")
    pages.check(between, "/accounts/two-factor/", "the second step with errors", post=True,
                status=400, data={"code": ""})
    # Staff whose factor is a passkey: the setup page offers one; the second step asks for it.
    staff = User.objects.create_superuser("sara@example.com", PASSWORD, display_name="Sara")
    sara = signed_in(staff)
    TOTPDevice.objects.filter(user=staff).delete()  # force_login's stand-in app: none here
    setup = "/accounts/two-factor/setup/"
    pages.check(sara, setup, "staff setup, the emailed code first")
    pages.check(sara, setup, "staff setup, a wrong emailed code", post=True, status=400,
                data={"mailbox_code": "1"})
    session = sara.session
    session[mailbox_proof.PROVEN_KEY] = staff.pk
    session.save()
    pages.check(sara, setup, "staff setup, app or passkey")
    WebAuthnCredential.objects.create(user=staff, name="Sara's key", confirmed=True,
                                      credential_id=b"sara", public_key=b"public")
    waiting = signed_in(staff)
    TOTPDevice.objects.filter(user=staff).delete()
    session = waiting.session
    session[second_factor.PENDING] = True
    session.pop("otp_device_id", None)
    session.save()
    pages.check(waiting, "/accounts/two-factor/", "the second step with a passkey")


def test_every_page_is_valid_html(db, tmp_path, fake_strava, monkeypatch):
    site = build_site()
    pages = Pages(tmp_path)
    signed_out_pages(pages, site)
    runner_pages(pages, site, fake_strava, monkeypatch)
    organiser_pages(pages, site, monkeypatch)
    two_step_pages(pages)
    error_pages(pages, site)

    unchecked = unchecked_get_routes(pages, site)
    assert not unchecked, "pages nobody checked (fetch them here, or add to EXCLUDED):\n" + (
        "\n".join(unchecked))
    unrendered = sorted(page_templates() - pages.templates)
    assert not unrendered, f"templates no page here rendered: {unrendered}"

    errors = nu_errors(tmp_path, pages.labels)
    assert not errors, f"{len(errors)} errors in {len(pages.labels)} pages:\n" + "\n".join(errors)


def test_the_checker_finds_an_invalid_page(tmp_path):
    """The checker is really asked: a page with a known fault fails."""
    (tmp_path / "bad.html").write_text(
        '<!doctype html><html lang="en"><title>x</title>'
        '<time datetime="2026-12-02T18:30:00.123456+01:00">2 December</time>')
    errors = nu_errors(tmp_path, {"bad.html": "a bad page"})
    assert len(errors) == 1
    assert errors[0].startswith("a bad page, line 1: Bad value “2026-12-02T18:30:00.123456")



def value_of(page, name):
    """The value an input named ``name`` shows ("" for none)."""
    tag = re.search(rf'<input[^>]*\bname="{name}"[^>]*>', page)
    assert tag, f"no input named {name}"
    value = re.search(r'\bvalue="([^"]*)"', tag[0])
    return value[1] if value else ""


def test_a_bad_value_is_not_written_back_into_a_typed_input_and_is_named(client, organiser):
    """Only values of an input's type come back after an error; the message stays."""
    response = client.get("/runs/?from=not-a-date&to=2026-12-24&min_km=abc&max_km=12")
    page = response.content.decode()
    assert response.status_code == 400
    shown = {name: value_of(page, name) for name in ("from", "to", "min_km", "max_km")}
    assert shown == {"from": "", "to": "2026-12-24", "min_km": "", "max_km": "12"}
    assert "Enter a valid date." in page and "Enter a number." in page

    client.force_login(organiser)
    response = client.post("/runs/new/", {"title": "Hills", "starts_at": "tomorrow",
                                          "distance_km": "far", "capacity": "12"})
    page = response.content.decode()
    assert response.status_code == 400
    shown = {name: value_of(page, name) for name in ("title", "starts_at", "distance_km",
                                                     "capacity")}
    assert shown == {"title": "Hills", "starts_at": "", "distance_km": "", "capacity": "12"}
    assert "Enter a valid date/time." in page and "Enter a number." in page
