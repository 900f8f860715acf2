"""Two-step sign-in: staff need it for the staff pages, a runner may turn it on.

Everyone here signs in through the pages (never force_login, which stands for a whole
sign-in), and the codes come from django-otp's own TOTP, as an authenticator app's would."""

import getpass
import re
import time
from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts.models import Session, User
from joinrun import personal_data
from tests.accounts.test_passkeys import passkey_of
from tests.conftest import PASSWORD, code_for, make_user
from tests.strava.test_connect import connect_through_strava

LOGIN = "/accounts/login/"
SETUP = "/accounts/two-factor/setup/"
SECOND_STEP = "/accounts/two-factor/"


def log_in(client, email, next_page="/admin/"):
    return client.post(LOGIN, {"email": email, "password": PASSWORD, "next": next_page})


MAILBOX_SUBJECT = "Your code to set up two-step sign-in on join run"


def emailed_code():
    email = [m for m in mail.outbox if m.subject == MAILBOX_SUBJECT][-1]
    return re.search(r"^ +(\d{8})$", email.body, re.M)[1]


def prove_mailbox(client):
    """A member of staff's first factor waits for the code emailed to the account."""
    if "Email me a code" not in client.get(SETUP).content.decode():
        return
    assert client.post(SETUP, {"send": "1"}).status_code == 302
    assert client.post(SETUP, {"mailbox_code": emailed_code()}).status_code == 302


def set_up(client):
    """Goes through setup as the signed-in account; returns its app and recovery codes."""
    prove_mailbox(client)
    page = client.get(SETUP).content.decode()
    assert "<svg" in page
    key = re.search(r'id="totp-key">([A-Z2-7 ]+)<', page)[1]
    app = TOTPDevice.objects.get(confirmed=False)
    assert key.replace(" ", "") == app.config_url.split("secret=")[1].split("&")[0]
    response = client.post(SETUP, {"code": code_for(app), "next": "/admin/"})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    return app, codes


def signed_in_in_full(email, app):
    """A new browser past the password and the code."""
    client = Client()
    log_in(client, email)
    assert client.post(SECOND_STEP, {"code": code_for(app)}).status_code == 302
    return client


@pytest.fixture
def staff(db):
    return User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")


@pytest.fixture
def staff_with_app(staff):
    client = Client()
    log_in(client, staff.email)
    app, codes = set_up(client)
    return app, codes


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client, staff):
    response = log_in(client, staff.email)
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    # Not one staff page opens meanwhile: the admin sends them to setup, not to a 403.
    for path in ("/admin/", "/admin/accounts/user/", f"/admin/accounts/user/{staff.pk}/change/"):
        response = client.get(path, follow=True)
        assert response.redirect_chain[-1][0].startswith(SETUP), path
        assert response.status_code == 200


def test_staff_set_up_an_app_then_open_the_admin(client, staff):
    log_in(client, staff.email)
    prove_mailbox(client)
    page = client.get(f"{SETUP}?next=/admin/").content.decode()
    assert "Scan this QR code" in page
    assert re.search(r'id="totp-key">([A-Z2-7]{4} ){7}[A-Z2-7]{4}<', page)  # 32 in fours
    assert "data:" not in page  # the QR code is inline SVG, allowed by the CSP

    app, codes = set_up(client)

    assert len(codes) == len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=staff).confirmed
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200


def test_no_staff_page_shows_someones_key_or_recovery_codes(staff_with_app, staff):
    client = Client()
    log_in(client, staff.email)
    client.post(SECOND_STEP, {"code": code_for(staff_with_app[0])})
    assert client.get("/admin/").status_code == 200
    for path in ("/admin/otp_totp/totpdevice/", "/admin/otp_static/staticdevice/"):
        assert client.get(path).status_code == 404


def test_showing_setup_changes_nothing_that_counts(client, staff):
    log_in(client, staff.email)
    prove_mailbox(client)
    first = client.get(SETUP).content.decode()
    again = client.get(SETUP).content.decode()
    key = re.compile(r'id="totp-key">([A-Z2-7 ]+)<')
    assert key.search(first)[1] == key.search(again)[1]  # scanning, then reloading
    assert TOTPDevice.objects.filter(user=staff, confirmed=False).count() == 1
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert not StaticDevice.objects.exists()
    assert client.get("/admin/").status_code == 302


# A stolen password cannot set up the thief's own factor: the mailbox comes first


def test_a_password_alone_sets_up_no_factor_for_staff(client, staff):
    log_in(client, staff.email)

    page = client.get(SETUP).content.decode()
    assert "we send a code to staff@example.com" in page and "totp-key" not in page
    assert client.post(SETUP, {"code": "123456"}).status_code == 400  # no key to confirm
    refused = client.post("/accounts/passkeys/add/begin/")
    assert refused.status_code == 403 and refused.json()["code"] == "mailbox_first"
    assert not TOTPDevice.objects.exists()
    assert client.get("/admin/", follow=True).redirect_chain[-1][0].startswith(SETUP)


def test_a_password_alone_opens_nothing_else_of_a_staff_account(client, staff):
    """Found in a review: My account was open, so someone with the password changed the
    address (to receive the setup code themselves) or downloaded the data, whose queued
    emails held the code."""
    log_in(client, staff.email)
    client.post(SETUP, {"send": "1"})

    changed = client.post("/accounts/profile/", {"form": "email", "email": "thief@example.org",
                                                 "current_password": PASSWORD})
    assert changed.status_code == 302 and changed["Location"].startswith(SETUP)
    staff.refresh_from_db()
    assert staff.email == "staff@example.com"
    assert [m.to for m in mail.outbox] == [["staff@example.com"]]  # the code, nothing else
    for path in ("/accounts/profile/", "/accounts/export/", "/runs/", "/runs/new/"):
        assert client.get(path)["Location"].startswith(SETUP), path
    assert client.post(SECOND_STEP, {"code": "123456"})["Location"].startswith(SETUP)


def test_an_account_made_staff_sets_up_a_factor_again_after_the_emailed_code(db):
    """Someone with a runner's password could add an app or a passkey; once the account
    is made staff, those must not open the staff pages."""
    rok = make_user("rok@example.com", "Rok")
    browser = Client()
    log_in(browser, rok.email, next_page="/accounts/profile/")
    set_up(browser)
    passkey_of(rok)
    assert Session.objects.filter(user=rok).exists()

    rok.is_staff = True
    rok.save()

    assert not TOTPDevice.objects.filter(user=rok).exists()
    assert not StaticDevice.objects.filter(user=rok).exists()
    assert not WebAuthnCredential.objects.filter(user=rok).exists()
    assert not Session.objects.filter(user=rok).exists()
    again = Client()
    assert log_in(again, rok.email)["Location"].startswith(SETUP)
    assert "Email me a code" in again.get(SETUP).content.decode()
    rok.save()  # saved again as staff: nothing more goes
    assert Session.objects.filter(user=rok).exists()


def test_a_staff_account_without_an_address_is_told_why_no_code_comes(client, db):
    sven = User.objects.create_user(None, None, display_name="Sven", is_staff=True)
    client.force_login(sven)  # a stand-in app and its step (tests/conftest.py): not here
    TOTPDevice.objects.filter(user=sven).delete()
    session = client.session
    session.pop("otp_device_id", None)
    session.save()

    page = client.get(SETUP).content.decode()
    assert "This account has no email address to send the code to." in page
    assert "Email me a code" not in page
    response = client.post(SETUP, {"send": "1"}, follow=True)  # a form from before

    assert "This account has no email address to send the code to." in (
        response.content.decode())
    assert mail.outbox == []


def test_a_staff_session_from_before_the_second_step_existed_gives_it_first(
        staff_with_app, staff):
    """A session signed in with the password but never marked for the second step (say,
    from before it existed) opens nothing until it gives the code."""
    app, _codes = staff_with_app
    client = Client()
    log_in(client, staff.email)
    session = client.session
    session.pop("second_step_pending")
    session.save()

    assert client.get("/accounts/profile/")["Location"].startswith(SECOND_STEP)
    client.post(SECOND_STEP, {"code": code_for(app)})
    assert client.get("/accounts/profile/").status_code == 200


def test_a_bookmarked_admin_login_page_leads_into_the_admin_once_verified(client, staff):
    log_in(client, staff.email)
    response = client.get("/admin/login/?next=/admin/", follow=True)
    assert response.redirect_chain[-1][0].startswith(SETUP)
    set_up(client)
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"] == "/admin/"


def test_the_emailed_code_opens_setup_in_the_session_that_asked(client, staff):
    log_in(client, staff.email)
    response = client.post(SETUP, {"send": "1", "next": "/admin/"})
    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    (email,) = mail.outbox
    assert email.to == ["staff@example.com"] and email.subject == MAILBOX_SUBJECT
    assert "15 minutes" in email.body and "/accounts/password-reset/" in email.body
    code = emailed_code()
    other = Client()  # the same password in another browser: this session's code only
    log_in(other, staff.email)
    assert other.post(SETUP, {"mailbox_code": code}).status_code == 400

    response = client.post(SETUP, {"mailbox_code": f" {code[:4]} {code[4:]} ",
                                   "next": "/admin/"})

    assert response["Location"] == f"{SETUP}?next=%2Fadmin%2F"
    assert "Scan this QR code" in client.get(response["Location"]).content.decode()
    assert "Scan this QR code" not in other.get(SETUP).content.decode()


def test_a_wrong_emailed_code_is_refused_and_five_use_it_up(client, staff):
    log_in(client, staff.email)
    client.post(SETUP, {"send": "1"})
    code = emailed_code()
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(4):
        response = client.post(SETUP, {"mailbox_code": wrong})
        assert response.status_code == 400
        assert "That is not the code we emailed" in response.content.decode()
    client.post(SETUP, {"mailbox_code": wrong})  # the fifth: the code is used up
    assert client.post(SETUP, {"mailbox_code": code}).status_code == 400
    for nonsense in ("", "x" * 500, "\x00"):
        assert client.post(SETUP, {"mailbox_code": nonsense}).status_code == 400

    client.post(SETUP, {"send": "1"})  # a new one works
    assert client.post(SETUP, {"mailbox_code": emailed_code()}).status_code == 302


def test_an_emailed_code_works_for_15_minutes(client, staff, monkeypatch):
    log_in(client, staff.email)
    client.post(SETUP, {"send": "1"})
    later = time.time() + 15 * 60 + 1
    monkeypatch.setattr("accounts.mailbox_proof.time.time", lambda: later)
    assert client.post(SETUP, {"mailbox_code": emailed_code()}).status_code == 400


def test_codes_are_emailed_five_times_an_hour_at_most(client, staff):
    log_in(client, staff.email)
    for _ in range(5):
        assert client.post(SETUP, {"send": "1"}).status_code == 302
    response = client.post(SETUP, {"send": "1"})
    assert response.status_code == 429
    assert "We have emailed as many codes as an hour allows." in response.content.decode()
    assert len(mail.outbox) == 5


def test_a_runner_sets_up_an_app_without_the_emailed_code(db):
    make_user("rok@example.com", "Rok")
    client = Client()
    log_in(client, "rok@example.com", next_page="/accounts/profile/")
    assert "Scan this QR code" in client.get(SETUP).content.decode()


def test_a_new_session_needs_the_code_again(staff_with_app, staff):
    app, _codes = staff_with_app
    client = Client()
    response = log_in(client, staff.email)
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fadmin%2F"
    # Signed in, but nothing opens before the code: the admin and the site's own pages.
    assert client.get("/admin/")["Location"].startswith(SECOND_STEP)
    assert client.get("/accounts/profile/")["Location"].startswith(SECOND_STEP)

    response = client.post(SECOND_STEP, {"code": code_for(app), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_wrong_code_is_refused_with_a_message(staff_with_app, staff):
    app, _codes = staff_with_app
    client = Client()
    log_in(client, staff.email)
    wrong = f"{(int(code_for(app)) + 1) % 10**6:06d}"
    response = client.post(SECOND_STEP, {"code": wrong})
    assert response.status_code == 400
    assert "That code is not right" in response.content.decode()
    for nonsense in ("", "x" * 500, "12 34", "\x00"):
        assert client.post(SECOND_STEP, {"code": nonsense}).status_code == 400
    assert client.get("/admin/").status_code == 302


def test_a_recovery_code_works_once(staff_with_app, staff):
    _app, codes = staff_with_app
    first = Client()
    log_in(first, staff.email)
    response = first.post(SECOND_STEP, {"code": codes[0].upper()}, follow=True)
    assert first.get("/admin/").status_code == 200
    assert "9 are left" in response.content.decode()

    second = Client()
    log_in(second, staff.email)
    response = second.post(SECOND_STEP, {"code": codes[0]})
    assert response.status_code == 400
    assert second.get("/admin/").status_code == 302


def test_after_a_wrong_code_even_the_right_one_waits(staff_with_app, staff, settings):
    # django-otp's wait after one wrong code is this many seconds (1 by default, which a
    # slow machine can spend between two requests).
    settings.OTP_TOTP_THROTTLE_FACTOR = 30
    app, _codes = staff_with_app
    client = Client()
    log_in(client, staff.email)
    client.post(SECOND_STEP, {"code": "000000" if code_for(app) != "000000" else "111111"})
    response = client.post(SECOND_STEP, {"code": code_for(app)})
    assert response.status_code == 400
    # django-otp's true wait, rounded up
    assert re.search(r"wait (29|30) seconds, then", response.content.decode())
    assert client.get("/admin/").status_code == 302


def test_many_wrong_codes_pause_the_second_step(staff_with_app, staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0  # django-otp's own wait off: the site's limit
    settings.LOGIN_RATE_LIMIT = 3
    app, _codes = staff_with_app
    client = Client()
    log_in(client, staff.email)
    wrong = f"{(int(code_for(app)) + 5) % 10**6:06d}"
    for _ in range(3):
        assert client.post(SECOND_STEP, {"code": wrong}).status_code == 400
    response = client.post(SECOND_STEP, {"code": code_for(app)})
    assert response.status_code == 429
    assert client.get("/admin/").status_code == 302


def test_a_runner_without_an_app_logs_in_as_before(client, runner):
    response = log_in(client, runner.email, next_page="/runs/mine/")
    assert response["Location"] == "/runs/mine/"
    assert client.get("/runs/mine/").status_code == 200
    assert client.get("/admin/").status_code == 302  # still no staff pages
    assert client.get("/admin/login/").status_code == 403


def test_a_runner_turns_it_on_on_my_account_and_is_then_asked(client, runner):
    log_in(client, runner.email)
    page = client.get("/accounts/profile/").content.decode()
    assert "Two-step sign-in" in page and f'href="{SETUP}"' in page
    app, codes = set_up(client)
    page = client.get("/accounts/profile/").content.decode()
    assert "On since" in page and "10 recovery codes left" in page

    other = Client()
    assert log_in(other, runner.email, next_page="/runs/mine/")["Location"] == (
        f"{SECOND_STEP}?next=%2Fruns%2Fmine%2F")
    assert other.get("/runs/mine/").status_code == 302
    response = other.post(SECOND_STEP, {"code": code_for(app), "next": "/runs/mine/"})
    assert response["Location"] == "/runs/mine/"
    assert other.get("/runs/mine/").status_code == 200


def test_signing_in_with_strava_also_asks_for_the_code(client, fake_strava, db):
    athlete_id = fake_strava.add_athlete("Maja", "Novak")
    connect_through_strava(client, "/runs/")
    maja = User.objects.get(strava__athlete_id=athlete_id)
    app, _codes = set_up(client)

    other = Client()
    response = connect_through_strava(other, "/runs/mine/")
    assert response["Location"] == f"{SECOND_STEP}?next=%2Fruns%2Fmine%2F"
    assert other.get("/runs/mine/").status_code == 302
    other.post(SECOND_STEP, {"code": code_for(app)})
    assert other.get("/runs/mine/").status_code == 200
    assert Session.objects.filter(user=maja).count() == 2


def test_turning_it_off_needs_a_code_or_the_password(client, runner, mailoutbox):
    log_in(client, runner.email)
    set_up(client)
    response = client.post("/accounts/two-factor/off/", {"confirmation": "not my password"})
    assert response.status_code == 400
    assert "neither a current code nor your password" in response.content.decode()
    assert TOTPDevice.objects.filter(user=runner).exists()

    response = client.post("/accounts/two-factor/off/", {"confirmation": PASSWORD})
    assert response["Location"] == "/accounts/profile/"
    assert not TOTPDevice.objects.filter(user=runner).exists()
    assert not StaticToken.objects.exists()
    assert log_in(Client(), runner.email, next_page="/runs/")["Location"] == "/runs/"
    entry = LogEntry.objects.get(object_id=str(runner.pk))  # in the staff pages' history
    assert entry.user == runner
    assert entry.get_change_message() == (
        "Second factor turned off by the account itself on My account")
    # The owner hears of it: a password alone opens the account again.
    (email,) = [email for email in mailoutbox if "Two-step" in email.subject]
    assert email.to == [runner.email]
    assert email.subject == "Two-step sign-in is off on your join run account"
    assert "no code is asked for after your password" in email.body
    assert "/accounts/password-reset/" in email.body


def test_new_recovery_codes_need_a_code_and_replace_the_old_ones(client, runner, settings):
    # No wait after the wrong codes below (django-otp's, per device).
    settings.OTP_TOTP_THROTTLE_FACTOR = settings.OTP_STATIC_THROTTLE_FACTOR = 0
    log_in(client, runner.email)
    app, old_codes = set_up(client)
    url = "/accounts/two-factor/recovery-codes/"
    assert client.post(url, {"code": "123"}).status_code == 400
    assert client.get(url).status_code == 200
    response = client.post(url, {"code": code_for(app)})
    new_codes = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)

    other = Client()
    log_in(other, runner.email)
    assert other.post(SECOND_STEP, {"code": old_codes[0]}).status_code == 400
    other = Client()
    log_in(other, runner.email)
    assert other.post(SECOND_STEP, {"code": new_codes[0]}).status_code == 302


def test_logging_out_works_before_the_second_step(staff_with_app, staff):
    client = Client()
    log_in(client, staff.email)
    assert client.post("/accounts/logout/").status_code == 200
    assert client.get("/admin/")["Location"].startswith("/admin/login/")


def test_a_superuser_resets_someones_second_factor(staff_with_app, staff, monkeypatch,
                                                  mailoutbox):
    monkeypatch.setattr(getpass, "getuser", lambda: "ops-ana")
    boss = User.objects.create_superuser("boss@example.com", PASSWORD, display_name="Boss")
    signed_in = Client()
    log_in(signed_in, staff.email)
    assert Session.objects.filter(user=staff).exists()

    call_command("reset_second_factor", "Staff@example.com", by="boss@example.com")

    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert not StaticDevice.objects.filter(user=staff).exists()
    assert not Session.objects.filter(user=staff).exists()
    entry = LogEntry.objects.get(object_id=str(staff.pk))
    assert entry.user == boss
    assert entry.get_change_message() == (
        "Second factor reset by manage.py reset_second_factor (run as ops-ana)")
    (email,) = [email for email in mailoutbox if "Two-step" in email.subject]
    assert email.to == [staff.email] and "staff removed your authenticator app" in email.body
    # The next sign-in starts setup again.
    assert log_in(Client(), staff.email)["Location"].startswith(SETUP)


def test_the_reset_needs_a_superuser_to_name(staff_with_app, staff):
    helper = make_user("helper@example.com", "Helper", is_staff=True)
    with pytest.raises(CommandError):
        call_command("reset_second_factor", staff.email)
    with pytest.raises(CommandError, match="superuser"):
        call_command("reset_second_factor", staff.email, by=helper.email)
    with pytest.raises(CommandError, match="No account"):
        call_command("reset_second_factor", "nobody@example.com", by=staff.email)
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).exists()
    assert not LogEntry.objects.exists()


def test_the_export_says_an_app_is_set_up_and_never_holds_its_key(client, runner):
    log_in(client, runner.email)
    app, codes = set_up(client)
    response = client.get("/accounts/export/")
    body = response.content.decode()
    section = response.json()["second_factor"]
    assert section["authenticator_apps"][0]["summary"].startswith(
        "An authenticator app is set up since")
    assert section["recovery_codes"][0]["codes_left"] == 10
    assert app.key not in body and app.config_url.split("secret=")[1][:16] not in body
    assert not any(code in body for code in codes)


def test_erasing_the_account_erases_its_second_factor(client, runner):
    log_in(client, runner.email)
    set_up(client)
    personal_data.erase_for(User.objects.get(pk=runner.pk))
    assert not TOTPDevice.objects.exists()
    assert not StaticDevice.objects.exists() and not StaticToken.objects.exists()


def test_the_policy_names_what_two_step_sign_in_keeps(client, db):
    page = client.get("/privacy/").content.decode()
    assert "Your authenticator app" in page and "Unused recovery codes" in page


# The review of the first version (findings 1 to 5)


def test_a_session_from_before_the_app_was_set_up_cannot_remove_it(staff):
    # Someone with the password signs in before the owner sets up an app, and waits.
    thief = Client()
    log_in(thief, staff.email)
    owner = Client()
    log_in(owner, staff.email)
    set_up(owner)

    assert thief.get("/accounts/profile/")["Location"].startswith(LOGIN)  # signed out
    thief.post("/accounts/two-factor/off/", {"confirmation": PASSWORD})
    thief.get(SETUP)
    assert TOTPDevice.objects.filter(user=staff, confirmed=True).count() == 1
    assert StaticToken.objects.filter(device__user=staff).count() == 10
    assert thief.get("/admin/").status_code == 302
    assert owner.get("/admin/").status_code == 200  # the owner's own session stays


def test_a_session_without_the_code_cannot_turn_it_off_or_make_new_codes(client, runner):
    app = TOTPDevice.objects.create(user=runner, name="Phone", confirmed=True)
    client.force_login(runner)  # signed in, but no code given in this session

    response = client.post("/accounts/two-factor/off/", {"confirmation": PASSWORD})
    assert response["Location"] == SECOND_STEP
    response = client.post("/accounts/two-factor/recovery-codes/", {"code": code_for(app)})
    assert response["Location"] == SECOND_STEP
    assert client.get("/accounts/two-factor/off/")["Location"] == (
        f"{SECOND_STEP}?next=%2Faccounts%2Ftwo-factor%2Foff%2F")
    assert TOTPDevice.objects.filter(user=runner).exists()
    assert not StaticDevice.objects.exists()


def test_staff_turn_it_off_with_a_code_not_the_password(staff_with_app, staff):
    app, _codes = staff_with_app
    client = signed_in_in_full(staff.email, app)
    page = client.get("/accounts/two-factor/off/").content.decode()
    assert "Code or password" not in page

    response = client.post("/accounts/two-factor/off/", {"confirmation": PASSWORD})
    assert response.status_code == 400
    assert "not a current code from your app" in response.content.decode()
    assert TOTPDevice.objects.filter(user=staff).exists()

    response = client.post("/accounts/two-factor/off/", {"confirmation": code_for(app)})
    assert response["Location"] == "/accounts/profile/"
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert LogEntry.objects.get(object_id=str(staff.pk)).user == staff
    assert client.get("/admin/").status_code == 302  # the staff pages want a new app


def test_a_key_shown_to_another_session_cannot_be_confirmed(staff):
    # (Someone who had the password and, once, the mailbox too.)
    thief = Client()
    log_in(thief, staff.email)
    prove_mailbox(thief)
    thief.get(SETUP)
    planted = TOTPDevice.objects.get(user=staff, confirmed=False)
    owner = Client()
    log_in(owner, staff.email)
    prove_mailbox(owner)

    # A code for the planted key, posted by a session that was never shown it.
    response = owner.post(SETUP, {"code": code_for(planted)})
    assert response["Location"] == SETUP
    assert not TOTPDevice.objects.filter(confirmed=True).exists()

    # Setting up shows the owner a new key, and the planted one is gone.
    key = re.compile(r'id="totp-key">([A-Z2-7 ]+)<')
    shown = key.search(owner.get(SETUP).content.decode())[1]
    assert not TOTPDevice.objects.filter(pk=planted.pk).exists()
    app, _codes = set_up(owner)
    assert app.pk != planted.pk and app.key != planted.key
    assert shown.replace(" ", "") == app.config_url.split("secret=")[1].split("&")[0]
    assert thief.post(SETUP, {"code": "123456"})["Location"].startswith(LOGIN)  # ended


def test_the_wait_after_many_wrong_codes_is_told_and_capped(staff_with_app, staff):
    app, _codes = staff_with_app
    # Twenty wrong codes in a row: django-otp alone would want about six days' wait.
    TOTPDevice.objects.filter(pk=app.pk).update(
        throttling_failure_count=20, throttling_failure_timestamp=timezone.now())
    client = Client()
    log_in(client, staff.email)
    response = client.post(SECOND_STEP, {"code": code_for(app)})
    assert response.status_code == 400
    assert "wait 5 minutes, then try again" in response.content.decode()  # 256 s at most

    TOTPDevice.objects.filter(pk=app.pk).update(
        throttling_failure_count=20,
        throttling_failure_timestamp=timezone.now() - timedelta(seconds=257))
    assert client.post(SECOND_STEP, {"code": code_for(app)}).status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_of_digits_only_works(staff_with_app, staff):
    StaticToken.objects.filter(device__user=staff).delete()
    StaticToken.objects.create(device=StaticDevice.objects.get(user=staff), token="23456723")
    client = Client()
    log_in(client, staff.email)
    response = client.post(SECOND_STEP, {"code": "2345 6723"})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not StaticToken.objects.exists()


def test_the_reset_says_when_there_is_nothing_to_remove(staff, capsys):
    boss = User.objects.create_superuser("boss@example.com", PASSWORD, display_name="Boss")
    signed_in = Client()
    log_in(signed_in, staff.email)

    call_command("reset_second_factor", staff.email, by=boss.email)

    assert "Nothing to remove" in capsys.readouterr().out
    assert not LogEntry.objects.exists()
    assert Session.objects.filter(user=staff).exists()
