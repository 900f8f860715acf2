"""Audit findings 3, 4 and 5 over real HTTP, as gunicorn serves the site on the suite's
database. 4: a form POST in a charset Django will not read (``charset=utf-16``) got
gunicorn's bare 500, and gunicorn's error line logged the full URL with its query string (a
live password-reset token). It gets our 400 page now, and no line gunicorn writes carries a
query string, its "Invalid request" lines included. 3 and 5: a broken Referer, a NUL byte
in a session cookie or a data-request reference are answered, never with a 5xx."""

import logging
import re
import socket
import sys
import time
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from joinrun.log_redaction import RedactAddresses, redact
from tests.served import fresh_database, gunicorn, prepared_site

SECRET = "Zq7-live-reset-token-4711"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    with fresh_database(tmp, settings.DATABASES) as database_url:
        env = prepared_site(tmp, database_url, name="hostile-requests", workers=1)
        log_path = tmp / "gunicorn.log"
        with gunicorn(env, log_path) as base:
            yield base, log_path


def form_post(base, path, content_type, body="email=a%40example.com"):
    with requests.Session() as browser:
        page = browser.get(f"{base}/accounts/password-reset/", timeout=5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        return browser.post(
            f"{base}{path}",
            data=f"csrfmiddlewaretoken={token}&{body}".encode(),
            headers={"Content-Type": content_type, "Referer": f"{base}/accounts/password-reset/"},
            timeout=5,
        )


def log_after(log_path, start):
    """What gunicorn wrote from ``start`` (a length of the log) on."""
    time.sleep(0.3)  # the worker writes its line after answering
    return log_path.read_text()[start:]


@pytest.mark.parametrize("content_type", [
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=latin-1",
    "multipart/form-data; boundary=",
])
def test_a_form_in_an_unreadable_charset_gets_our_400_page(site, content_type):
    base, log_path = site
    start = len(log_path.read_text())
    response = form_post(base, f"/accounts/password-reset/?token={SECRET}", content_type)
    assert response.status_code == 400
    assert "We could not understand that request" in response.text
    assert "Content-Security-Policy" in response.headers
    log = log_after(log_path, start)
    assert "Error handling request" not in log
    assert SECRET not in log


def test_a_readable_form_still_works(site):
    base, _ = site
    response = form_post(base, "/accounts/password-reset/",
                         "application/x-www-form-urlencoded; charset=utf-8")
    assert response.status_code in (200, 302)


def raw_request(base, request_line):
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=5) as connection:
        connection.sendall(request_line + b"\r\nHost: x\r\n\r\n")
        return connection.recv(1024)


@pytest.mark.parametrize("request_line", [
    # gunicorn quotes the whole line when it cannot split it in three.
    f"GET /accounts/reset/x/?token={SECRET}".encode(),
    f"GET  /calendar/mine.ics?{SECRET} HTTP/1.1".encode(),
    f"GET /?token={SECRET}\x00 HTTP/1.1".encode(),
    f"GET http://[x/?token={SECRET} HTTP/1.1".encode(),
])
def test_gunicorns_invalid_request_lines_carry_no_query_string(site, request_line):
    base, log_path = site
    start = len(log_path.read_text())
    answer = raw_request(base, request_line)
    assert answer.startswith(b"HTTP/1.1 400")
    log = log_after(log_path, start)
    assert "Invalid request" in log
    assert SECRET not in log


@pytest.mark.parametrize("line", [
    f"Error handling request POST /accounts/password-reset/?token={SECRET}",
    f"Invalid request from ip=127.0.0.1: Invalid HTTP request line: 'GET /a?b={SECRET} x'",
    f"Invalid request line: 'GET ?{SECRET} HTTP/1.1'",
])
def test_redact_drops_query_strings(line):
    assert SECRET not in redact(line)
    assert "?" not in redact(line)


def test_a_logged_exception_carries_no_query_string():
    try:
        raise ValueError(f"cannot open /accounts/reset/x/?token={SECRET}")
    except ValueError:
        record = logging.LogRecord("gunicorn.error", logging.ERROR, __file__, 1,
                                   "Error handling request", (), sys.exc_info())
    RedactAddresses().filter(record)
    written = logging.Formatter().format(record)
    assert "ValueError: cannot open /accounts/reset/x/" in written
    assert SECRET not in written


def test_redact_keeps_question_marks_in_prose():
    assert redact("Is the database running? It said no.") == (
        "Is the database running? It said no.")


@pytest.mark.parametrize("path, headers", [
    ("/", {"Referer": "http://[::1"}),
    ("/runs/", {"Cookie": "sessionid=abc%00defghijklmnopqrstuvwxyz012345"}),
    ("/", {"Cookie": "sessionid=" + "\x00" * 32}),
    ("/privacy/requests/%00/", {}),
    ("/privacy/requests/JR-2026-0001%00/verify/", {}),
])
def test_broken_headers_and_nul_bytes_get_no_server_error(site, path, headers):
    base, log_path = site
    start = len(log_path.read_text())
    response = requests.get(base + path, headers=headers, timeout=5)
    assert response.status_code < 500
    assert "Traceback" not in log_after(log_path, start)
