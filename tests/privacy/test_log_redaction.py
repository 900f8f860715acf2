"""Log lines we do not write ourselves (Django's warnings, gunicorn's error log) must not
carry a client's full address or a full URL either."""

import io
import logging
import runpy
from pathlib import Path

import pytest
from django.test import Client

from joinrun.log_redaction import RedactAddresses, redact

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "line, expected",
    [
        ("Invalid request from ip=198.51.100.7: Invalid HTTP method",
         "Invalid request from ip=198.51.100.0: Invalid HTTP method"),
        ("from ip=2001:db8:1:2::5: bad", "from ip=2001:db8:1::: bad"),
        ("Referer checking failed - https://evil.example/p/ana@example.com?id=4 does not match",
         "Referer checking failed - https://evil.example does not match"),
        ("Listening at: http://127.0.0.1:8000 (42)", "Listening at: http://127.0.0.1:8000 (42)"),
        ("[2026-11-24 21:30:02 +0000] [11837] [INFO] Booting worker",
         "[2026-11-24 21:30:02 +0000] [11837] [INFO] Booting worker"),
    ],
)
def test_redact_keeps_networks_and_origins_only(line, expected):
    assert redact(line) == expected


@pytest.fixture
def django_log_output():
    """What Django's log handler writes, read from the handler settings.LOGGING set up."""
    (handler,) = [
        h for h in logging.getLogger("django").handlers
        if any(isinstance(f, RedactAddresses) for f in h.filters)
    ]
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def test_django_csrf_warning_keeps_only_the_referrer_origin(db, django_log_output, settings):
    settings.ALLOWED_HOSTS = ["join.run"]
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/accounts/login/", {}, secure=True, HTTP_HOST="join.run",
        HTTP_REFERER="https://evil.example/profile/ana@example.com?id=42",
    )
    assert response.status_code == 403
    err = django_log_output.getvalue()
    assert "Forbidden" in err
    assert "https://evil.example" in err
    assert "ana@example.com" not in err and "/profile/" not in err


def test_gunicorn_error_log_truncates_client_addresses(capfd):
    from gunicorn.config import Config

    conf = runpy.run_path(str(ROOT / "joinrun" / "gunicorn.conf.py"))
    config = Config()
    config.set("errorlog", "-")
    logger = conf["logger_class"](config)
    logger.warning("Invalid request from ip=%s: %s", "203.0.113.77", "Invalid HTTP method")
    err = capfd.readouterr().err
    assert "ip=203.0.113.0: Invalid HTTP method" in err
    assert "203.0.113.77" not in err
