""""Where you're signed in": Ana is signed in on her phone and her laptop; on the laptop she
sees both, and "Sign out everywhere else" signs the phone out."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.conftest import PASSWORD, make_user
from tests.e2e.axe import axe_context
from tests.e2e.conftest import PHONE
from tests.e2e.test_account_journeys import log_in
from tests.e2e.test_layout_proof import problems_on

pytestmark = pytest.mark.browser

FIREFOX_ANDROID = "Mozilla/5.0 (Android 14; Mobile; rv:133.0) Gecko/133.0 Firefox/133.0"
CHROME_WINDOWS = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                  "Gecko) Chrome/131.0.0.0 Safari/537.36")
SAMSUNG_ANDROID = ("Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like "
                   "Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36")


@pytest.fixture
def two_browsers(browser, live_server):
    opened = [
        browser.new_context(viewport=PHONE, user_agent=FIREFOX_ANDROID, base_url=live_server.url),
        browser.new_context(viewport={"width": 1280, "height": 800}, user_agent=CHROME_WINDOWS,
                            base_url=live_server.url),
    ]
    for context in opened:
        context.set_default_timeout(10_000)
    yield [context.new_page() for context in opened]
    for context in opened:
        context.close()


def test_sign_out_everywhere_else_ends_the_other_browsers_session(two_browsers, db):
    make_user("ana@example.com", "Ana")
    phone, laptop = two_browsers
    for page in (phone, laptop):
        log_in(page, "ana@example.com")
    phone.goto("/runs/mine/")
    expect(phone.get_by_role("heading", name="My runs")).to_be_visible()

    laptop.goto("/accounts/profile/")
    signed_in = laptop.get_by_role("region", name="Where you're signed in")
    rows = signed_in.get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Chrome on Windows")
    expect(rows.nth(0)).to_contain_text("This browser")
    expect(rows.nth(1)).to_contain_text("Firefox on Android")
    expect(rows.nth(1).get_by_role("button", name="Sign out")).to_be_visible()
    expect(signed_in).not_to_contain_text("127.0.0.1")

    signed_in.get_by_role("button", name="Sign out everywhere else").click()
    expect(laptop.get_by_text("Every other browser is signed out.")).to_be_visible()
    expect(laptop.get_by_role("region", name="Where you're signed in")
           .get_by_role("listitem")).to_have_count(1)
    expect(laptop.get_by_text("Only this browser is signed in.")).to_be_visible()

    # The phone's next page load is signed out: My runs asks it to log in.
    phone.goto("/runs/mine/")
    expect(phone.get_by_role("heading", name="Log in")).to_be_visible()
    assert "/accounts/login/" in phone.url
    # The laptop is still signed in.
    laptop.goto("/runs/mine/")
    expect(laptop.get_by_role("heading", name="My runs")).to_be_visible()


@pytest.mark.parametrize("width, scheme", [(320, "dark"), (1280, "light")])
def test_the_list_fits_the_screen_and_passes_axe(browser, live_server, db, width, scheme):
    ana = make_user("ana@example.com", "Ana")
    Client(HTTP_USER_AGENT=SAMSUNG_ANDROID).force_login(ana)  # another browser, unnamed
    for agent in (FIREFOX_ANDROID, SAMSUNG_ANDROID):
        assert Client(HTTP_USER_AGENT=agent).post("/accounts/login/", {
            "email": "ana@example.com", "password": PASSWORD}).status_code == 302
    with axe_context(browser, live_server.url, viewport={"width": width, "height": 800},
                     color_scheme=scheme, user_agent=CHROME_WINDOWS) as context:
        page = context.new_page()
        log_in(page, "ana@example.com")
        page.goto("/accounts/profile/")
        signed_in = page.get_by_role("region", name="Where you're signed in")
        expect(signed_in.get_by_role("button", name="Sign out", exact=True)).to_have_count(3)
        expect(signed_in).to_contain_text("Samsung Internet on Android")
        expect(signed_in).to_contain_text("Unknown browser")
        assert problems_on(page, f"My account at {width} px, {scheme}") == []
