"""strava/client.py against the fake Strava (tests/fakes/strava.py): where the access
token travels, the authorize URL, the code exchange, which StravaError each fault gives, and
the app-wide rate-limit pause every worker shares through the default cache."""

import contextlib
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone

from strava import client
from strava.client import StravaError
from tests.conftest import production_env
from tests.served import free_port, manage

REDIRECT_URI = "http://127.0.0.1:8000/strava/callback/"


@pytest.fixture
def athlete(fake_strava):
    return fake_strava.add_athlete("Ana", "Novak")


@pytest.fixture
def tokens(fake_strava, athlete):
    return fake_strava.issue_tokens(athlete)


def authorization_code(fake, athlete_id):
    """A code as Strava's consent page hands one back, for the URL the site sends people to."""
    fake.signed_in_athlete = athlete_id
    answer = requests.get(client.authorize_url(redirect_uri=REDIRECT_URI, state="s"),
                          allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def next_quarter_hour(moment):
    return datetime.fromtimestamp((int(moment.timestamp()) // 900 + 1) * 900, tz=UTC)


def strava_error(call, *args, **kwargs):
    """The StravaError ``call`` raises."""
    with pytest.raises(StravaError) as raised:
        call(*args, **kwargs)
    return raised.value


@contextlib.contextmanager
def strava_answering(body, status=200, headers=(), cookies_sent=None):
    """A stand-in for Strava that gives every request the same answer (``body`` as JSON,
    with ``headers``), for answers the fake never gives; yields its base URL. Each
    request's Cookie header (None without one) goes into ``cookies_sent``."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if cookies_sent is not None:
                cookies_sent.append(self.headers.get("Cookie"))
            payload = json.dumps(body).encode()
            self.send_response(status)
            for name, value in headers:
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# Where the access token travels

def test_api_calls_send_the_access_token_only_in_the_authorization_header(fake_strava, tokens):
    token = tokens["access_token"]
    client.get("/athlete", token)
    client.get("/athlete/activities", token, {"after": 1, "before": 2, "per_page": 50})

    sent = (fake_strava.requests_to("/api/v3/athlete")
            + fake_strava.requests_to("/api/v3/athlete/activities"))
    assert len(sent) == 2
    for request in sent:
        assert request.headers["authorization"] == f"Bearer {token}"
        assert request.token_via == "header"
        assert token not in request.path
        assert token not in json.dumps(request.query)
        assert request.form == {}
    assert sent[1].query == {"after": "1", "before": "2", "per_page": "50"}


def test_revoke_authenticates_the_app_and_sends_the_token_only_in_the_body(
        fake_strava, athlete, tokens):
    client.revoke(tokens["refresh_token"])

    [request] = fake_strava.requests_to("/oauth/revoke")
    assert request.method == "POST"
    assert request.basic_auth == (fake_strava.client_id, fake_strava.client_secret)
    assert request.form == {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    assert request.query == {}
    assert request.bearer is None
    assert athlete in fake_strava.deauthorized
    # Revoking the refresh token ended the access token too.
    with pytest.raises(StravaError) as refused:
        client.get("/athlete", tokens["access_token"])
    assert refused.value.code == StravaError.UNAUTHORIZED


def test_revoke_with_the_wrong_app_secret_is_the_apps_problem(settings, fake_strava, tokens):
    settings.STRAVA_CLIENT_SECRET = "not-the-secret"
    with pytest.raises(StravaError) as refused:
        client.revoke(tokens["refresh_token"])
    assert refused.value.code == StravaError.APP_REFUSED
    assert fake_strava.deauthorized == set()


def test_a_refresh_sends_the_refresh_token_in_the_body_not_the_url(fake_strava, tokens):
    client.refresh(tokens["refresh_token"])

    [request] = fake_strava.requests_to("/oauth/token")
    assert request.query == {}
    assert request.form["grant_type"] == "refresh_token"
    assert request.form["refresh_token"] == tokens["refresh_token"]
    assert "authorization" not in request.headers


# Sending people to Strava's consent page

@pytest.mark.parametrize(("force", "prompt"), [(False, "auto"), (True, "force")])
def test_the_authorize_url_asks_for_read_and_activity_read_with_a_comma(settings, force,
                                                                        prompt):
    settings.STRAVA_OAUTH_URL = "https://www.strava.com/oauth"
    settings.STRAVA_CLIENT_ID = "12345"

    url = client.authorize_url(redirect_uri=REDIRECT_URI, state="random-state", force=force)

    parts = urlsplit(url)
    assert parts._replace(query="").geturl() == "https://www.strava.com/oauth/authorize"
    assert parse_qs(parts.query, strict_parsing=True) == {
        "client_id": ["12345"],
        "redirect_uri": [REDIRECT_URI],
        "response_type": ["code"],
        "approval_prompt": [prompt],
        "scope": ["read,activity:read"],
        "state": ["random-state"],
    }


def test_strava_accepts_the_authorize_url_and_hands_back_a_code(fake_strava, athlete):
    assert authorization_code(fake_strava, athlete)


# The code exchange

def test_exchanging_a_code_gives_tokens_the_athlete_id_and_first_name_and_nothing_else(
        fake_strava, athlete):
    tokens = client.exchange_code(authorization_code(fake_strava, athlete))

    assert set(tokens) == {"access_token", "refresh_token", "expires_at", "athlete_id",
                           "firstname"}
    assert tokens["athlete_id"] == athlete
    assert tokens["firstname"] == "Ana"
    # The rest of Strava's athlete object (surname, city, avatar ...) is not passed on.
    assert "Novak" not in repr(tokens)
    assert "Ljubljana" not in repr(tokens)
    assert tokens["expires_at"] > timezone.now() + timedelta(hours=5)
    assert client.get("/athlete", tokens["access_token"])["id"] == athlete


def test_a_code_can_be_exchanged_only_once(fake_strava, athlete):
    code = authorization_code(fake_strava, athlete)
    client.exchange_code(code)

    error = strava_error(client.exchange_code, code)

    assert error.code == StravaError.UNAUTHORIZED


def test_an_exchange_without_an_athlete_is_a_bad_response(settings):
    answer = {"token_type": "Bearer", "access_token": "a" * 40, "refresh_token": "r" * 40,
              "expires_at": 1_900_000_000, "expires_in": 21600}
    with strava_answering(answer) as url:
        settings.STRAVA_OAUTH_URL = url

        error = strava_error(client.exchange_code, "code")

    assert error.code == StravaError.BAD_RESPONSE


# Faults

def test_strava_down_is_unavailable(settings, fake_strava, tokens):
    settings.STRAVA_API_URL = f"http://127.0.0.1:{free_port()}/api/v3"

    error = strava_error(client.get, "/athlete", tokens["access_token"])

    assert error.code == StravaError.UNAVAILABLE


@pytest.mark.parametrize(("fault", "code"), [
    ("500", StravaError.UNAVAILABLE),
    ("slow", StravaError.UNAVAILABLE),  # the fixture's STRAVA_TIMEOUT is 1 s; it sleeps 2
    ("429", StravaError.RATE_LIMITED),
    ("401", StravaError.UNAUTHORIZED),
    ("malformed", StravaError.BAD_RESPONSE),
])
def test_each_fault_on_an_api_call_gives_its_error(fake_strava, tokens, fault, code):
    fake_strava.fail(fault)

    error = strava_error(client.get, "/athlete", tokens["access_token"])

    assert error.code == code


@pytest.mark.parametrize(("fault", "code"), [
    ("500", StravaError.UNAVAILABLE),
    ("slow", StravaError.UNAVAILABLE),
    ("429", StravaError.RATE_LIMITED),
    ("401", StravaError.UNAUTHORIZED),
    ("malformed", StravaError.BAD_RESPONSE),
])
def test_each_fault_on_a_refresh_gives_its_error(fake_strava, tokens, fault, code):
    fake_strava.fail(fault, on="token")

    error = strava_error(client.refresh, tokens["refresh_token"])

    assert error.code == code


def test_a_refresh_token_strava_has_replaced_is_unauthorized(fake_strava, athlete, tokens):
    fake_strava.issue_tokens(athlete)  # a newer refresh token kills the one in ``tokens``

    error = strava_error(client.refresh, tokens["refresh_token"])

    assert error.code == StravaError.UNAUTHORIZED


def test_an_activity_that_is_not_there_is_not_found(fake_strava, tokens):
    error = strava_error(client.get, "/activities/99999999999", tokens["access_token"])

    assert error.code == StravaError.NOT_FOUND


def test_a_redirect_is_not_followed_but_is_a_bad_response(settings):
    with strava_answering({"message": "Moved"}, status=302) as url:
        settings.STRAVA_API_URL = url

        error = strava_error(client.get, "/athlete", "token")

    assert error.code == StravaError.BAD_RESPONSE


def test_a_cookie_strava_sets_is_never_sent_with_another_runners_call(settings):
    # One session serves every runner's calls: a cookie kept from one answer would go
    # with the next runner's request.
    cookies_sent = []
    with strava_answering({"id": 1}, headers=[("Set-Cookie", "_strava4_session=ana; Path=/")],
                          cookies_sent=cookies_sent) as url:
        settings.STRAVA_API_URL = url
        client.get("/athlete", "ana-s-token")
        client.get("/athlete", "bor-s-token")

    assert cookies_sent == [None, None]


GOOD_TOKENS = {"token_type": "Bearer", "access_token": "a" * 40, "refresh_token": "r" * 40,
               "expires_at": 1_900_000_000, "expires_in": 21600,
               "athlete": {"id": 9_000_000_001, "firstname": "Ana", "lastname": "Novak"}}


def test_the_stand_in_strava_answers_good_tokens_that_are_accepted(settings):
    with strava_answering(GOOD_TOKENS) as url:
        settings.STRAVA_OAUTH_URL = url

        tokens = client.exchange_code("code")

    assert tokens == {"access_token": "a" * 40, "refresh_token": "r" * 40,
                      "expires_at": datetime.fromtimestamp(1_900_000_000, tz=UTC),
                      "athlete_id": 9_000_000_001, "firstname": "Ana"}


@pytest.mark.parametrize("change", [
    {"access_token": None},
    {"access_token": ""},
    {"access_token": 12345},
    {"refresh_token": None},
    {"refresh_token": ["r"]},
    {"expires_at": "tomorrow"},
    {"expires_at": None},
    {"expires_at": 10**20},
    {"athlete": {"id": "9000000001", "firstname": "Ana"}},
    {"athlete": {"id": True, "firstname": "Ana"}},
    {"athlete": {"id": 0, "firstname": "Ana"}},
    {"athlete": {"id": 2**63, "firstname": "Ana"}},
    {"athlete": {"firstname": "Ana"}},
    {"athlete": ["Ana"]},
], ids=repr)
def test_token_fields_missing_or_of_the_wrong_type_are_a_bad_response(settings, change):
    with strava_answering({**GOOD_TOKENS, **change}) as url:
        settings.STRAVA_OAUTH_URL = url

        error = strava_error(client.exchange_code, "code")

    assert error.code == StravaError.BAD_RESPONSE


def test_a_first_name_strava_leaves_empty_is_passed_on_as_empty_text(settings):
    answer = {**GOOD_TOKENS, "athlete": {"id": 9_000_000_001, "firstname": None}}
    with strava_answering(answer) as url:
        settings.STRAVA_OAUTH_URL = url

        tokens = client.exchange_code("code")

    assert tokens["firstname"] == ""


@pytest.mark.parametrize("firstname", [42, ["Ana"]], ids=repr)
def test_a_first_name_that_is_not_text_is_never_passed_on(settings, firstname):
    # Signing in with Strava makes it the new account's display name with .strip().
    answer = {**GOOD_TOKENS, "athlete": {"id": 9_000_000_001, "firstname": firstname}}
    with strava_answering(answer) as url:
        settings.STRAVA_OAUTH_URL = url

        try:
            tokens = client.exchange_code("code")
        except StravaError as error:  # refusing the answer is as good as dropping the name
            assert error.code == StravaError.BAD_RESPONSE
        else:
            assert tokens["firstname"] == ""


@pytest.mark.parametrize("missing", ["access_token", "refresh_token", "expires_at"])
def test_a_token_answer_without_a_token_field_is_a_bad_response(settings, missing):
    answer = {name: value for name, value in GOOD_TOKENS.items() if name != missing}
    with strava_answering(answer) as url:
        settings.STRAVA_OAUTH_URL = url

        error = strava_error(client.refresh, "r" * 40)

    assert error.code == StravaError.BAD_RESPONSE


@pytest.mark.parametrize("answer", [[], "ok", None], ids=repr)
def test_a_token_answer_that_is_not_an_object_is_a_bad_response(settings, answer):
    with strava_answering(answer) as url:
        settings.STRAVA_OAUTH_URL = url

        error = strava_error(client.refresh, "r" * 40)

    assert error.code == StravaError.BAD_RESPONSE


# Rate limits
#
# Windows reset at :00, :15, :30 and :45, and the daily one at midnight UTC. get() takes no
# now=, so these call _request(), which get() is a wrapper of, at a chosen moment.

MOMENT = datetime(2026, 6, 1, 10, 7, 30, tzinfo=UTC)
QUARTER_HOUR = datetime(2026, 6, 1, 10, 15, tzinfo=UTC)
MIDNIGHT_UTC = datetime(2026, 6, 2, tzinfo=UTC)


def get_at(moment, path, token):
    """client.get(path, token) as if it were ``moment``."""
    from django.conf import settings

    return client._request("GET", f"{settings.STRAVA_API_URL}{path}", token=token, now=moment)


def test_a_429_pauses_calls_until_the_next_quarter_hour(fake_strava, tokens):
    fake_strava.usage = [200, 500]  # Strava's 15-minute window is used up

    error = strava_error(get_at, MOMENT, "/athlete", tokens["access_token"])

    assert error.code == StravaError.RATE_LIMITED
    assert error.retry_at == QUARTER_HOUR
    assert client.paused_until(now=MOMENT) == QUARTER_HOUR


def test_a_429_that_says_the_day_is_used_up_pauses_calls_until_midnight_utc(fake_strava,
                                                                            tokens):
    fake_strava.usage = [10, 2000]

    error = strava_error(get_at, MOMENT, "/athlete", tokens["access_token"])

    assert error.code == StravaError.RATE_LIMITED
    assert error.retry_at == MIDNIGHT_UTC


def test_a_429_without_rate_limit_headers_pauses_calls_until_the_next_quarter_hour(settings):
    with strava_answering({"message": "Rate Limit Exceeded", "errors": []}, status=429) as url:
        settings.STRAVA_API_URL = url

        error = strava_error(get_at, MOMENT, "/athlete", "token")

    assert error.code == StravaError.RATE_LIMITED
    assert error.retry_at == QUARTER_HOUR


def test_calls_go_out_while_usage_is_under_the_limits(fake_strava, tokens):
    fake_strava.usage, fake_strava.read_usage = [197, 1997], [97, 997]
    client.get("/athlete", tokens["access_token"])

    client.get("/athlete", tokens["access_token"])

    assert len(fake_strava.requests_to("/api/v3/athlete")) == 2
    assert client.paused_until() is None


@pytest.mark.parametrize(("usage", "read_usage", "until"), [
    ([199, 500], [0, 500], QUARTER_HOUR),    # overall 15-minute limit (200)
    ([10, 1999], [0, 500], MIDNIGHT_UTC),    # overall daily limit (2,000)
    ([10, 500], [99, 500], QUARTER_HOUR),    # read 15-minute limit (100), for a GET
    ([10, 500], [0, 999], MIDNIGHT_UTC),     # read daily limit (1,000), for a GET
], ids=["15-minute", "daily", "read-15-minute", "read-daily"])
def test_usage_reaching_a_limit_pauses_calls_before_they_reach_strava(
        fake_strava, tokens, usage, read_usage, until):
    fake_strava.usage, fake_strava.read_usage = usage, read_usage
    get_at(MOMENT, "/athlete", tokens["access_token"])  # its headers show the limit reached
    sent = len(fake_strava.requests)

    error = strava_error(get_at, MOMENT + timedelta(minutes=1), "/athlete",
                         tokens["access_token"])

    assert error.code == StravaError.RATE_LIMITED
    assert error.retry_at == until
    assert len(fake_strava.requests) == sent
    # Just before the window resets, still nothing goes out.
    error = strava_error(get_at, until - timedelta(seconds=1), "/athlete",
                         tokens["access_token"])
    assert error.code == StravaError.RATE_LIMITED
    assert len(fake_strava.requests) == sent


@pytest.mark.parametrize(("usage", "until"), [([199, 500], QUARTER_HOUR),
                                              ([10, 1999], MIDNIGHT_UTC)],
                         ids=["15-minute", "daily"])
def test_calls_go_out_again_once_the_window_has_reset(fake_strava, athlete, tokens, usage,
                                                      until):
    fake_strava.usage = usage
    get_at(MOMENT, "/athlete", tokens["access_token"])
    fake_strava.usage = [0, 0]  # Strava's new window

    answer = get_at(until, "/athlete", tokens["access_token"])

    assert answer["id"] == athlete
    assert len(fake_strava.requests_to("/api/v3/athlete")) == 2


def test_a_pause_stops_token_calls_too(fake_strava, tokens):
    fake_strava.usage = [199, 500]
    client.get("/athlete", tokens["access_token"])
    sent = len(fake_strava.requests)

    error = strava_error(client.refresh, tokens["refresh_token"])

    assert error.code == StravaError.RATE_LIMITED
    assert len(fake_strava.requests) == sent


def test_a_pause_reached_through_get_stops_the_next_get(fake_strava, tokens):
    fake_strava.read_usage = [99, 500]
    before = timezone.now()
    client.get("/athlete", tokens["access_token"])
    after = timezone.now()
    sent = len(fake_strava.requests)

    error = strava_error(client.get, "/athlete", tokens["access_token"])

    assert error.code == StravaError.RATE_LIMITED
    assert error.retry_at in {next_quarter_hour(before), next_quarter_hour(after)}
    assert len(fake_strava.requests) == sent


def test_calls_go_out_again_once_the_pause_has_left_the_cache(fake_strava, tokens):
    from django.core.cache import cache

    fake_strava.usage = [199, 500]
    client.get("/athlete", tokens["access_token"])
    fake_strava.usage = [0, 500]
    cache.delete(client.PAUSE_KEY)  # as the cache does when the entry times out

    client.get("/athlete", tokens["access_token"])

    assert len(fake_strava.requests_to("/api/v3/athlete")) == 2


def test_a_pause_one_worker_reaches_stops_the_others(settings, tmp_path, fake_strava, tokens):
    # The site's own setting: a file cache that every worker on the machine shares.
    shared = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
              "LOCATION": str(tmp_path / "cache")}
    settings.CACHES = {**settings.CACHES, "default": shared}
    fake_strava.usage = [199, 500]
    client.get("/athlete", tokens["access_token"])
    # Both asked about the same moment: the other worker takes seconds to start, and the
    # pause may end at a quarter-hour meanwhile.
    asked_at = timezone.now()

    other_worker = manage(
        production_env(SECRET_KEY="another-worker-" + "x" * 40,
                       CACHE_URL=f"filecache://{tmp_path / 'cache'}",
                       DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"),
        "shell", "--no-imports", "-c",
        "import datetime as dt; from strava.client import paused_until; "
        f"print(paused_until(dt.datetime.fromtimestamp({asked_at.timestamp()!r}, dt.UTC))"
        ".isoformat())",
    )

    assert datetime.fromisoformat(other_worker.strip()) == client.paused_until(asked_at)


@pytest.mark.parametrize(("faults", "message", "cause"), [
    (["Application/athletes/limit exceeded"], "Forbidden", StravaError.CAPACITY),
    ([], "Limit of connected athletes exceeded", StravaError.CAPACITY),
    (["Application/Status/Inactive"], "Forbidden", StravaError.INACTIVE),
    (["Application/client_id/invalid"], "Forbidden", None),
    ([], "Daily limit reached", None),  # a limit, but not on athletes
])
def test_a_refusal_of_the_app_names_its_cause(faults, message, cause, caplog):
    """Strava's API does not document how it words a capacity refusal (its consent page
    says "Limit of connected athletes exceeded"): any limit it names on a 403 counts."""
    error = client._refusal(403, faults, message)

    assert (error.code, error.cause) == (StravaError.APP_REFUSED, cause)
    if cause is None:
        assert "check STRAVA_CLIENT_ID" in caplog.text
    else:
        assert client.CAUSES[cause] in caplog.text
