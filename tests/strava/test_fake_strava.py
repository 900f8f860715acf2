"""The fake Strava itself (tests/fakes/strava.py), over real HTTP with requests: it must be as
strict as Strava (shared/reference/strava-api.md), so that a test fails where Strava would."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.strava import FakeStrava

CALLBACK = "http://127.0.0.1:8000/strava/callback/"


def app_error(message, field, code, resource="Application"):
    return {"message": message, "errors": [{"resource": resource, "field": field, "code": code}]}


@pytest.fixture
def fake():
    with FakeStrava() as fake:
        yield fake


def authorize(fake, *, redirect_uri=CALLBACK, athlete_id=None):
    if athlete_id is not None:
        fake.signed_in_athlete = athlete_id
    return requests.get(f"{fake.oauth_url}/authorize", allow_redirects=False, timeout=5, params={
        "client_id": fake.client_id, "redirect_uri": redirect_uri, "response_type": "code",
        "scope": "read,activity:read", "state": "s"})


def code_for(fake, athlete_id):
    answer = authorize(fake, athlete_id=athlete_id)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def token_call(fake, **fields):
    data = {"client_id": fake.client_id, "client_secret": fake.client_secret, **fields}
    return requests.post(f"{fake.oauth_url}/token", data=data, timeout=5)


def exchange(fake, code, **fields):
    return token_call(fake, code=code, grant_type="authorization_code", **fields)


def refresh(fake, refresh_token, **fields):
    return token_call(fake, refresh_token=refresh_token, grant_type="refresh_token", **fields)


def athlete_call(fake, access_token):
    return requests.get(f"{fake.api_url}/athlete", timeout=5,
                        headers={"Authorization": f"Bearer {access_token}"})


def revoke(fake, token, *, auth=None, params=None, **form):
    auth = (fake.client_id, fake.client_secret) if auth is None else auth
    return requests.post(f"{fake.oauth_url}/revoke", data={"token": token, **form},
                         params=params, auth=auth or None, timeout=5)


def at(fake, moment):
    """Set the fake's clock to ``moment`` (UTC)."""
    fake.now = lambda: moment.timestamp()


# 1. redirect_uri and the Authorization Callback Domain

@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example/strava/callback/", "https://notjoinrun.example/cb",
    "https://joinrun.example.evil.example/cb", "http://[::1]:8000/cb", "ftp://joinrun.example/",
])
def test_authorize_refuses_a_redirect_uri_off_the_callback_domain(redirect_uri):
    with FakeStrava(callback_domain="joinrun.example") as fake:
        fake.add_athlete()
        answer = authorize(fake, redirect_uri=redirect_uri)
    assert answer.status_code == 400
    assert answer.json() == app_error("Bad Request", "redirect_uri", "invalid")


@pytest.mark.parametrize("redirect_uri", [
    "https://joinrun.example/strava/callback/", "https://www.joinrun.example/cb",
    "https://JoinRun.Example:8443/cb", "http://localhost:8000/cb", "http://127.0.0.1:8000/cb",
])
def test_authorize_accepts_the_callback_domain_its_sub_domains_and_loopback(redirect_uri):
    with FakeStrava(callback_domain="joinrun.example") as fake:
        fake.add_athlete()
        answer = authorize(fake, redirect_uri=redirect_uri)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith(redirect_uri + "?")


def test_the_default_callback_domain_is_localhost(fake):
    fake.add_athlete()
    assert authorize(fake, redirect_uri="http://localhost:8000/cb").status_code == 302
    assert authorize(fake, redirect_uri="https://joinrun.example/cb").status_code == 400


# 2. app credentials at /oauth/token

@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
def test_token_call_with_a_wrong_client_id_is_a_400(fake, grant):
    athlete = fake.add_athlete()
    answer = (exchange(fake, code_for(fake, athlete), client_id="999")
              if grant == "authorization_code"
              else refresh(fake, fake.issue_tokens(athlete)["refresh_token"], client_id="999"))
    assert answer.status_code == 400
    assert answer.json() == app_error("Bad Request", "client_id", "invalid")


@pytest.mark.parametrize("grant", ["authorization_code", "refresh_token"])
def test_token_call_with_a_wrong_client_secret_is_the_401_form(fake, grant):
    athlete = fake.add_athlete()
    answer = (exchange(fake, code_for(fake, athlete), client_secret="wrong")
              if grant == "authorization_code"
              else refresh(fake, fake.issue_tokens(athlete)["refresh_token"], client_secret="x"))
    assert answer.status_code == 401
    assert answer.json() == app_error("Authorization Error", "client_secret", "invalid")


# 3. a fresh code refused once (opt-in)

def test_a_fresh_code_is_accepted_at_once_by_default(fake):
    athlete = fake.add_athlete()
    answer = exchange(fake, code_for(fake, athlete))
    assert answer.status_code == 200
    assert answer.json()["athlete"]["id"] == athlete


def test_refuse_fresh_codes_once_refuses_a_code_then_accepts_it_once(fake):
    fake.refuse_fresh_codes_once = True
    athlete = fake.add_athlete()
    code = code_for(fake, athlete)
    first = exchange(fake, code)
    assert first.status_code == 400
    assert first.json() == app_error("Bad Request", "code", "invalid", "AuthorizationCode")
    second = exchange(fake, code)
    assert second.status_code == 200
    assert second.json()["athlete"]["id"] == athlete
    assert exchange(fake, code).status_code == 400  # still single use


# 4. refresh: the access token kept while more than 1 h is left; the refresh token

def test_refresh_returns_the_same_access_token_while_more_than_an_hour_is_left(fake):
    athlete = fake.add_athlete()
    now = datetime.now(UTC)
    tokens = fake.issue_tokens(athlete, expires_at=now + timedelta(hours=1, minutes=2))
    answer = refresh(fake, tokens["refresh_token"]).json()
    assert answer["access_token"] == tokens["access_token"]
    assert answer["expires_at"] == tokens["expires_at"]
    assert 3600 < answer["expires_in"] <= 3720


def test_refresh_issues_a_new_access_token_with_an_hour_or_less_left_and_both_work(fake):
    athlete = fake.add_athlete()
    old = fake.issue_tokens(athlete, expires_at=datetime.now(UTC) + timedelta(minutes=59))
    answer = refresh(fake, old["refresh_token"]).json()
    assert answer["access_token"] != old["access_token"]
    assert answer["expires_in"] > 6 * 3600 - 60
    assert athlete_call(fake, old["access_token"]).status_code == 200
    assert athlete_call(fake, answer["access_token"]).status_code == 200


def test_refresh_rotates_the_refresh_token_by_default_and_the_old_one_dies(fake):
    old = fake.issue_tokens(fake.add_athlete())["refresh_token"]
    answer = refresh(fake, old)
    assert answer.status_code == 200
    assert answer.json()["refresh_token"] != old
    again = refresh(fake, old)
    assert again.status_code == 400
    assert again.json() == app_error("Bad Request", "refresh_token", "invalid", "RefreshToken")
    assert refresh(fake, answer.json()["refresh_token"]).status_code == 200


def test_same_refresh_token_hands_back_the_token_sent_which_stays_valid(fake):
    fake.same_refresh_token = True
    sent = fake.issue_tokens(fake.add_athlete())["refresh_token"]
    assert refresh(fake, sent).json()["refresh_token"] == sent
    assert refresh(fake, sent).json()["refresh_token"] == sent
    assert fake.refresh_token_is_valid(sent)


# 5. rate limits reset on fixed windows

def test_the_15_minute_usage_resets_at_the_quarter_hour_not_in_a_sliding_window(fake):
    access = fake.issue_tokens(fake.add_athlete())["access_token"]
    at(fake, datetime(2026, 9, 1, 12, 0, 0, tzinfo=UTC))
    athlete_call(fake, access)
    at(fake, datetime(2026, 9, 1, 12, 14, 59, tzinfo=UTC))
    assert athlete_call(fake, access).headers["X-RateLimit-Usage"] == "2,2"
    fake.usage = [200, 500]
    assert athlete_call(fake, access).status_code == 429
    at(fake, datetime(2026, 9, 1, 12, 15, 0, tzinfo=UTC))
    answer = athlete_call(fake, access)
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Usage"] == "1,502"
    assert answer.headers["X-ReadRateLimit-Usage"] == "1,4"


def test_the_daily_usage_resets_at_midnight_utc(fake):
    access = fake.issue_tokens(fake.add_athlete())["access_token"]
    at(fake, datetime(2026, 9, 1, 23, 59, 59, tzinfo=UTC))
    fake.usage = [5, 2000]
    assert athlete_call(fake, access).status_code == 429
    at(fake, datetime(2026, 9, 2, 0, 0, 0, tzinfo=UTC))
    answer = athlete_call(fake, access)
    assert answer.status_code == 200
    assert answer.headers["X-RateLimit-Usage"] == "1,1"


def test_a_request_refused_under_the_15_minute_limit_still_counts_for_the_day(fake):
    access = fake.issue_tokens(fake.add_athlete())["access_token"]
    fake.usage = [200, 500]
    answer = athlete_call(fake, access)
    assert answer.status_code == 429
    assert answer.headers["X-RateLimit-Usage"] == "200,501"


# 6. POST /oauth/revoke

@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_revoke_with_basic_auth_ends_every_token_of_the_athlete(fake, which):
    athlete = fake.add_athlete()
    tokens = fake.issue_tokens(athlete)
    answer = revoke(fake, tokens[which], token_type_hint=which)
    assert answer.status_code == 200
    assert answer.json() == {}
    assert athlete_call(fake, tokens["access_token"]).status_code == 401
    assert refresh(fake, tokens["refresh_token"]).status_code == 400
    assert fake.deauthorized == {athlete}  # Strava would now send a deauthorization event
    [sent] = fake.requests_to("/oauth/revoke")
    assert sent.basic_auth == (fake.client_id, fake.client_secret)
    assert sent.query == {}
    assert sent.bearer is None
    assert sent.form == {"token": tokens[which], "token_type_hint": which}


def test_revoke_without_a_hint_finds_either_token(fake):
    tokens = fake.issue_tokens(fake.add_athlete())
    assert revoke(fake, tokens["refresh_token"]).status_code == 200
    assert athlete_call(fake, tokens["access_token"]).status_code == 401


@pytest.mark.parametrize(("auth", "field"), [
    (("999", "fake-client-secret"), "client_id"), (("12345", "wrong"), "client_secret"),
    (False, "client_id"),
])
def test_revoke_without_the_right_basic_auth_is_a_401(fake, auth, field):
    tokens = fake.issue_tokens(fake.add_athlete())
    # Credentials in the form instead of the Authorization header do not count either.
    answer = revoke(fake, tokens["access_token"], auth=auth, client_id=fake.client_id,
                    client_secret=fake.client_secret)
    assert answer.status_code == 401
    assert answer.json() == app_error("Authorization Error", field, "invalid")
    assert athlete_call(fake, tokens["access_token"]).status_code == 200


def test_revoke_refuses_a_token_in_the_query_string(fake):
    tokens = fake.issue_tokens(fake.add_athlete())
    answer = requests.post(f"{fake.oauth_url}/revoke", params={"token": tokens["access_token"]},
                           auth=(fake.client_id, fake.client_secret), timeout=5)
    assert answer.status_code == 400
    assert athlete_call(fake, tokens["access_token"]).status_code == 200
    assert fake.deauthorized == set()


def test_revoke_refuses_a_missing_token_or_an_unknown_hint(fake):
    tokens = fake.issue_tokens(fake.add_athlete())
    assert revoke(fake, "").status_code == 400
    assert revoke(fake, tokens["access_token"], token_type_hint="id_token").status_code == 400
    assert athlete_call(fake, tokens["access_token"]).status_code == 200


def test_revoking_an_unknown_or_already_revoked_token_is_a_200(fake):
    tokens = fake.issue_tokens(fake.add_athlete())
    assert revoke(fake, "never-issued").status_code == 200
    assert revoke(fake, tokens["access_token"]).status_code == 200
    assert revoke(fake, tokens["access_token"]).status_code == 200  # RFC 7009: not an error


# 7. capacity and the inactive app

def test_authorize_beyond_capacity_shows_strava_s_403_page(fake):
    fake.capacity = 1
    fake.issue_tokens(fake.add_athlete("Ana"))
    answer = authorize(fake, athlete_id=fake.add_athlete("Maja"))
    assert answer.status_code == 403
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Error 403: Limit of connected athletes exceeded" in answer.text


def test_a_connected_athlete_can_authorize_again_at_capacity(fake):
    fake.capacity = 1
    athlete = fake.add_athlete()
    fake.issue_tokens(athlete)
    assert exchange(fake, code_for(fake, athlete)).status_code == 200


def test_code_exchange_for_a_new_athlete_beyond_capacity_is_a_403(fake):
    fake.capacity = 1
    first = code_for(fake, fake.add_athlete("Ana"))
    second = code_for(fake, fake.add_athlete("Maja"))
    assert exchange(fake, first).status_code == 200
    answer = exchange(fake, second)
    assert answer.status_code == 403
    assert answer.json() == app_error("Limit of connected athletes exceeded", "athletes",
                                      "limit exceeded")


def test_a_revoked_athlete_frees_a_place(fake):
    fake.capacity = 1
    tokens = fake.issue_tokens(fake.add_athlete("Ana"))
    revoke(fake, tokens["access_token"])
    assert exchange(fake, code_for(fake, fake.add_athlete("Maja"))).status_code == 200


@pytest.mark.parametrize("call", ["code", "refresh", "api", "revoke", "deauthorize"])
def test_an_inactive_app_gets_403_on_every_call(fake, call):
    athlete = fake.add_athlete()
    code, tokens = code_for(fake, athlete), fake.issue_tokens(athlete)
    fake.inactive = True
    answer = {
        "code": lambda: exchange(fake, code),
        "refresh": lambda: refresh(fake, tokens["refresh_token"]),
        "api": lambda: athlete_call(fake, tokens["access_token"]),
        "revoke": lambda: revoke(fake, tokens["access_token"]),
        "deauthorize": lambda: requests.post(
            f"{fake.oauth_url}/deauthorize", timeout=5,
            headers={"Authorization": f"Bearer {tokens['access_token']}"}),
    }[call]()
    assert answer.status_code == 403
    assert answer.json() == app_error("Forbidden", "Status", "Inactive")
    fake.inactive = False
    assert athlete_call(fake, tokens["access_token"]).status_code == 200
