"""Browser journeys: Playwright drives Debian's Chromium against the live test server.

In CI (CI=true) a missing Chromium fails the run; on a developer machine the browser
tests skip with the reason, so `make test` still works before `apt-get install chromium`.
"""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

# Playwright's sync API runs an event loop in this thread; the test code still talks to
# the database synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
]
PHONE = {"width": 390, "height": 844}

# As the contexts' default: expect() keeps its own 5 s otherwise, short for a journey's
# round trips on a busy machine.
expect.set_options(timeout=10_000)


def give_the_emailed_code(page):
    """A member of staff's first factor waits for the code emailed to the account
    (accounts/mailbox_proof.py): asked for, read from the email, typed."""
    import re

    from django.core import mail

    page.get_by_role("button", name="Email me a code").click()
    expect(page.get_by_label("Code from the email")).to_be_visible()
    (email,) = [m for m in mail.outbox if "set up two-step sign-in" in m.subject]
    page.get_by_label("Code from the email").fill(re.search(r"^ +(\d{8})$", email.body, re.M)[1])
    page.get_by_role("button", name="Continue").click()


def open_menu(page):
    """Opens the header's "Menu": on a phone, Clubs, My account and Log out wait there."""
    menu = page.get_by_role("navigation", name="Main").locator("details")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()


def sign_in_by_cookie(context, base_url, user):
    """Gives a browser ``context`` a session of ``user``'s, as if they had logged in (logging in
    has its own tests)."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base_url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def staff_sign_in(page, email):
    """Staff sign in for the staff pages: at /admin/, with the password and then a code
    from their authenticator app (one is set up for them when they have none)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User
    from tests.conftest import PASSWORD, code_for

    user = User.objects.get(email=email)
    app = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    app = app or TOTPDevice.objects.create(user=user, name="Test app", confirmed=True)
    page.goto("/admin/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_label("Code").fill(code_for(app))
    page.get_by_role("button", name="Continue").click()


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        reason = f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`"
        if os.environ.get("CI"):
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def context(browser, live_server):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, accept_downloads=True)
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()
