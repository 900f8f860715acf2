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


def test_failures_spread_over_networks_stop_those_networks_for_that_email(client, runner):
    for n in range(10):
        fail(client, 1, ip=f"192.0.2.{n}")
    # Each network that guessed wrong is stopped for this email...
    assert attempt(client, "wrong-password", ip="192.0.2.0").status_code == 429
    # ...but a network that never guessed wrong may still log in.
    assert attempt(client, PASSWORD, ip=OTHER_NETWORK).status_code == 302


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
