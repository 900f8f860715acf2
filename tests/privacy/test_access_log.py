import logging

import pytest

from joinrun.client_address import truncate_ip
from privacy.middleware import referrer_origin


@pytest.fixture
def access_lines(caplog):
    caplog.set_level(logging.INFO, logger="joinrun.access")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "joinrun.access"]


def test_one_line_per_request_without_query_ip_or_person(runner_client, runner, access_lines):
    runner_client.get(
        "/privacy/?email=runner@example.com",
        REMOTE_ADDR="198.51.100.77",
        HTTP_USER_AGENT="TestBrowser/1.0",
        HTTP_REFERER="https://search.example/q?name=ana+runner",
    )
    (line,) = access_lines()
    assert '"/privacy/"' in line
    assert " GET " in line and " 200 " in line and "ms " in line
    assert "198.51.100.0" in line
    assert "198.51.100.77" not in line
    assert '"TestBrowser/1.0"' in line
    assert line.endswith("https://search.example")
    for personal in ("runner@example.com", "Ana", "email=", "name=", f" {runner.pk} "):
        assert personal not in line


def test_failed_requests_are_logged_with_their_status(client, db, access_lines):
    client.get("/no-such-page/", REMOTE_ADDR="2001:db8:1234:5678::1")
    (line,) = access_lines()
    assert " 404 " in line
    assert "2001:db8:1234::" in line
    assert "5678" not in line


@pytest.mark.parametrize(
    "address, network",
    [
        ("203.0.113.200", "203.0.113.0"),
        ("2001:db8:abcd:12:1:2:3:4", "2001:db8:abcd::"),
        ("::ffff:192.0.2.33", "192.0.2.0"),
        ("", "-"),
        ("not-an-ip", "-"),
    ],
)
def test_addresses_are_truncated(address, network):
    assert truncate_ip(address) == network


@pytest.mark.parametrize(
    "referrer, origin",
    [
        ("https://example.org/private/path?q=1", "https://example.org"),
        ("", "-"),
        ("garbage", "-"),
    ],
)
def test_referrer_keeps_only_its_origin(referrer, origin):
    assert referrer_origin(referrer) == origin


def test_behind_the_proxy_the_last_forwarded_address_is_used(client, db, settings, access_lines):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.1"]
    client.get("/healthz", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.50")
    client.get("/healthz", REMOTE_ADDR="198.51.100.9", HTTP_X_FORWARDED_FOR="1.2.3.4")
    through_proxy, direct = access_lines()
    assert " 203.0.113.0 " in through_proxy
    assert " 198.51.100.0 " in direct  # a forwarded header not from the proxy is ignored
    assert "1.2.3." not in through_proxy + direct


def test_control_characters_cannot_forge_log_lines(client, db, access_lines):
    client.get("/x%0A2025-01-01T00:00:00Z 1.2.3.0 GET /admin/ 200", HTTP_USER_AGENT="a\nb\"c")
    (line,) = access_lines()
    assert "\n" not in line
    assert "\\n" in line
    assert '"a\\nb\\"c"' in line
