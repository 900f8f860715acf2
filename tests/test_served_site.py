"""The site as production serves it: gunicorn with several workers, whitenoise, a SQLite
file and the file cache shared by the workers, reached over real HTTP."""

import re
import time

import pytest
import requests

from tests.conftest import PASSWORD
from tests.served import gunicorn, manage, prepared_site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("site")
    env = prepared_site(tmp, f"sqlite:///{tmp / 'db.sqlite3'}", name="served-site",
                        workers=3, DJANGO_SUPERUSER_PASSWORD=PASSWORD)
    manage(env, "createsuperuser", "--noinput", "--email", "staff@example.com")
    log_path = tmp / "gunicorn.log"
    with gunicorn(env, log_path) as base:
        yield base, log_path


def failed_login(base):
    # A new session and connection each time, so the workers take turns answering.
    with requests.Session() as browser:
        page = browser.get(f"{base}/accounts/login/", timeout=30)  # against a hang only
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
        return browser.post(
            f"{base}/accounts/login/",
            data={"csrfmiddlewaretoken": token, "email": "staff@example.com", "password": "x"},
            headers={"Referer": f"{base}/accounts/login/"},
            timeout=30,
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
