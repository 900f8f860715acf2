import threading
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.fakes.strava import FakeStrava, seed_demo

REDIRECT = "http://testserver/strava/callback"


@pytest.fixture
def fake():
    with FakeStrava() as f:
        yield f


def authorize(fake, **params):
    q = {"client_id": fake.client_id, "redirect_uri": REDIRECT, "response_type": "code",
         "scope": "read,activity:read", "state": "abc", **params}
    return requests.get(f"{fake.oauth_url}/authorize", params=q, allow_redirects=False, timeout=5)


def token(fake, **fields):
    data = {"client_id": fake.client_id, "client_secret": fake.client_secret, **fields}
    return requests.post(f"{fake.oauth_url}/token", data=data, timeout=10)


def api(fake, path, tok, **params):
    return requests.get(fake.api_url + path, headers={"Authorization": f"Bearer {tok}"},
                        params=params, timeout=10)


def test_authorize_and_exchange(fake):
    a = fake.add_athlete()
    r = authorize(fake, approval_prompt="force")
    assert r.status_code == 302
    loc = urlsplit(r.headers["Location"])
    assert f"{loc.scheme}://{loc.netloc}{loc.path}" == REDIRECT
    q = parse_qs(loc.query, keep_blank_values=True)
    assert q["state"] == ["abc"] and q["scope"] == ["read,activity:read"]
    assert "scope=read,activity:read" in r.headers["Location"]
    assert fake.requests_to("/oauth/authorize")[0].query["approval_prompt"] == "force"
    code = q["code"][0]
    r = token(fake, grant_type="authorization_code", code=code)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"token_type", "expires_at", "expires_in", "refresh_token",
                         "access_token", "athlete"}
    assert body["athlete"]["id"] == a and body["athlete"]["resource_state"] == 2
    assert 21590 <= body["expires_in"] <= 21600
    r = token(fake, grant_type="authorization_code", code=code)
    assert r.status_code == 400
    assert r.json()["errors"][0] == {"resource": "AuthorizationCode", "field": "code",
                                     "code": "invalid"}
    assert api(fake, "/athlete", body["access_token"]).json()["firstname"] == "Ana"


def test_authorize_variants(fake):
    fake.add_athlete()
    loc = authorize(fake, state=None).headers["Location"]
    assert "state=&code=" in loc
    fake.granted_scope = "read"
    assert parse_qs(urlsplit(authorize(fake).headers["Location"]).query)["scope"] == ["read"]
    fake.deny = True
    loc = authorize(fake).headers["Location"]
    assert loc == REDIRECT + "?state=abc&error=access_denied"
    r = authorize(fake, scope="read activity:read")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "scope"
    r = authorize(fake, scope="view_private")
    assert r.status_code == 400
    r = authorize(fake, client_id="999")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "client_id"
    r = authorize(fake, redirect_uri=None)
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "redirect_uri"
    r = authorize(fake, redirect_uri="/relative")
    assert r.status_code == 400
    r = authorize(fake, redirect_uri="http://x/cb?a=1")
    # deny still on
    assert r.headers["Location"].startswith("http://x/cb?a=1&state=")


def test_bad_client_and_grant(fake):
    fake.add_athlete()
    r = token(fake, client_secret="nope", grant_type="refresh_token", refresh_token="x")
    assert r.status_code == 401
    assert r.json()["errors"][0] == {"resource": "Application", "field": "client_id",
                                     "code": "invalid"}
    assert token(fake, grant_type="password").status_code == 400
    r = token(fake, grant_type="refresh_token", refresh_token="unknown")
    assert r.status_code == 400 and r.json()["errors"][0]["resource"] == "RefreshToken"


def test_refresh_rotation_and_reuse(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)
    assert set(t) == {"token_type", "expires_at", "expires_in", "refresh_token", "access_token"}
    r = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 200
    t2 = r.json()
    assert "athlete" not in t2
    assert t2["access_token"] == t["access_token"]  # > 1h left
    assert t2["refresh_token"] != t["refresh_token"]
    assert not fake.refresh_token_is_valid(t["refresh_token"])
    assert fake.refresh_token_is_valid(t2["refresh_token"])
    r = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 400
    # expire -> new access token
    fake.expire_access_tokens(a)
    assert api(fake, "/athlete", t2["access_token"]).status_code == 401
    t3 = token(fake, grant_type="refresh_token", refresh_token=t2["refresh_token"]).json()
    assert t3["access_token"] != t2["access_token"]
    assert api(fake, "/athlete", t3["access_token"]).status_code == 200
    # less than 1h left -> new token, old one still works
    soon = fake.issue_tokens(a, expires_at=int(time.time()) + 1800)
    t4 = token(fake, grant_type="refresh_token", refresh_token=soon["refresh_token"]).json()
    assert t4["access_token"] != soon["access_token"]
    assert api(fake, "/athlete", soon["access_token"]).status_code == 200
    assert api(fake, "/athlete", t4["access_token"]).status_code == 200
    # datetime expires_at
    d = fake.issue_tokens(a, expires_at=datetime.now(UTC) + timedelta(minutes=5))
    assert 290 <= d["expires_in"] <= 300


def test_refresh_race_with_token_delay(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)
    fake.token_delay = 0.3
    results = []

    def go():
        results.append(token(fake, grant_type="refresh_token",
                             refresh_token=t["refresh_token"]).status_code)

    threads = [threading.Thread(target=go) for _ in range(2)]
    started = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert sorted(results) == [200, 400]
    assert time.monotonic() - started < 0.6  # sleeps overlap: outside the lock


def test_activities(fake):
    a = fake.add_athlete()
    b = fake.add_athlete("Bob", "X")
    base = datetime(2026, 9, 1, 6, tzinfo=UTC)
    ids = [fake.add_activity(a, start=base + timedelta(days=i)) for i in range(5)]
    assert ids[0] > 2**31
    priv = fake.add_activity(a, start=base + timedelta(days=10), private=True)
    fol = fake.add_activity(a, start=base + timedelta(days=11), visibility="followers_only")
    fake.add_activity(b, start=base)
    t = fake.issue_tokens(a)["access_token"]
    r = api(fake, "/athlete/activities", t)
    got = [x["id"] for x in r.json()]
    assert got == [fol, *reversed(ids)]
    first = r.json()[1]
    assert first["start_date"] == "2026-09-05T06:00:00Z"
    assert first["start_date_local"] == "2026-09-05T07:00:00Z"
    assert isinstance(first["distance"], float) and isinstance(first["moving_time"], int)
    assert first["athlete"] == {"id": a, "resource_state": 1}
    assert first["map"]["summary_polyline"] is None and first["type"] == "Run"
    assert first["average_speed"] == pytest.approx(10000 / 3000, abs=1e-3)
    after = int((base + timedelta(days=1)).timestamp())
    before = int((base + timedelta(days=3)).timestamp())
    got = [x["id"] for x in api(fake, "/athlete/activities", t, after=after,
                                before=before).json()]
    assert got == [ids[2]]  # strict bounds
    got = [x["id"] for x in api(fake, "/athlete/activities", t, per_page=2, page=2).json()]
    assert got == [ids[3], ids[2]]
    assert api(fake, "/athlete/activities", t, page=99).json() == []
    assert len(api(fake, "/athlete/activities", t, per_page=500).json()) == 6
    r = api(fake, "/athlete/activities", t, per_page="x")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "per_page"
    assert api(fake, "/athlete/activities", t, page=0).status_code == 400
    # read_all sees private
    t_all = fake.issue_tokens(a, scope="read,activity:read_all")["access_token"]
    assert priv in [x["id"] for x in api(fake, "/athlete/activities", t_all).json()]
    assert api(fake, f"/activities/{priv}", t_all).json()["private"] is True
    assert api(fake, f"/activities/{priv}", t).status_code == 404
    # detail
    d = api(fake, f"/activities/{ids[0]}", t).json()
    assert d["description"] is None and d["map"]["polyline"] is None and d["calories"] == 0.0
    assert api(fake, "/activities/abc", t).status_code == 404
    assert api(fake, "/activities/%C2%B2", t).status_code == 404
    r = api(fake, "/activities/99", t)
    assert r.status_code == 404 and r.json()["errors"][0]["code"] == "not found"
    fake.delete_activity(ids[0])
    assert api(fake, f"/activities/{ids[0]}", t).status_code == 404
    other = fake.issue_tokens(b)["access_token"]
    assert api(fake, f"/activities/{ids[1]}", other).status_code == 404
    # scope check
    t_read = fake.issue_tokens(a, scope="read")["access_token"]
    r = api(fake, "/athlete/activities", t_read)
    assert r.status_code == 401
    assert r.json()["errors"][0]["field"] == "activity:read_permission"
    assert api(fake, f"/activities/{ids[1]}", t_read).status_code == 401
    assert api(fake, "/athlete", t_read).status_code == 200
    assert api(fake, "/nope", t).status_code == 404


def test_bearer_only(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)["access_token"]
    r = requests.get(f"{fake.api_url}/athlete", params={"access_token": t}, timeout=5)
    assert r.status_code == 401
    assert r.json() == {"message": "Authorization Error", "errors": [
        {"resource": "Athlete", "field": "access_token", "code": "invalid"}]}
    assert fake.requests[-1].token_via == "query"
    assert "X-RateLimit-Usage" in r.headers


def test_rate_limits(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)["access_token"]
    r = api(fake, "/athlete", t)
    assert r.headers["X-RateLimit-Limit"] == "200,2000"
    assert r.headers["X-RateLimit-Usage"] == "1,1"
    assert r.headers["X-ReadRateLimit-Limit"] == "100,1000"
    assert r.headers["X-ReadRateLimit-Usage"] == "1,1"
    fake.read_usage[0] = 100
    r = api(fake, "/athlete", t)
    assert r.status_code == 429 and r.json()["message"] == "Rate Limit Exceeded"
    assert r.headers["X-ReadRateLimit-Usage"] == "100,1"
    r = requests.post(f"{fake.api_url}/athlete", headers={"Authorization": f"Bearer {t}"},
                      timeout=5)
    assert r.status_code == 404 and r.headers["X-RateLimit-Usage"] == "2,2"
    fake.usage = [200, 5]
    r = requests.post(f"{fake.api_url}/athlete", headers={"Authorization": f"Bearer {t}"},
                      timeout=5)
    assert r.status_code == 429 and r.headers["X-RateLimit-Usage"] == "200,5"


def test_faults(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)
    fake.fail("500")
    r = api(fake, "/athlete", t["access_token"])
    assert r.status_code == 500 and "errors" in r.json() and "X-RateLimit-Limit" in r.headers
    assert api(fake, "/athlete", t["access_token"]).status_code == 200
    fake.fail("429", times=2)
    for _ in range(2):
        r = api(fake, "/athlete", t["access_token"])
        assert r.status_code == 429 and r.headers["X-RateLimit-Usage"] == "200,2000"
        assert r.json()["errors"][0]["field"] == "rate limit"
    assert api(fake, "/athlete", t["access_token"]).status_code == 200
    fake.fail("401")
    assert api(fake, "/athlete", t["access_token"]).status_code == 401
    fake.fail("malformed", on="token")
    assert api(fake, "/athlete", t["access_token"]).status_code == 200  # not token
    r = token(fake, grant_type="refresh_token", refresh_token=t["refresh_token"])
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    with pytest.raises(ValueError):
        r.json()
    assert fake.refresh_token_is_valid(t["refresh_token"])  # fault: no rotation happened
    fake.slow_seconds = 0.5
    fake.fail("slow", on="any", times=None)
    with pytest.raises(requests.Timeout):
        requests.get(f"{fake.api_url}/athlete", timeout=0.2,
                     headers={"Authorization": f"Bearer {t['access_token']}"})
    started = time.monotonic()
    assert api(fake, "/athlete", t["access_token"]).status_code == 200
    assert time.monotonic() - started >= 0.5
    fake.clear_faults()
    fake.fail("500", on="deauthorize")
    r = requests.post(f"{fake.oauth_url}/deauthorize",
                      headers={"Authorization": f"Bearer {t['access_token']}"}, timeout=5)
    assert r.status_code == 500
    with pytest.raises(ValueError):
        fake.fail("teapot")


def test_deauthorize(fake):
    a = fake.add_athlete()
    t = fake.issue_tokens(a)
    r = requests.post(f"{fake.oauth_url}/deauthorize",
                      headers={"Authorization": "Bearer wrong"}, timeout=5)
    assert r.status_code == 401
    r = requests.post(f"{fake.oauth_url}/deauthorize",
                      headers={"Authorization": f"Bearer {t['access_token']}"}, timeout=5)
    assert r.status_code == 200 and r.json() == {"access_token": t["access_token"]}
    assert fake.deauthorized == {a}
    assert fake.requests_to("/oauth/deauthorize")[-1].token_via == "header"
    assert api(fake, "/athlete", t["access_token"]).status_code == 401
    assert not fake.refresh_token_is_valid(t["refresh_token"])
    t2 = fake.issue_tokens(a)
    r = requests.post(f"{fake.oauth_url}/deauthorize", data={"access_token": t2["access_token"]},
                      timeout=5)
    assert r.status_code == 200 and fake.requests[-1].token_via == "form"


def test_summary_and_demo():
    fake = FakeStrava()
    now = datetime(2026, 9, 10, 12, 0, tzinfo=UTC)
    athlete = seed_demo(fake, now=now)
    assert fake.signed_in_athlete == athlete
    with fake:
        s = requests.get(f"{fake.url}/_fake/", timeout=5).json()
        assert s["athletes"][0]["firstname"] == "Demo"
        assert s["athletes"][0]["activities"] == 13 * 3 + 1
        t = fake.issue_tokens(athlete)["access_token"]
        acts = api(fake, "/athlete/activities", t, per_page=200).json()
        assert {x["sport_type"] for x in acts} == {"Run", "Ride"}
        assert acts[0]["name"] == "Morning Run" and acts[0]["start_date"] == "2026-09-10T06:00:00Z"
        assert requests.get(f"{fake.url}/whatever", timeout=5).status_code == 404
    fake.stop()


def test_no_athlete(fake):
    assert authorize(fake).status_code == 409
