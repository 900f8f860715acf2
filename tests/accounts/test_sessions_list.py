""""Where you're signed in" on My account: each browser by a coarse name and two days, one
signed out or all the others, only one's own; "last used" written at most once a day."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import devices, sessions
from accounts.models import Session
from joinrun import personal_data
from tests.conftest import PASSWORD

FIREFOX_ANDROID = ("Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0")
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1")


def browser(user_agent):
    return Client(HTTP_USER_AGENT=user_agent)


def log_in(client, email="runner@example.com", remember=False):
    data = {"email": email, "password": PASSWORD}
    if remember:
        data["remember_me"] = "on"
    assert client.post("/accounts/login/", data).status_code == 302
    return client


def signed_in(client):
    return client.get("/accounts/profile/").status_code == 200


def sessions_section(client):
    page = client.get("/accounts/profile/").content.decode()
    return re.search(r'<section[^>]*id="sessions".*?</section>', page, re.S)[0]


def other_session_ids(client):
    """The ids in the "Sign out" forms of the list, in page order."""
    return re.findall(r'name="session" value="([^"]+)"', sessions_section(client))


def key_of(client):
    return client.cookies["sessionid"].value


@pytest.mark.parametrize("user_agent, words", [
    (FIREFOX_ANDROID, "Firefox on Android"),
    (CHROME_WINDOWS, "Chrome on Windows"),
    (SAFARI_IPHONE, "Safari on iPhone"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Mobile Safari/537.36", "Chrome on Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like "
     "Gecko) Version/18.1 Safari/605.1.15", "Safari on macOS"),
    ("Mozilla/5.0 (iPad; CPU OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
     "CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1", "Chrome on iPad"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
     "like Gecko) FxiOS/133.0 Mobile/15E148 Safari/605.1.15", "Firefox on iPhone"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
     "Firefox on Linux"),
    ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
     "SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Samsung Internet on Android"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Something/1.0", "Unknown browser on Windows"),
    ("curl/8.5.0", "Unknown browser"),
    ("", "Unknown browser"),
    ("\x00" * 5000, "Unknown browser"),
])
def test_a_browser_gets_a_coarse_name(user_agent, words):
    stored = devices.device(user_agent)
    assert len(stored) <= Session._meta.get_field("device").max_length
    assert devices.describe(stored) == words


def test_a_stored_name_we_do_not_know_is_an_unknown_browser():
    assert devices.describe("<script>/Windows") == "Unknown browser on Windows"
    assert devices.describe("Firefox/Plan 9") == "Firefox"


def test_the_list_shows_each_browser_with_its_days_and_no_address_or_time(runner):
    phone = log_in(browser(FIREFOX_ANDROID))
    laptop = log_in(browser(CHROME_WINDOWS))
    section = sessions_section(laptop)
    today = timezone.localdate()
    assert "Where you're signed in" in section
    assert "Chrome on Windows" in section and "Firefox on Android" in section
    # This browser first, marked, and without a "Sign out" of its own (that is "Log out").
    assert section.index("Chrome on Windows") < section.index("This browser") < section.index(
        "Firefox on Android")
    assert len(other_session_ids(laptop)) == 1
    day = f"{today.day} {today:%B} {today.year}"  # English DATE_FORMAT, "2 December 2026"
    assert f"Signed in on {day}, last used on {day}" in section
    assert "127.0.0.1" not in section  # the test client's address
    assert not re.search(r"\b\d{1,2}:\d{2}\b", section)  # no time of day
    assert key_of(phone) not in section and key_of(laptop) not in section
    # Only the coarse name is kept, never what the browser said.
    stored = set(Session.objects.filter(user=runner).values_list("device", flat=True))
    assert stored == {"Firefox/Android", "Chrome/Windows"}


def test_the_page_never_holds_a_session_key(runner):
    clients = [log_in(browser(agent)) for agent in (FIREFOX_ANDROID, CHROME_WINDOWS)]
    page = clients[0].get("/accounts/profile/").content.decode()
    for key in Session.objects.filter(user=runner).values_list("session_key", flat=True):
        assert key not in page


def test_sign_out_ends_that_browser_only(runner):
    phone = log_in(browser(FIREFOX_ANDROID))
    tablet = log_in(browser(SAFARI_IPHONE))
    laptop = log_in(browser(CHROME_WINDOWS))
    section = sessions_section(laptop)
    phone_id = sessions.row_id(key_of(phone))
    assert phone_id in section
    response = laptop.post("/accounts/sessions/sign-out/", {"session": phone_id})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/#sessions"
    page = laptop.get("/accounts/profile/").content.decode()
    assert "That browser is signed out." in page
    assert "Firefox on Android" not in sessions_section(laptop)
    assert not signed_in(phone)
    assert signed_in(tablet) and signed_in(laptop)


def test_sign_out_everywhere_else_keeps_this_browser(runner):
    others = [log_in(browser(agent)) for agent in (FIREFOX_ANDROID, SAFARI_IPHONE)]
    laptop = log_in(browser(CHROME_WINDOWS))
    response = laptop.post("/accounts/sessions/sign-out-others/")
    assert response["Location"] == "/accounts/profile/#sessions"
    assert not any(signed_in(other) for other in others)
    assert signed_in(laptop)
    assert list(Session.objects.filter(user=runner).values_list("session_key", flat=True)) == [
        key_of(laptop)]
    section = sessions_section(laptop)
    assert "Only this browser is signed in." in section
    assert "Sign out everywhere else" not in section


def test_another_persons_session_cannot_be_ended(runner, outsider):
    theirs = log_in(browser(FIREFOX_ANDROID), "outsider@example.com")
    mine = log_in(browser(CHROME_WINDOWS))
    their_id = sessions.row_id(key_of(theirs))
    assert mine.post("/accounts/sessions/sign-out/", {"session": their_id}).status_code == 404
    mine.post("/accounts/sessions/sign-out-others/")
    assert signed_in(theirs) and signed_in(mine)


@pytest.mark.parametrize("posted", [{}, {"session": "x" * 5000}, {"session": "\x00"},
                                    {"session": ["a", "b"]}])
def test_a_made_up_or_missing_id_is_not_found(runner, posted):
    other = log_in(browser(FIREFOX_ANDROID))
    laptop = log_in(browser(CHROME_WINDOWS))
    assert laptop.post("/accounts/sessions/sign-out/", posted).status_code == 404
    assert signed_in(other)


def test_this_browsers_own_id_does_not_sign_it_out_there(runner):
    laptop = log_in(browser(CHROME_WINDOWS))
    own = sessions.row_id(key_of(laptop))
    assert laptop.post("/accounts/sessions/sign-out/", {"session": own}).status_code == 404
    assert signed_in(laptop)


def test_get_changes_nothing(runner):
    other = log_in(browser(FIREFOX_ANDROID))
    laptop = log_in(browser(CHROME_WINDOWS))
    other_id = other_session_ids(laptop)[0]
    assert laptop.get("/accounts/sessions/sign-out/", {"session": other_id}).status_code == 405
    assert laptop.get("/accounts/sessions/sign-out-others/").status_code == 405
    assert Session.objects.filter(user=runner).count() == 2
    assert signed_in(other)


def test_signing_out_others_needs_the_csrf_token(runner):
    other = log_in(browser(FIREFOX_ANDROID))
    laptop = Client(enforce_csrf_checks=True)
    laptop.force_login(runner)
    assert laptop.post("/accounts/sessions/sign-out-others/").status_code == 403
    assert signed_in(other)


def test_signed_out_visitors_are_sent_to_log_in(client, runner):
    other = log_in(browser(FIREFOX_ANDROID))
    response = client.post("/accounts/sessions/sign-out-others/")
    assert response["Location"].startswith("/accounts/login/")
    assert signed_in(other)


def session_updates(queries):
    return [q for q in queries if q["sql"].startswith("UPDATE")
            and "accounts_session" in q["sql"]]


def test_last_used_is_written_at_most_once_a_day(runner):
    phone = log_in(browser(FIREFOX_ANDROID))
    key = key_of(phone)
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    Session.objects.filter(pk=key).update(started_on=yesterday - timedelta(days=3),
                                          last_used_on=yesterday)
    with CaptureQueriesContext(connection) as first:
        assert phone.get("/runs/mine/").status_code == 200
    assert len(session_updates(first.captured_queries)) == 1
    row = Session.objects.get(pk=key)
    assert row.last_used_on == today
    assert row.started_on == yesterday - timedelta(days=3)
    for _ in range(3):
        with CaptureQueriesContext(connection) as again:
            assert phone.get("/runs/mine/").status_code == 200
        assert session_updates(again.captured_queries) == []


def test_a_password_change_keeps_the_browser_and_its_day(runner):
    laptop = log_in(browser(CHROME_WINDOWS))
    other = log_in(browser(FIREFOX_ANDROID))
    earlier = timezone.localdate() - timedelta(days=5)
    Session.objects.filter(pk=key_of(laptop)).update(started_on=earlier)
    response = laptop.post("/accounts/profile/", {
        "form": "password", "old_password": PASSWORD,
        "new_password1": "another-long-password-9", "new_password2": "another-long-password-9"})
    assert response.status_code == 302
    assert not signed_in(other)  # as "Sign out everywhere else" does
    (row,) = Session.objects.filter(user=runner)
    assert row.session_key == key_of(laptop)  # a new key, the same browser
    assert (row.device, row.started_on) == ("Chrome/Windows", earlier)


def test_the_export_holds_each_browser_and_when_it_really_ends(runner):
    log_in(browser(FIREFOX_ANDROID), remember=True)
    laptop = log_in(browser(CHROME_WINDOWS))
    today = timezone.localdate().isoformat()
    exported = json.loads(laptop.get("/accounts/export/").content)["sessions"]
    by_browser = {entry["browser"]: entry for entry in exported}
    assert set(by_browser) == {"Firefox on Android", "Chrome on Windows"}
    for entry in exported:
        assert entry["signed_in_on"] == today and entry["last_used_on"] == today
    assert "this browser closes" in by_browser["Chrome on Windows"]["ends"]
    assert "Remember me" in by_browser["Firefox on Android"]["ends"]
    assert "30 days" not in json.dumps(exported)
    body = laptop.get("/accounts/export/").content.decode()
    assert "Mozilla" not in body
    for key in Session.objects.filter(user=runner).values_list("session_key", flat=True):
        assert key not in body


def test_the_register_and_erasure_cover_the_new_columns(runner):
    log_in(browser(FIREFOX_ANDROID))
    registered = {(f.model, f.field) for f in personal_data.fields()}
    for column in ("device", "started_on", "last_used_on"):
        assert ("accounts.Session", column) in registered
    personal_data.erase_for(runner)
    assert not Session.objects.filter(device="Firefox/Android").exists()


def test_the_policy_names_what_a_session_keeps(client, db):
    page = client.get("/privacy/").content.decode()
    for purpose in ("To tell your signed-in browsers apart on My account",
                    "To show you on My account when a browser signed in: the day only",
                    "To show you on My account when a browser was last used"):
        assert purpose in page
