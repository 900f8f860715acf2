"""A member of staff's first visit to the staff pages sets up an authenticator app (after a
code emailed to them); the next sign-in needs its code. The test reads the key from the
page, as a person types it into an app, and computes the codes with django-otp's own TOTP."""

from base64 import b32decode

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD, code_for
from tests.e2e.conftest import give_the_emailed_code

pytestmark = pytest.mark.browser


def log_in_at_the_admin(page):
    page.goto("/admin/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_set_up_an_app_on_their_first_visit_and_need_it_from_then_on(page):
    User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    log_in_at_the_admin(page)

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    give_the_emailed_code(page)
    expect(page.locator("svg.qr-code")).to_be_visible()
    key = page.locator("#totp-key").inner_text()
    secret = key.replace(" ", "")
    app = TOTP(b32decode(secret + "=" * (-len(secret) % 8)))  # as an app would, 30 s, 6 digits
    page.get_by_label("Code").fill(f"{app.token():06d}")
    page.get_by_role("button", name="Turn on two-step sign-in").click()

    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()

    page.get_by_role("button", name="Log out").first.click()
    log_in_at_the_admin(page)
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.goto("/admin/accounts/user/")  # nothing opens before the code
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Code").fill(code_for(TOTPDevice.objects.get(confirmed=True)))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("heading", name="Select user to change")).to_be_visible()
