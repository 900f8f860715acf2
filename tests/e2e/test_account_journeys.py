import json
import re
import time
from pathlib import Path

import pytest
from django.core import mail
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import open_menu

pytestmark = pytest.mark.browser

THIRTY_DAYS = 30 * 24 * 60 * 60


def session_cookie(context):
    cookies = [c for c in context.cookies() if c["name"] == "sessionid"]
    return cookies[0] if cookies else None


def log_in(page, email, password=PASSWORD, remember=False):
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    if remember:
        page.get_by_label("Remember me").check()
    page.get_by_role("button", name="Log in").click()


def test_anonymous_visit_gets_no_cookie_and_the_security_headers(page, context):
    response = page.goto("/")
    expect(page.get_by_role("heading", name="Run together.")).to_be_visible()
    assert context.cookies() == []
    headers = response.headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "camera=()" in headers["permissions-policy"]
    assert headers["cross-origin-opener-policy"] == "same-origin"


def test_pages_fit_a_phone_screen(page):
    for path in ("/", "/accounts/signup/", "/accounts/login/", "/privacy/"):
        page.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, path
        expect(page.locator("footer").get_by_text("info@join.run")).to_be_visible()


def test_sign_up_log_out_and_log_in_with_and_without_remember_me(page, context):
    page.goto("/")
    page.get_by_role("link", name="Sign in").click()
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Email").fill("maja@example.com")
    page.get_by_label("Display name").fill("Maja")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    # Signed up, not signed in: the same page as for an address that has an account.
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("link", name="My account")).to_have_count(0)
    assert session_cookie(context) is None
    log_in(page, "maja@example.com")
    open_menu(page)
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    expect(page.get_by_role("note").filter(has_text="Please confirm your email")
           ).to_contain_text("maja@example.com")

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="You are logged out")).to_be_visible()
    assert session_cookie(context) is None

    log_in(page, "maja@example.com", remember=True)
    open_menu(page)
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    remembered = session_cookie(context)
    assert abs(remembered["expires"] - (time.time() + THIRTY_DAYS)) < 120
    assert remembered["httpOnly"] is True
    assert remembered["sameSite"] == "Lax"

    page.get_by_role("button", name="Log out").click()
    log_in(page, "maja@example.com", remember=False)
    open_menu(page)
    expect(page.get_by_role("link", name="My account")).to_be_visible()
    assert session_cookie(context)["expires"] == -1  # ends when the browser closes


def test_confirming_from_the_emailed_link_in_a_browser_not_signed_in(page, context,
                                                                      live_server, settings):
    # She signed up on her laptop and opens the email on her phone: the link asks her to
    # log in, and brings her back to the button.
    settings.SITE_URL = live_server.url
    page.goto("/accounts/signup/")
    page.get_by_label("Email").fill("maja@example.com")
    page.get_by_label("Display name").fill("Maja")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    (confirmation,) = [m for m in mail.outbox if m.to == ["maja@example.com"]]
    link = re.search(r"http://\S+/accounts/confirm/\?token=\S+", confirmation.body)[0]

    page.goto(link)
    expect(page.get_by_text("This link confirms maja@example.com as the email of the join "
                            "run account “Maja”")).to_be_visible()
    expect(page.get_by_role("button", name="Confirm my email")).to_have_count(0)
    page.get_by_role("link", name="Log in to confirm").click()
    page.get_by_label("Email").fill("maja@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(link)
    page.get_by_role("button", name="Confirm my email").click()
    expect(page.get_by_text("Your email maja@example.com is confirmed.")).to_be_visible()
    assert User.objects.get(email="maja@example.com").email_confirmed


def test_wrong_password_shows_a_message(page):
    make_user("tina@example.com", "Tina")
    log_in(page, "tina@example.com", "not-my-password")
    expect(page.get_by_role("alert").get_by_text("do not match an account")).to_be_visible()


def test_download_my_data_then_delete_my_account(page, context):
    make_user("jure@example.com", "Jure")
    log_in(page, "jure@example.com")
    open_menu(page)
    page.get_by_role("link", name="My account").click()

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download my data").click()
    download = download_info.value
    assert download.suggested_filename.startswith("joinrun-data-")
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert data["account"]["email"] == "jure@example.com"

    page.get_by_role("link", name="Delete my account").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Delete my account").click()
    expect(page.get_by_role("heading", name="Your account is deleted")).to_be_visible()
    assert session_cookie(context) is None
    assert not User.objects.filter(email="jure@example.com").exists()

    log_in(page, "jure@example.com")
    expect(page.get_by_role("alert").get_by_text("do not match an account")).to_be_visible()
