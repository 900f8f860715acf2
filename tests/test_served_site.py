"""The site as production serves it: gunicorn with several workers, whitenoise, a SQLite
file and the file cache shared by the workers, reached over real HTTP."""

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.conftest import PASSWORD, production_env

ROOT = Path(__file__).resolve().parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    port = free_port()
    env = production_env(
        SECRET_KEY="served-site-test-" + "s3cret" * 10,
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        CACHE_URL=f"filecache://{tmp / 'cache'}",
        EMAIL_URL="consolemail://",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="3",
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
    )
    manage = [sys.executable, "manage.py"]
    for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"],
                    ["createsuperuser", "--noinput", "--email", "staff@example.com"]):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    log_path = tmp / "gunicorn.log"
    with open(log_path, "w+") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "joinrun/gunicorn.conf.py"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            wait_until_healthy(base, server, log_path)
            yield base, log_path
        finally:
            server.terminate()
            server.wait(timeout=10)


def wait_until_healthy(base, server, log_path):
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
        time.sleep(0.2)


def failed_login(base):
    # A new session and connection each time, so the workers take turns answering.
    with requests.Session() as browser:
        page = browser.get(f"{base}/accounts/login/", timeout=5)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        return browser.post(
            f"{base}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "email": "staff@example.com", "password": "x"},
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=5,
        )


def test_failed_logins_are_counted_across_workers(site):
    base, _ = site
    statuses = [failed_login(base).status_code for _ in range(11)]
    assert statuses == [400] * 10 + [429]


def test_static_files_are_served_compressed_and_cached(site):
    base, _ = site
    home = requests.get(base, timeout=5)
    assert home.status_code == 200
    assert "Set-Cookie" not in home.headers
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]+\.css)"', home.text)[1]
    css = requests.get(base + stylesheet, headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert css.status_code == 200
    assert css.headers["Content-Encoding"] == "gzip"
    assert "immutable" in css.headers["Cache-Control"]


def test_access_log_has_truncated_addresses_and_no_gunicorn_lines(site):
    base, log_path = site
    requests.get(f"{base}/privacy/?email=someone@example.com", timeout=5)
    time.sleep(0.3)
    lines = [line for line in log_path.read_text().splitlines() if '"/privacy/"' in line]
    assert lines, "no access line for /privacy/"
    assert " 127.0.0.0 GET " in lines[-1]
    log = log_path.read_text()
    assert "127.0.0.1 " not in log.replace("127.0.0.1:", "")  # gunicorn's own access log
    assert "someone@example.com" not in log
