import time

import pytest

from accounts import throttle
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
HOME_NETWORK = "198.51.100.7"
OTHER_NETWORK = "203.0.113.9"


def attempt(client, password, email="runner@example.com", ip=HOME_NETWORK):
    return client.post(LOGIN, {"email": email, "password": password}, REMOTE_ADDR=ip)


def fail(client, times, **kwargs):
    for _ in range(times):
        assert attempt(client, "wrong-password", **kwargs).status_code == 400


def test_ten_failures_stop_the_client_with_a_time_to_retry(client, runner):
    fail(client, 10)
    response = attempt(client, "wrong-password")
    assert response.status_code == 429
    assert "Try again after" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 15 * 60


def test_the_right_password_waits_too_from_the_blocked_client(client, runner):
    fail(client, 10)
    assert attempt(client, PASSWORD).status_code == 429


def test_the_right_password_from_another_network_still_works(client, runner):
    fail(client, 10)
    assert attempt(client, PASSWORD, ip=OTHER_NETWORK).status_code == 302


def test_a_blocked_client_is_blocked_for_every_email(client, runner, outsider):
    fail(client, 10)
    assert attempt(client, PASSWORD, email="outsider@example.com").status_code == 429


def test_an_email_guessed_from_many_networks_stops_those_networks(client, runner):
    for n in range(4):
        fail(client, 3, ip=f"192.0.2.{n}")  # 12 failures on one email, 3 per network
    assert attempt(client, PASSWORD, ip="192.0.2.0").status_code == 429
    # A network that never guessed wrong may still log in.
    assert attempt(client, PASSWORD, ip=OTHER_NETWORK).status_code == 302


def test_attackers_elsewhere_cannot_lock_out_the_owner_after_a_typo(client, runner):
    fail(client, 1)  # the owner mistypes once at home
    for n in range(10):
        fail(client, 1, ip=f"192.0.2.{n}")
    assert attempt(client, PASSWORD).status_code == 302


def test_a_successful_login_clears_the_count_for_that_email(client, runner):
    fail(client, 9)
    assert attempt(client, PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    fail(client, 1, ip=OTHER_NETWORK)
    for n in range(3):
        fail(client, 3, ip=f"192.0.2.{n}")
    assert attempt(client, PASSWORD, ip="203.0.113.99").status_code == 302


def test_one_ipv6_network_counts_as_one_client(client, runner):
    for n in range(10):
        fail(client, 1, ip=f"2001:db8:aa:bb::{n + 1:x}")
    assert attempt(client, PASSWORD, ip="2001:db8:aa:bb::ffff").status_code == 429
    assert attempt(client, PASSWORD, ip="2001:db8:aa:cc::1").status_code == 302


def test_forwarded_addresses_count_only_from_our_proxy(client, runner, settings):
    settings.FORWARDED_ALLOW_IPS = ["10.0.0.1"]
    for n in range(10):
        # Sent straight to the app: the header is the sender's invention.
        client.post(LOGIN, {"email": "runner@example.com", "password": "x"},
                    REMOTE_ADDR=HOME_NETWORK, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    assert attempt(client, PASSWORD).status_code == 429
    # Through the proxy, the address it appended is the client.
    response = client.post(LOGIN, {"email": "runner@example.com", "password": PASSWORD},
                           REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=OTHER_NETWORK)
    assert response.status_code == 302


def test_nine_failures_do_not_block(client, runner):
    fail(client, 9)
    assert attempt(client, PASSWORD).status_code == 302


def test_mistyped_email_format_is_not_counted(client, runner):
    for _ in range(12):
        assert attempt(client, "x", email="not-an-email").status_code == 400
    assert attempt(client, PASSWORD).status_code == 302


@pytest.mark.parametrize("elapsed, blocked", [(15 * 60 - 1, True), (15 * 60 + 1, False)])
def test_the_limit_lifts_after_fifteen_minutes(rf, runner, elapsed, blocked):
    request = rf.post(LOGIN, REMOTE_ADDR=HOME_NETWORK)
    start = time.time()
    for _ in range(10):
        throttle.record_failed_login(request, "runner@example.com", now=start)
    later = start + elapsed
    assert bool(throttle.login_blocked_until(request, "runner@example.com", now=later)) is blocked


def test_cache_keys_hold_no_address_or_email(client, runner):
    from django.core.cache import cache

    fail(client, 1)
    keys = list(cache._cache.keys())  # LocMemCache in tests
    assert keys
    assert not any(HOME_NETWORK in key or "runner@example.com" in key for key in keys)
