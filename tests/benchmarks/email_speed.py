"""How fast join run queues and sends email, as production does it.

    make bench        (or: .venv/bin/python tests/benchmarks/email_speed.py)

Seeds a fresh SQLite database in a temporary folder with a run of 1,000 runners, serves the
site with gunicorn (as tests/benchmarks/site_speed.py does) and times the organiser's
"Cancel run" POST, which queues one email per runner in the outbox and sends none. Then
one ``manage.py db_worker`` hands them to a local SMTP server (aiosmtpd,
tests/fakes/smtp.py) and the emails handed over per second are printed. It prints figures
and always exits 0: they depend on the machine.

Tunables (environment): BENCH_RUNNERS (1000), WEB_CONCURRENCY (gunicorn workers, 2).
"""

import os
import platform
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a file, the project root is not on the path
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.site_speed import create_runs, session_cookie, setup_django  # noqa: E402

CANCEL_TARGET = 1.0  # seconds, "the same order as any other page"
WARM_UP_RUNS = 4


def main():
    runners = int(os.environ.get("BENCH_RUNNERS", "1000"))
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    from tests.fakes.smtp import FakeSMTP

    with tempfile.TemporaryDirectory(prefix="joinrun-email-bench-") as tmp, \
            FakeSMTP() as smtp:
        tmp = Path(tmp)
        env = setup_django(tmp, workers)
        env["EMAIL_URL"] = smtp.url
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        organiser, big_run, small_runs = seed(runners)
        cookie = session_cookie(organiser)
        from django.db import connections

        connections.close_all()

        from tests.outbox.conftest import db_worker
        from tests.served import gunicorn

        with gunicorn(env, tmp / "gunicorn.log") as base:
            organiser_browser = browser(cookie)
            # Each gunicorn worker loads its templates on its first cancel, not in the
            # timed one.
            for run in small_runs:
                cancel(organiser_browser, base, run)
            answer = cancel(organiser_browser, base, big_run)
            queued = queued_count()
            expected = len(small_runs) + runners
            with db_worker(env, tmp / "worker.log"):
                smtp.wait_for(1, timeout=60)
                first = time.monotonic()
                handed = smtp.wait_for(expected, timeout=max(120, runners / 5))
                last = time.monotonic()
        errors = [line for line in (tmp / "worker.log").read_text().splitlines()
                  if "Traceback" in line or "Error" in line]

    print_report(workers=workers, runners=runners, answer=answer, queued=queued,
                 handed=handed, expected=expected, seconds=last - first, errors=errors)


def seed(runners):
    """The organiser, a run with ``runners`` runners going (confirmed addresses, so each
    is emailed) and a few small runs to warm the workers up."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from accounts.models import User
    from runs.models import Participation

    unusable, now = make_password(None), timezone.now()
    organiser = User.objects.create(email="organiser@example.com", display_name="Organiser",
                                    password=unusable, email_confirmed_at=now)
    people = User.objects.bulk_create(
        User(email=f"runner{i:04d}@example.com", display_name=f"Runner {i:04d}",
             password=unusable, email_confirmed_at=now)
        for i in range(1, runners + 1)
    )
    big_run, *small_runs = create_runs(organiser, range(1 + WARM_UP_RUNS))
    Participation.objects.bulk_create(
        [Participation(run=big_run, runner=person, status="going", joined_at=now)
         for person in people]
        + [Participation(run=run, runner=people[0], status="going", joined_at=now)
           for run in small_runs]
    )
    return organiser, big_run, small_runs


def browser(cookie):
    client = requests.Session()
    token = "b" * 32
    client.headers.update({"Cookie": f"{cookie}; csrftoken={token}", "X-CSRFToken": token})
    return client


def cancel(client, base, run):
    """Seconds to answer the organiser's cancel POST for ``run``."""
    started = time.perf_counter()
    # confirm=yes: the organiser's "Yes, cancel" on the confirmation step.
    response = client.post(f"{base}/runs/{run.pk}/cancel/",
                           data={"reason": "Storm", "confirm": "yes"},
                           allow_redirects=False, timeout=120)
    elapsed = time.perf_counter() - started
    if response.status_code != 302:
        raise RuntimeError(f"cancel answered {response.status_code}:\n{response.text[:2000]}")
    return elapsed


def queued_count():
    from django.db import connections

    from joinrun.outbox.models import Email

    try:
        return Email.objects.filter(kind="run_cancelled").count()
    finally:
        connections.close_all()


def print_report(*, workers, runners, answer, queued, handed, expected, seconds, errors):
    import django

    print("join run: email speed")
    print(f"  server: gunicorn, {workers} workers (joinrun/gunicorn.conf.py), one "
          f"`manage.py db_worker`, SQLite {sqlite3.sqlite_version} (WAL), "
          f"Django {django.get_version()}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; mail server: aiosmtpd on a loopback port")
    print()
    verdict = "PASS" if answer < CANCEL_TARGET else "MISS"
    print(f"  cancel a run with {runners:,} runners (POST, through gunicorn): "
          f"{answer * 1000:,.0f} ms   target < {CANCEL_TARGET:g} s {verdict}")
    print(f"    emails queued by it and the {WARM_UP_RUNS} warm-up cancels: {queued:,}")
    rate = (handed - 1) / seconds if seconds > 0 and handed > 1 else float("nan")
    print(f"  one worker hands emails to the SMTP server: {rate:,.1f} emails/s "
          f"({handed:,} of {expected:,} in {seconds:.1f} s after the first)")
    if errors:
        print()
        print("  the worker logged errors:")
        for line in errors[:20]:
            print("   ", line)


if __name__ == "__main__":
    main()
