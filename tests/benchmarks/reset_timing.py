"""Does the password reset page tell, by its speed, whether an address has an account?

    make bench        (or: .venv/bin/python tests/benchmarks/reset_timing.py)

The audit's finding 8: the reset POST answered in 52 ms for an address with an account and
in 6 ms for one without, because the email was built in the request. Now both answers do
the same work (one lookup, the limits' counts, one queued task; the task worker builds and
sends the email, or drops it). This serves the site with gunicorn as production does (a
fresh SQLite database in a temporary folder, as tests/benchmarks/site_speed.py does),
posts the reset form for an address with an account and for one without, interleaved,
and prints the median and 90th percentile of each and the gap between them, and how many
tasks ten requests of each kind queued. It prints figures and always exits 0:
they depend on the machine.

Tunables (environment): BENCH_RESETS (300 of each kind), WEB_CONCURRENCY (gunicorn
workers, 2).
"""

import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # run as a file, the project root is not on the path
    sys.path.insert(0, str(ROOT))

from tests.benchmarks.site_speed import setup_django  # noqa: E402

WARM_UP = 20  # of each kind, untimed: each worker loads its templates first
KNOWN = "runner@example.com"
UNKNOWN = "nobody@example.com"
CSRF_TOKEN = "r" * 32
TASK_COUNT = 10  # untimed POSTs of each kind whose queued tasks are counted


def main():
    count = int(os.environ.get("BENCH_RESETS", "300"))
    workers = os.environ.get("WEB_CONCURRENCY", "2")
    # The limits (5 an hour per client and per address) would stop the benchmark at once.
    os.environ["PASSWORD_RESET_RATE_LIMIT"] = str(10 * (count + WARM_UP))
    with tempfile.TemporaryDirectory(prefix="joinrun-reset-bench-") as tmp:
        tmp = Path(tmp)
        env = setup_django(tmp, workers)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        seed()
        from django.db import connections

        connections.close_all()
        from tests.served import gunicorn

        with gunicorn(env, tmp / "gunicorn.log") as base:
            browser = requests.Session()
            browser.headers.update({"Cookie": f"csrftoken={CSRF_TOKEN}",
                                    "X-CSRFToken": CSRF_TOKEN})
            for _ in range(WARM_UP):
                post(browser, base, KNOWN)
                post(browser, base, UNKNOWN)
            known, unknown = [], []
            for i in range(count):
                # Interleaved, in alternating order, so a busy moment of the machine
                # weighs on both kinds alike.
                pair = [(known, KNOWN), (unknown, UNKNOWN)]
                for times, address in pair if i % 2 == 0 else reversed(pair):
                    times.append(post(browser, base, address))
            tasks = {}
            for address in (KNOWN, UNKNOWN):
                before = queued_tasks()
                for _ in range(TASK_COUNT):
                    post(browser, base, address)
                tasks[address] = queued_tasks() - before
    print_report(workers=workers, count=count, known=known, unknown=unknown, tasks=tasks)


def seed():
    from django.utils import timezone

    from accounts.models import User

    User.objects.create_user(KNOWN, "long-enough-password-42", display_name="Ana",
                             email_confirmed_at=timezone.now())


def post(browser, base, address):
    """Milliseconds to answer the reset form's POST for ``address``."""
    started = time.perf_counter()
    response = browser.post(f"{base}/accounts/password-reset/", data={"email": address},
                            allow_redirects=False, timeout=30)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 302:
        raise RuntimeError(f"reset answered {response.status_code}:\n{response.text[:2000]}")
    return elapsed


def queued_tasks():
    """Task rows in the queue (nothing runs them here: no worker)."""
    from django.db import connections
    from django_tasks_db.models import DBTaskResult

    try:
        return DBTaskResult.objects.count()
    finally:
        connections.close_all()


def p90(values):
    return statistics.quantiles(values, n=10)[-1]


def print_report(*, workers, count, known, unknown, tasks):
    import sqlite3

    import django

    print("join run: password reset timing (audit finding 8)")
    print(f"  server: gunicorn, {workers} workers (joinrun/gunicorn.conf.py), no task worker, "
          f"SQLite {sqlite3.sqlite_version} (WAL), Django {django.get_version()}, "
          f"Python {platform.python_version()}, {os.cpu_count()} CPUs")
    print(f"  {count} POSTs of /accounts/password-reset/ for each address, interleaved, "
          f"after {WARM_UP} of each untimed")
    print()
    print("  address                      median     p90")
    for label, times in [("with an account", known), ("without an account", unknown)]:
        print(f"  {label:<26} {statistics.median(times):6.1f} ms {p90(times):6.1f} ms")
    median_gap = statistics.median(known) - statistics.median(unknown)
    p90_gap = p90(known) - p90(unknown)
    print(f"  {'gap (with - without)':<26} {median_gap:+6.1f} ms {p90_gap:+6.1f} ms")
    print(f"  tasks queued by {TASK_COUNT} POSTs: {tasks[KNOWN]} with an account, "
          f"{tasks[UNKNOWN]} without")


if __name__ == "__main__":
    main()
