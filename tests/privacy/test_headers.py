import json
import re
import subprocess
import sys

import pytest

from tests.conftest import production_env

PAGES = ["/", "/runs/", "/privacy/", "/accounts/login/", "/healthz", "/no-such-page/"]


@pytest.mark.parametrize("path", PAGES)
def test_every_response_carries_the_security_headers(client, db, path):
    response = client.get(path)
    csp = response["Content-Security-Policy"]
    for directive in ("default-src 'self'", "frame-ancestors 'none'",
                      "form-action 'self'", "base-uri 'none'"):
        assert directive in csp
    assert "unsafe-inline" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    # "Sort by distance from me" asks on our own pages only (the location stays there).
    assert "geolocation=(self)" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_pages_have_no_inline_script_or_style_and_nothing_from_elsewhere(client, db):
    for path in PAGES[:4]:
        page = client.get(path).content.decode()
        assert "<style" not in page and "style=" not in page, path
        for script in re.findall(r"<script[^>]*>", page):
            if script.startswith('<script id="') and 'type="application/json"' in script:
                continue  # data for our scripts ({{ …|json_script }}), never run
            assert 'src="/' in script, (path, script)  # our own file, never inline
        # Everything the page loads (src=, and <link href=>) is ours. Plain links that a
        # reader may follow (Strava's privacy policy) load nothing.
        loaded = re.findall(r'src="([^"]+)"', page) + re.findall(
            r'<link[^>]*href="([^"]+)"', page)
        assert loaded, path
        for url in loaded:
            assert not url.startswith(("http:", "https:", "//")), (path, url)


def production_settings(**extra):
    env = production_env(SECRET_KEY="x" * 60 + "production-like-key", DEBUG="false", **extra)
    code = (
        "import django, json; from django.conf import settings as s; django.setup();"
        "print(json.dumps({k: getattr(s, k, None) for k in ["
        "'SECURE_HSTS_SECONDS','SESSION_COOKIE_SECURE','CSRF_COOKIE_SECURE',"
        "'SECURE_SSL_REDIRECT','SECURE_PROXY_SSL_HEADER']}))"
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_https_turns_on_hsts_secure_cookies_and_redirect():
    values = production_settings(HTTPS="true")
    assert values["SECURE_HSTS_SECONDS"] >= 31536000
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_without_https_cookies_work_over_plain_http_locally():
    values = production_settings(HTTPS="false")
    assert values["SESSION_COOKIE_SECURE"] is False
    assert not values["SECURE_HSTS_SECONDS"]


def test_production_settings_send_hsts_and_redirect_http():
    code = (
        "import django; django.setup(); from django.test import Client; c = Client();"
        "https = c.get('/healthz', HTTP_X_FORWARDED_PROTO='https');"
        "plain = c.get('/privacy/'); probe = c.get('/healthz');"
        "print(https.status_code, https['Strict-Transport-Security']);"
        "print(plain.status_code, plain['Location']); print(probe.status_code)"
    )
    env = production_env(
        SECRET_KEY="x" * 60, HTTPS="true", ALLOWED_HOSTS="testserver",
        DATABASE_URL="sqlite:///:memory:",
    )
    result = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    https_line, plain_line, probe_line = result.stdout.splitlines()[-3:]
    assert https_line == "200 max-age=31536000; includeSubDomains; preload"
    assert plain_line == "301 https://testserver/privacy/"
    assert probe_line == "200"  # load balancers may poll /healthz over plain HTTP
