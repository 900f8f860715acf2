"""Passkeys in a real browser: Chromium's virtual authenticator (the DevTools Protocol's
WebAuthn domain, through a CDP session) stands in for a phone's screen lock.

Ana adds a passkey on My account, names it, and then signs in with it alone: no email, no
password. A member of staff with only a passkey gives it at the second step and reaches
the staff pages; one without any factor adds a passkey on their first visit."""

import pytest
from django_otp_webauthn.models import WebAuthnCredential
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.axe import axe_context
from tests.e2e.conftest import give_the_emailed_code, open_menu, sign_in_by_cookie
from tests.e2e.test_account_journeys import log_in
from tests.e2e.test_layout_proof import problems_on

pytestmark = pytest.mark.browser


@pytest.fixture
def passkeys_here(settings, live_server):
    """Passkeys for the live server's origin (http://localhost:<port>)."""
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert live_server.url.startswith("http://localhost:")


def authenticator(page):
    """A platform authenticator that keeps passkeys and answers at once, as a phone whose
    owner unlocks it; returns (its CDP session, its id)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    added = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
        "protocol": "ctap2", "transport": "internal", "hasResidentKey": True,
        "hasUserVerification": True, "isUserVerified": True,
        "automaticPresenceSimulation": True}})
    return cdp, added["authenticatorId"]


def stored_on(cdp, authenticator_id):
    return cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator_id})["credentials"]


def add_passkey(page, after_heading):
    page.get_by_role("button", name="Add a passkey").click()
    expect(page.get_by_text("Passkey added.")).to_be_visible()
    expect(page.get_by_role("heading", name=after_heading)).to_be_visible()


def test_a_runner_adds_a_passkey_names_it_and_signs_in_with_it_alone(
    page, passkeys_here, live_server
):
    ana = make_user("ana@example.com", "Ana")
    cdp, authenticator_id = authenticator(page)
    log_in(page, "ana@example.com")
    page.goto("/accounts/profile/")
    section = page.get_by_role("region", name="Passkeys")
    expect(section).to_contain_text("No passkeys yet.")

    add_passkey(page, "My account")
    assert len(stored_on(cdp, authenticator_id)) == 1
    section = page.get_by_role("region", name="Passkeys")
    expect(section.get_by_role("listitem")).to_have_count(1)
    expect(section).to_contain_text("not used yet")
    (passkey,) = WebAuthnCredential.objects.filter(user=ana)
    assert passkey.confirmed and passkey.discoverable
    assert not hasattr(passkey, "webauthnattestation")  # the attestation is not kept

    section.get_by_label("Name").fill("Ana's phone")
    section.get_by_role("button", name="Rename").click()
    expect(page.get_by_text("The passkey is now called “Ana's phone”.")).to_be_visible()
    # The page with a passkey listed fits, keeps its header on one line and passes axe
    # (in a browser that lets axe in; this one keeps the site's CSP, as a runner's does).
    with axe_context(page.context.browser, live_server.url) as checking:
        sign_in_by_cookie(checking, live_server.url, ana)
        checked = checking.new_page()
        checked.goto("/accounts/profile/")
        assert problems_on(checked, "My account with a passkey") == []

    open_menu(page)
    page.get_by_role("button", name="Log out").last.click()
    page.goto("/accounts/login/?next=/runs/mine/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    # Signed in, where the login page was going, without typing anything.
    expect(page.get_by_role("heading", name="My runs")).to_be_visible()
    assert page.url.endswith("/runs/mine/")
    page.goto("/accounts/profile/")
    expect(page.get_by_role("region", name="Passkeys")).to_contain_text("last used")
    session_cookie = [cookie for cookie in page.context.cookies() if cookie["name"] == "sessionid"]
    assert session_cookie and session_cookie[0]["expires"] == -1  # ends with the browser

    section = page.get_by_role("region", name="Passkeys")
    section.get_by_role("button", name="Remove passkey Ana's phone").click()
    expect(page.get_by_text("Passkey “Ana's phone” removed.")).to_be_visible()
    assert not WebAuthnCredential.objects.filter(user=ana).exists()


def test_a_visitor_asking_for_a_passkey_sign_in_gets_no_session_cookie(page, passkeys_here):
    make_user("ana@example.com", "Ana")
    authenticator(page)  # no passkey for this site on it
    page.goto("/accounts/login/")
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("status")).to_contain_text("Verification")
    assert [cookie["name"] for cookie in page.context.cookies()] == ["csrftoken"]


def test_staff_with_a_passkey_give_it_after_the_password_to_reach_the_staff_pages(
    page, passkeys_here
):
    User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    authenticator(page)
    page.goto("/admin/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # First visit: no factor yet. A passkey instead of an app.
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    give_the_emailed_code(page)
    add_passkey(page, "Site administration")

    page.goto("/accounts/profile/")
    open_menu(page)
    page.get_by_role("button", name="Log out").last.click()
    page.goto("/admin/")
    page.get_by_label("Email").fill("staff@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    expect(page.get_by_label("Code")).to_have_count(0)  # no app: the passkey is the step
    page.goto("/admin/")  # nothing else opens before it
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_role("button", name="Use a passkey").click()
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
