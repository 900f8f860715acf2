"""The site as production serves it, for tests and benchmarks: ``manage.py`` and gunicorn
(joinrun/gunicorn.conf.py) in subprocesses with joinrun.settings read from the environment,
reached over real HTTP, on a database of their own."""

import contextlib
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env, *args):
    """Runs ``manage.py`` with ``env``; returns its output, or raises with its errors."""
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


@contextlib.contextmanager
def fresh_database(tmp_path, databases):
    """A new, empty database on the backend of ``databases["default"]`` (the suite's
    settings), as a DATABASE_URL; dropped afterwards.

    SQLite: a file in ``tmp_path``. PostgreSQL: a database named after the suite's test
    database plus a random suffix, so parallel runs and the suite's own database never meet.
    """
    settings = databases["default"]
    if settings["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{tmp_path / 'served.sqlite3'}"
        return
    import psycopg
    from psycopg import sql

    # NAME is already the test database's once pytest-django has set that up.
    test_name = settings.get("TEST", {}).get("NAME") or settings["NAME"]
    if not test_name.startswith("test_"):
        test_name = f"test_{test_name}"
    name = f"{test_name}_served_{secrets.token_hex(4)}"
    server = {"host": settings["HOST"] or "127.0.0.1", "port": settings["PORT"] or 5432,
              "user": settings["USER"], "password": settings["PASSWORD"]}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        # template0, which nobody connects to: copying template1 fails while another
        # session (a parallel test run) is connected to it.
        admin.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0")
                      .format(sql.Identifier(name)))
    try:
        credentials = quote(server["user"], safe="")
        if server["password"]:
            credentials += ":" + quote(server["password"], safe="")
        yield f"postgres://{credentials}@{server['host']}:{server['port']}/{name}"
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            # FORCE: a worker that was killed may not have said goodbye to the server.
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
                          .format(sql.Identifier(name)))


@contextlib.contextmanager
def gunicorn(env, log_path):
    """Serves the site with ``env`` (GUNICORN_BIND must be 127.0.0.1:<port>); yields its base
    URL once it answers, with gunicorn's output in ``log_path``."""
    base = "http://" + env["GUNICORN_BIND"]
    with open(log_path, "w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "joinrun/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(base, server, log_path)
            yield base
        finally:
            stop(server)


def stop(server):
    """Ends a server process: politely, then for sure."""
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def wait_until_healthy(base, server, log_path, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                return
        # Not listening yet, or a worker still loading Django on a busy machine: its first
        # answer can take seconds.
        except (requests.ConnectionError, requests.Timeout):
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            raise RuntimeError(f"gunicorn did not start:\n{Path(log_path).read_text()}")
        time.sleep(0.1)


def signed_in_session(user):
    """The key of a new signed-in session for ``user``, made server-side as login() would,
    so no password (and no time hashing one) is needed."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    session = import_module(settings.SESSION_ENGINE).SessionStore()
    session[SESSION_KEY] = user._meta.pk.value_to_string(user)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_staff:  # and the second step the staff pages need, with an app of theirs
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        app = TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
        session[DEVICE_ID_SESSION_KEY] = app.persistent_id
    session.set_expiry(3600)
    session.create()
    return session.session_key


def prepared_site(tmp, database_url, *, name, workers, **overrides):
    """The environment of a site served as production serves it, on ``database_url`` with a
    file cache in ``tmp`` shared by its ``workers``: migrated, with its static files
    collected. ``overrides`` are more environment variables."""
    from tests.conftest import production_env

    env = production_env(**{
        "SECRET_KEY": f"{name}-" + secrets.token_urlsafe(40),
        "DATABASE_URL": database_url,
        "CACHE_URL": f"filecache://{tmp / 'cache'}",
        "DATA_EXPORT_DIR": str(tmp / "exports"),
        "EMAIL_URL": "consolemail://",
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
        "WEB_CONCURRENCY": str(workers),
        **overrides,
    })
    manage(env, "migrate", "-v0")
    manage(env, "collectstatic", "--noinput", "-v0")
    return env


@contextlib.contextmanager
def seeded_site(tmp, *, name, workers, seed):
    """A site served by gunicorn on a fresh database of the suite's backend, seeded by
    ``seed`` (Python run in its ``manage.py shell`` that prints JSON); yields (base URL,
    the seed's data)."""
    import json

    from django.conf import settings

    with fresh_database(tmp, settings.DATABASES) as database_url:
        env = prepared_site(tmp, database_url, name=name, workers=workers)
        seeded = json.loads(manage(env, "shell", "--no-imports", "-c", seed))
        with gunicorn(env, tmp / "gunicorn.log") as base:
            yield base, seeded


def warm_up(url, workers):
    """Every worker has loaded its templates and opened its database connection, so a
    race that follows is about what it tests, not about which worker started first."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=workers * 2) as pool:
        list(pool.map(lambda _: requests.get(url, timeout=10), range(workers * 4)))
