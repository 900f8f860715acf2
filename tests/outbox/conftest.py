"""The outbox's cast: a real SMTP server on a loopback port that the site sends to, and,
for tests of the real worker, ``manage.py db_worker`` as a process of its own."""

import contextlib
import signal
import subprocess
import sys

import pytest
from django.db import connections

from tests.fakes.smtp import HOST, FakeSMTP
from tests.served import ROOT


def point_at(settings, smtp):
    """The site's email settings as EMAIL_URL=smtp://127.0.0.1:<port> would set them."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = HOST, smtp.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5


@pytest.fixture
def smtp(settings):
    """A mail server that is up; ``smtp.stop()`` takes it down."""
    with FakeSMTP() as fake:
        point_at(settings, fake)
        yield fake


@pytest.fixture
def smtp_down(settings):
    """The site's mail server, down (nothing listens on its port) until ``start()``."""
    fake = FakeSMTP()
    point_at(settings, fake)
    yield fake
    fake.stop()


@contextlib.contextmanager
def db_worker(env, log_path):
    """``manage.py db_worker`` with ``env`` (as ``make run`` starts it), logging to
    ``log_path``; yields the process. Stopped with SIGTERM, as systemd stops it."""
    with open(log_path, "a") as log:
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "db_worker", "--no-reload", "--no-startup-delay",
             "--interval", "0.1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()


@contextlib.contextmanager
def database_alias(database_url, alias="served"):
    """The served site's database as ``alias`` of this process's connections, so a test
    reads its rows with ``.using(alias)``."""
    import environ

    config = environ.Env.db_url_config(database_url)
    configured = connections.configure_settings({"default": {}, alias: config})
    connections.settings[alias] = configured[alias]
    try:
        yield alias
    finally:
        for connection in connections.all(initialized_only=True):
            if connection.alias == alias:
                connection.close()
                del connections[alias]
        del connections.settings[alias]
