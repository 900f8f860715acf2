"""How fast join run serves its pages, as production serves them.

    make bench        (or: .venv/bin/python tests/benchmarks/site_speed.py)

Seeds a fresh SQLite database in a temporary folder with 1,000 upcoming runs (half of them a
club's) and one run with 200 runners, serves it with gunicorn (joinrun/gunicorn.conf.py,
joinrun.settings from the environment) and loads each page from a second process: wrk when
/usr/bin/wrk exists, else a small Python load generator. Beside it, with the same gunicorn
settings and worker count, it serves the one-file Django app of tests/benchmarks/trivial_app.py
(one view that returns "ok", no middleware): the physical limit for any page of ours. Each page
is loaded side by side with it, in turns of a second or two, so a machine that gets busier or
quieter meanwhile moves both figures alike (tests/benchmarks/load.py). Prints requests/s and
latency per page, each page's rate as a share of /healthz and of that app, the CPU time the
workers spent per request (which other programs on a busy machine do not change), the SQL
queries each page makes at two sizes, and what a first visit to /runs/ transfers. The club's
calendar feed is loaded twice: as a new subscriber gets it (200, all 500 events written) and as
a polling calendar app does (If-None-Match: 304). It prints figures and marks the targets PASS
or MISS; it always exits 0, because figures depend on the machine and belong in a review, not
in CI.

Tunables (environment): BENCH_SECONDS (10 per page), BENCH_CONNECTIONS (8),
WEB_CONCURRENCY (gunicorn workers, 2).
"""

import gzip
import http.client
import logging
import os
import platform
import re
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a file, the project root is not on the path
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.load import combined, serve, side_by_side  # noqa: E402 (the path)

RUNS = 1000
BIG_RUN_RUNNERS = 200
BIG_RUN_CAPACITY = 150  # so the big run has a waitlist as well as a list of names
SMALL_RUNS = 10
CLUB_NAME = "Tivoli Trotters"  # every other run is the club's: 5 at the small size, then 500
KB = 1000

# Shares of the one-file app's rate (issue 13): a signed-out visitor's pages cost little more
# than Django itself; a signed-in runner's run list at most four times as much.
SIGNED_OUT_TARGET = 0.5
SIGNED_IN_LIST_TARGET = 0.25
FIRST_VISIT_TARGET_KB = 25
TRIVIAL_APP = "tests.benchmarks.trivial_app:application"


FEED_FULL = "club feed, 500 events (200)"
FEED_304 = "club feed, If-None-Match (304)"


def main():
    seconds = float(os.environ.get("BENCH_SECONDS", "10"))
    connections = int(os.environ.get("BENCH_CONNECTIONS", "8"))
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    with tempfile.TemporaryDirectory(prefix="joinrun-bench-") as tmp:
        tmp = Path(tmp)
        env = setup_django(tmp, workers)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # STATIC_ROOT is fixed in settings (the project's staticfiles/, as for `make run`).
        call_command("collectstatic", interactive=False, verbosity=0)
        big_run, viewer = seed_small()
        paths = counted_paths(big_run)
        queries_small = count_queries(paths, viewer)
        seed_the_rest(big_run)
        queries_seeded = count_queries(paths, viewer)
        cold_feed = time_writing_feed(big_run.club)
        signed_in = {"Cookie": session_cookie(viewer)}
        from django.db import connections as databases

        databases.close_all()

        from tests.served import free_port

        run_page, club_page, feed = paths[2], paths[3], paths[4]
        # Signed-out visitors get pages from the page cache (joinrun/page_cache.py); the
        # signed-in rows show a page rendered for every request.
        pages = [("/healthz", "/healthz", None), ("/", "/", None), ("/runs/", "/runs/", None),
                 (run_page, f"{run_page} (run page, {BIG_RUN_RUNNERS} runners)", None),
                 ("/runs/", "/runs/ signed in", signed_in),
                 (run_page, f"{run_page} signed in, going", signed_in),
                 (club_page, f"{club_page} (club page)", None)]
        trivial_env = {**env, "GUNICORN_BIND": f"127.0.0.1:{free_port()}"}
        with (serve(env, tmp / "gunicorn.log") as (base, site),
              serve(trivial_env, tmp / "trivial.log", app=TRIVIAL_APP, check="/") as app):
            first_visit = fetch_first_visit(base, "/runs/")
            # The ETag a subscribed calendar app holds after its first fetch.
            not_modified = {"If-None-Match": fetch(base, feed)[1]["ETag"]}
            pages += [(feed, FEED_FULL, None), (feed, FEED_304, not_modified),
                      (club_page, f"{club_page} signed in", signed_in)]
            load, limit = {}, {}
            for path, label, headers in pages:
                load[label], limit[label] = side_by_side((base + path, site), app,
                                                         seconds, connections, headers)
            errors = gunicorn_errors(tmp / "gunicorn.log") + gunicorn_errors(tmp / "trivial.log")

    print_report(
        workers=workers, seconds=seconds, connections=connections, pages=pages, load=load,
        limit=limit, queries=(queries_small, queries_seeded), first_visit=first_visit,
        errors=errors, cold_feed=cold_feed,
    )


def time_writing_feed(club):
    """(events, ms): writing the club's feed from scratch, as for its first reader after a
    change (later readers get the copy kept under its fingerprint), in this process."""
    from django.utils import timezone

    from runs import calendar

    runs = list(club.runs.filter(starts_at__gte=timezone.now() - calendar.FEED_PAST)
                .order_by("starts_at", "pk"))
    started = time.perf_counter()
    calendar.feed_ics(runs, name=club.name)
    return len(runs), (time.perf_counter() - started) * 1000


def setup_django(tmp, workers):
    """joinrun.settings from the environment as production reads it, in this process and
    for gunicorn; returns gunicorn's environment."""
    from tests.served import free_port

    for name in ("DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="joinrun.settings",
        ENV_FILE="/nonexistent",
        SECRET_KEY="bench-" + secrets.token_urlsafe(40),
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        CACHE_URL=f"filecache://{tmp / 'cache'}",
        EMAIL_URL="consolemail://",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        WEB_CONCURRENCY=workers,
    )
    import django

    django.setup()
    # The access log is for gunicorn's workers; here it would only interleave the report.
    logging.getLogger("joinrun.access").setLevel(logging.WARNING)
    return dict(os.environ)


# Seeding


def seed_small():
    """The small size: SMALL_RUNS upcoming runs; the first is the "big run", with one
    runner, who is also the signed-in viewer. Returns (big run, viewer)."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from clubs.models import Club, Organiser
    from runs.models import Participation

    unusable = make_password(None)  # nobody logs in with a password, so none is hashed
    organiser = User.objects.create(email="organiser@example.com", display_name="Organiser",
                                    password=unusable)
    club = Club.objects.create(name=CLUB_NAME, slug="tivoli-trotters", place="Ljubljana")
    Organiser.objects.create(club=club, user=organiser)
    # Runners whose addresses are confirmed, as a runner's is once they have signed up
    # (an unconfirmed one also gets the "Please confirm your email" notice on every page).
    confirmed = timezone.now()
    User.objects.bulk_create(
        User(email=f"runner{i:03d}@example.com", display_name=f"Runner {i:03d}",
             password=unusable, email_confirmed_at=confirmed)
        for i in range(1, BIG_RUN_RUNNERS + 1)
    )
    runs = create_runs(organiser, range(SMALL_RUNS))
    big_run = runs[0]
    big_run.capacity = BIG_RUN_CAPACITY
    big_run.save(update_fields=["capacity"])
    viewer = User.objects.get(email="runner001@example.com")
    Participation.objects.create(run=big_run, runner=viewer, status="going",
                                 joined_at=big_run.created_at)
    return big_run, viewer


def seed_the_rest(big_run):
    """Grows the small size to RUNS runs, the big run to BIG_RUN_RUNNERS runners, and gives
    the other runs a few runners each, so every count on a list page has rows to count."""
    from accounts.models import User
    from runs.models import Participation, Run

    organiser = User.objects.get(email="organiser@example.com")
    create_runs(organiser, range(SMALL_RUNS, RUNS))
    runners = list(User.objects.filter(email__startswith="runner").order_by("email"))
    joined = big_run.created_at
    rows = [
        Participation(run=big_run, runner=runner,
                      status="going" if place <= BIG_RUN_CAPACITY else "waitlisted",
                      joined_at=joined + timedelta(seconds=place))
        for place, runner in enumerate(runners[1:], start=2)
    ]
    for number, run in enumerate(Run.objects.exclude(pk=big_run.pk)):
        for offset in range(number % 6):
            rows.append(Participation(run=run, runner=runners[(number + offset) % len(runners)],
                                      status="going", joined_at=joined))
    Participation.objects.bulk_create(rows, ignore_conflicts=True)


def create_runs(organiser, numbers):
    from django.utils import timezone

    from clubs.models import Club
    from runs.models import Run

    club = Club.objects.get(name=CLUB_NAME)
    start = (timezone.now() + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    return Run.objects.bulk_create(
        Run(organiser=organiser, club=club if number % 2 == 0 else None,
            title=f"Evening run {number + 1}",
            description="Easy pace, coffee afterwards.",
            starts_at=start + timedelta(hours=number), meeting_point="Cobblers' Bridge",
            distance_km=Decimal(5 + number % 16), pace_min=300 + number % 4 * 15,
            pace_max=360 + number % 4 * 15, capacity=None if number % 3 == 0 else 20)
        for number in numbers
    )


# SQL queries, in this process


def session_cookie(user):
    """A Cookie header for a signed-in session of ``user``."""
    from django.conf import settings

    from tests.served import signed_in_session

    return f"{settings.SESSION_COOKIE_NAME}={signed_in_session(user)}"


def counted_paths(big_run):
    """The pages whose queries are counted: home, the run list, the big run's page, the
    club's page and its feed."""
    club = big_run.club
    return ["/", "/runs/", f"/runs/{big_run.pk}/", f"/clubs/{club.slug}/",
            f"/clubs/{club.slug}/calendar.ics"]


def count_queries(paths, viewer):
    """{(viewer kind, path): queries} for each page, anonymous and signed in, as rendered
    (the page cache is emptied first: a stored page makes none), and for the feed's 304
    under (viewer kind, path + " 304")."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from tests.conftest import forget_kept

    visitors = {"anonymous": Client(SERVER_NAME="127.0.0.1")}
    visitors["signed in"] = Client(SERVER_NAME="127.0.0.1")
    visitors["signed in"].force_login(viewer)
    counts = {}
    for kind, client in visitors.items():
        for path in paths:
            forget_kept()
            # A feed stores its new fingerprint on the first read after a change; the
            # count is of the reads that follow, as a calendar app makes them.
            seen = client.get(path)
            forget_kept()
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code} to {kind}")
            counts[kind, path] = len(captured.captured_queries)
            if "ETag" in seen:
                with CaptureQueriesContext(connection) as captured:
                    client.get(path, HTTP_IF_NONE_MATCH=seen["ETag"])
                counts[kind, f"{path} 304"] = len(captured.captured_queries)
    return counts


# Bytes of a first visit


class LinkedFiles(HTMLParser):
    """What a browser fetches after the HTML on a first view: stylesheets, the icon,
    the manifest, scripts, images. Not the apple-touch-icon: only iOS fetches it, when a
    page is added to the home screen. Not /favicon.ico either, which the page does not
    link: a browser that uses the SVG icon does not ask for it."""

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href") and attrs.get("rel") in (
            "stylesheet", "icon", "manifest", "preload", "modulepreload",
        ):
            self.urls.append(attrs["href"])
        elif tag in ("script", "img") and attrs.get("src"):
            self.urls.append(attrs["src"])


def fetch(base, path):
    """GET with Accept-Encoding: gzip, as a browser would: (status, headers, body as sent)."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = connection.getresponse()
        body = response.read()  # http.client leaves the body compressed
        head = len(f"HTTP/1.1 {response.status} {response.reason}\r\n\r\n") + sum(
            len(f"{name}: {value}\r\n") for name, value in response.getheaders()
        )
        return response.status, dict(response.getheaders()), head, body
    finally:
        connection.close()


def fetch_first_visit(base, path):
    """[(path, status, content encoding, header bytes, body bytes)] for the page and each
    file it links, then for each file a stylesheet links with url()."""
    status, headers, head, body = fetch(base, path)
    files = [(path, status, headers.get("Content-Encoding", "none"), head, len(body))]
    html = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
    parser = LinkedFiles()
    parser.feed(html.decode())
    pending, seen = [urljoin(path, url) for url in parser.urls], {path}
    while pending:
        url = pending.pop(0)
        if url in seen or urlsplit(url).netloc:  # a file from elsewhere would be a bug
            continue
        seen.add(url)
        status, headers, head, body = fetch(base, url)
        files.append((url, status, headers.get("Content-Encoding", "none"), head, len(body)))
        if headers.get("Content-Type", "").startswith("text/css"):
            css = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
            for found in re.findall(r"url\(\s*['\"]?([^'\")]+)", css.decode()):
                if not found.startswith("data:"):
                    pending.append(urljoin(url, found))
    return files


def gunicorn_errors(log_path):
    """Lines of gunicorn's log that are neither access lines nor its start and stop."""
    quiet = re.compile(r"^\d{4}-\d\d-\d\dT\S+Z \S+ GET |Starting gunicorn|Listening at|"
                       r"Using worker|Booting worker|Handling signal|Worker exiting|"
                       r"Shutting down")
    return [line for line in Path(log_path).read_text().splitlines()
            if line.strip() and not quiet.search(line)]


# Report


def cpu_ms(figures):
    return "n/a" if figures["cpu_ms"] is None else f"{figures['cpu_ms']:.2f}"


def verdict(ok):
    return "PASS" if ok else "MISS"


def print_report(*, workers, seconds, connections, pages, load, limit, queries, first_visit,
                 errors, cold_feed):
    import django

    tool = next(iter(load.values()))["tool"]
    print("join run: site speed")
    print(f"  server: gunicorn, {workers} workers (joinrun/gunicorn.conf.py), joinrun.settings, "
          f"SQLite {sqlite3.sqlite_version} (WAL), Django {django.get_version()}, "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"  data: {RUNS:,} upcoming runs; the run page's run has {BIG_RUN_RUNNERS} runners "
          f"({BIG_RUN_CAPACITY} going, {BIG_RUN_RUNNERS - BIG_RUN_CAPACITY} waiting)")
    print(f"  load: {tool}, {connections} connections, {seconds:g} s per page and as long "
          "for the one-file app in turns beside it, from a second process; signed out "
          "unless the row says signed in")
    print()
    # Each page's share of the one-file app loaded in turns with it; of /healthz, through
    # the app's figures beside each.
    share = {label: load[label]["rate"] / limit[label]["rate"] for label in load}
    # Signed out: home, the run list and the big run's page; signed in: the run list.
    targets = {label: SIGNED_OUT_TARGET for _, label, _ in pages[1:4]}
    targets[pages[4][1]] = SIGNED_IN_LIST_TARGET
    print(f"  {'page':<36} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7} "
          f"{'× /healthz':>10} {'× app':>6} {'CPU ms':>7}   target (× app)")
    apps = [figures["rate"] for figures in limit.values()]
    app = combined(list(limit.values()))
    failed = app["failed"] + app["socket_errors"]
    print(f"  {'one-file app (beside each page)':<36} {app['rate']:>8.1f} {app['p50']:>8.1f} "
          f"{app['p99']:>8.1f} {failed:>7} {1 / share['/healthz']:>10.2f} {1:>6.2f} "
          f"{cpu_ms(app):>7}   {min(apps):.0f} to {max(apps):.0f} req/s")
    for _, label, _ in pages:
        figures = load[label]
        target = targets.get(label)
        goal = f"≥ {target:.2f}  {verdict(share[label] >= target)}" if target else ""
        failed = figures["failed"] + figures["socket_errors"]
        print(f"  {label:<36} {figures['rate']:>8.1f} {figures['p50']:>8.1f} "
              f"{figures['p99']:>8.1f} {failed:>7} {share[label] / share['/healthz']:>10.2f} "
              f"{share[label]:>6.2f} {cpu_ms(figures):>7}   {goal}")
    events, milliseconds = cold_feed
    print("  CPU ms: what the workers spent per request (from /proc; n/a elsewhere)")
    print(f"  The club feed's {events} events are written once per change, then kept: writing "
          f"them takes {milliseconds:.0f} ms (in one process).")
    print()

    small, seeded = queries
    print(f"  SQL queries per page ({SMALL_RUNS} runs, 1 runner → {RUNS:,} runs, "
          f"{BIG_RUN_RUNNERS} runners; the club's {SMALL_RUNS // 2} → {RUNS // 2} runs)")
    print(f"  {'page':<36} {'anonymous':>10} {'runner of the big run':>24}")
    counted = [(path, label) for path, label, _ in pages[1:4] + pages[6:8]]
    counted.append((pages[8][0] + " 304", FEED_304))
    for path, label in counted:
        cells = [f"{small[kind, path]} → {seeded[kind, path]}"
                 for kind in ("anonymous", "signed in")]
        print(f"  {label:<36} {cells[0]:>10} {cells[1]:>24}")
    print(f"  {'target: the same count at both sizes':<71}{verdict(small == seeded)}")
    print()

    print("  First visit to /runs/ (Accept-Encoding: gzip; 1 KB = 1,000 bytes)")
    print(f"  {'file':<40} {'status':>6} {'encoding':>9} {'body KB':>8} {'with headers':>13}")
    for path, status, encoding, head, body in first_visit:
        print(f"  {path:<40} {status:>6} {encoding:>9} {body / KB:>8.1f} "
              f"{(head + body) / KB:>13.1f}")
    body_total = sum(body for *_, body in first_visit)
    total = sum(head + body for *_, head, body in first_visit)
    print(f"  {'total':<40} {'':>6} {'':>9} {body_total / KB:>8.1f} {total / KB:>13.1f}"
          f"   target < {FIRST_VISIT_TARGET_KB} KB with headers "
          f"{verdict(total / KB < FIRST_VISIT_TARGET_KB)}")
    if errors:
        print()
        print("  gunicorn logged errors:")
        for line in errors[:20]:
            print("   ", line)


if __name__ == "__main__":
    main()
