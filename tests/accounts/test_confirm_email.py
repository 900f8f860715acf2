"""Confirming an address: the emailed link opens a page, its button (a POST) confirms,
only for the account the link is for, signed in; expired, tampered and used links are
refused with a 400 that says which."""

import time
from types import SimpleNamespace
from urllib.parse import quote, urlencode
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core import mail, signing
from django.core.exceptions import PermissionDenied
from django.test import Client

from accounts import tokens
from accounts.models import User
from tests.accounts.test_profile import confirm_link, press_confirm
from tests.conftest import PASSWORD, make_user

CONFIRM = "/accounts/confirm/"
RESEND = "/accounts/confirm/resend/"
PROFILE = "/accounts/profile/"
LOGIN = "/accounts/login/"


def log_in(client, email, next_page=None):
    data = {"email": email, "password": PASSWORD}
    if next_page:
        data["next"] = next_page
    return client.post(LOGIN, data)


@pytest.fixture
def newcomer(client, db):
    """A browser that has just signed up as Nina and logged in, as the "check your email"
    page says: (client, her unconfirmed account)."""
    client.post("/accounts/signup/", {"email": "nina@example.com", "display_name": "Nina",
                                      "password": PASSWORD})
    assert log_in(client, "nina@example.com").status_code == 302
    return client, User.objects.get(email="nina@example.com")


def link_signed(user, *, days_ago, monkeypatch, email=None):
    with monkeypatch.context() as patch:
        signed_at = time.time() - days_ago * 24 * 3600
        patch.setattr(signing, "time", SimpleNamespace(time=lambda: signed_at))
        return f"{CONFIRM}?token={tokens.make_confirm_token(user, email)}"


def test_opening_the_link_shows_a_button_and_confirms_nothing(newcomer):
    client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    for _ in range(2):  # a mail scanner, then the person
        page = client.get(link)
        assert page.status_code == 200
        assert "Confirm my email" in page.content.decode()
        assert "nina@example.com" in page.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_the_button_confirms_and_returns_to_my_account(newcomer):
    client, user = newcomer
    response = press_confirm(client, confirm_link(mail.outbox[-1]))
    assert response["Location"] == PROFILE
    user.refresh_from_db()
    assert user.email_confirmed
    assert "Your email nina@example.com is confirmed" in client.get(PROFILE).content.decode()


def test_the_page_names_what_it_confirms(newcomer):
    client, user = newcomer
    page = client.get(confirm_link(mail.outbox[-1])).content.decode()
    joined = user.date_joined.astimezone(ZoneInfo(settings.TIME_ZONE))
    assert ("This link confirms nina@example.com as the email of the join run account "
            f"“Nina”, made on {joined:%A} {joined.day} {joined:%B %Y, %H:%M}, Ljubljana time."
            ) in page


def test_a_visitor_not_signed_in_is_asked_to_log_in_and_changes_nothing(newcomer):
    _client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    phone = Client()
    page = phone.get(link)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Only that account can confirm it" in text
    assert "If you did not sign up for join run" in text
    assert "nina@example.com" in text and "“Nina”" in text
    assert 'name="token"' not in text  # no button
    assert f'href="{LOGIN}?{urlencode({"next": link}).replace("&", "&amp;")}"' in text
    assert ">Log in to confirm<" in text

    response = press_confirm(phone, link)
    assert response.status_code == 403
    assert "Log in to confirm" in response.content.decode()
    assert "sessionid" not in response.cookies
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_log_in_to_confirm_leads_back_to_the_button(newcomer):
    _client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    phone = Client()
    login_page = phone.get(f"{LOGIN}?{urlencode({'next': link})}").content.decode()
    assert f'name="next" value="{link}"' in login_page
    response = log_in(phone, "nina@example.com", next_page=link)
    assert response["Location"] == link
    page = phone.get(link).content.decode()
    assert "Confirm my email" in page and 'name="token"' in page
    assert press_confirm(phone, link)["Location"] == PROFILE
    user.refresh_from_db()
    assert user.email_confirmed


def test_another_account_signed_in_cannot_confirm(newcomer, outsider):
    _client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    other = Client()
    other.force_login(outsider)
    page = other.get(link).content.decode()
    assert "You are logged in to another account now" in page
    assert "Log out and log in to confirm" in page
    assert 'name="token"' not in page
    assert press_confirm(other, link).status_code == 403
    user.refresh_from_db()
    outsider.refresh_from_db()
    assert user.email_confirmed_at is None
    assert outsider.email == "outsider@example.com"

    # "Log out and log in to confirm": signed out, on to the login page, back to the link.
    response = other.post("/accounts/logout/", {"next": link})
    assert response["Location"] == f"{LOGIN}?next={quote(link, safe='/')}"
    assert other.get(PROFILE).status_code == 302
    assert log_in(other, "nina@example.com", next_page=link)["Location"] == link
    assert press_confirm(other, link)["Location"] == PROFILE
    user.refresh_from_db()
    assert user.email_confirmed


def test_the_owner_of_an_address_cannot_confirm_a_strangers_sign_up(client, db):
    # A stranger signs up with Nina's address; Nina gets the link and presses the button.
    client.post("/accounts/signup/", {"email": "nina@example.com", "display_name": "Squatter",
                                      "password": PASSWORD})
    link = confirm_link(mail.outbox[-1])
    nina = Client()
    page = nina.get(link).content.decode()
    assert "“Squatter”" in page  # she can tell it is not hers
    assert press_confirm(nina, link).status_code == 403
    assert not User.objects.get(email="nina@example.com").email_confirmed


def test_the_owner_of_a_new_address_cannot_confirm_the_change(runner_client, runner, outsider):
    # Ana mistypes her new address: it is Cene's, who has an account of his own (signed
    # in) or opens the link signed out. Neither can switch Ana's account to his address,
    # which would let him reset her password.
    runner_client.post(PROFILE, {"form": "email", "email": "typo@example.org",
                                 "current_password": PASSWORD})
    link = confirm_link(next(m for m in mail.outbox if m.to == ["typo@example.org"]))
    page = Client().get(link).content.decode()
    assert ("This link changes the email of the join run account “Ana” to "
            "typo@example.org.") in page
    cene = Client()
    cene.force_login(outsider)
    for stranger in (Client(), cene):
        assert press_confirm(stranger, link).status_code == 403
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"
    # Ana herself, signed in, confirms it.
    assert press_confirm(runner_client, link)["Location"] == PROFILE
    runner.refresh_from_db()
    assert runner.email == "typo@example.org"


def test_confirm_refuses_a_token_for_another_account(newcomer, outsider):
    _client, user = newcomer
    token = confirm_link(mail.outbox[-1]).partition("?token=")[2]
    with pytest.raises(PermissionDenied):
        tokens.confirm(token, account=outsider)
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_the_button_needs_the_csrf_token(newcomer):
    _client, user = newcomer
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    link = confirm_link(mail.outbox[-1])
    assert "csrfmiddlewaretoken" in browser.get(link).content.decode()
    response = press_confirm(browser, link)
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_a_used_link_is_refused_and_changes_nothing_twice(newcomer):
    client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    press_confirm(client, link)
    user.refresh_from_db()
    confirmed_at = user.email_confirmed_at

    for response in (client.get(link), press_confirm(client, link)):
        assert response.status_code == 400
        assert "It was used already" in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at == confirmed_at


def test_a_link_two_days_old_still_works(newcomer, monkeypatch):
    client, user = newcomer
    assert press_confirm(client, link_signed(user, days_ago=2, monkeypatch=monkeypatch))[
        "Location"] == PROFILE
    user.refresh_from_db()
    assert user.email_confirmed


def test_an_expired_link_says_so_and_offers_a_new_one(newcomer, monkeypatch):
    client, user = newcomer
    link = link_signed(user, days_ago=3.1, monkeypatch=monkeypatch)
    for response in (client.get(link), press_confirm(client, link)):
        assert response.status_code == 400
        page = response.content.decode()
        assert "It is more than 3 days old" in page
        assert "Send the link again" in page
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def tampered(token):
    return token[:-1] + ("A" if token[-1] != "A" else "B")


@pytest.mark.parametrize("make_link", [
    pytest.param(lambda link: CONFIRM + "?token=" + tampered(link.split("token=")[1]),
                 id="tampered"),
    pytest.param(lambda link: CONFIRM + "?token=" + signing.dumps({"user": 1}), id="other-salt"),
    pytest.param(lambda link: CONFIRM + "?token=" + signing.dumps(
        ["not", "a", "dict"], salt=tokens.CONFIRM_SALT), id="wrong-shape"),
    pytest.param(lambda link: CONFIRM + "?token=" + "x" * 5000, id="oversized"),
    pytest.param(lambda link: CONFIRM + "?token=", id="empty"),
    pytest.param(lambda link: CONFIRM, id="missing"),
])
def test_a_link_we_did_not_send_is_refused(newcomer, make_link):
    client, user = newcomer
    link = make_link(confirm_link(mail.outbox[-1]))
    for response in (client.get(link), press_confirm(client, link)):
        assert response.status_code == 400
        assert "It is not a link we sent" in response.content.decode()
    user.refresh_from_db()
    assert user.email_confirmed_at is None


def test_a_link_for_an_erased_account_is_refused(newcomer):
    client, user = newcomer
    link = confirm_link(mail.outbox[-1])
    user.delete()
    assert press_confirm(client, link).status_code == 400


def test_an_address_another_account_took_meanwhile_gets_a_clear_message(runner_client, runner):
    runner_client.post(PROFILE, {"form": "email", "email": "ana@example.org",
                                 "current_password": PASSWORD})
    link = confirm_link(next(m for m in mail.outbox if m.to == ["ana@example.org"]))
    make_user("ana@example.org", "Someone else")

    for response in (runner_client.get(link), press_confirm(runner_client, link)):
        assert response.status_code == 400
        assert "Another account started using this email" in response.content.decode()
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"


def test_the_database_refusing_the_address_gets_the_same_message(runner_client, runner,
                                                                   monkeypatch):
    runner_client.post(PROFILE, {"form": "email", "email": "ana@example.org",
                                 "current_password": PASSWORD})
    link = confirm_link(next(m for m in mail.outbox if m.to == ["ana@example.org"]))
    # Taken between the check and the save: the unique constraint answers.
    make_user("ana@example.org", "Someone else")
    real_filter = User.objects.filter
    monkeypatch.setattr(User.objects, "filter", lambda *a, **k: (
        real_filter(*a, **k).none() if k.get("email") == "ana@example.org" else
        real_filter(*a, **k)))
    response = press_confirm(runner_client, link)
    assert response.status_code == 400
    assert "Another account started using this email" in response.content.decode()


def test_confirming_one_change_outdates_the_other_links(runner_client, runner):
    for address in ("first@example.org", "second@example.org"):
        runner_client.post(PROFILE, {"form": "email", "email": address,
                                     "current_password": PASSWORD})
    first = confirm_link(next(m for m in mail.outbox if m.to == ["first@example.org"]))
    second = confirm_link(next(m for m in mail.outbox if m.to == ["second@example.org"]))
    press_confirm(runner_client, second)
    assert press_confirm(runner_client, first).status_code == 400
    runner.refresh_from_db()
    assert runner.email == "second@example.org"


def test_asking_for_a_newer_change_leaves_the_older_link_to_the_owner_alone(
    runner_client, runner, outsider
):
    # Not cancelled by the newer request (that would need a stored column); but only
    # Ana, signed in, can use it: not whoever holds the first address.
    for address in ("first@example.org", "second@example.org"):
        runner_client.post(PROFILE, {"form": "email", "email": address,
                                     "current_password": PASSWORD})
    first = confirm_link(next(m for m in mail.outbox if m.to == ["first@example.org"]))
    holder = Client()
    holder.force_login(outsider)
    assert press_confirm(holder, first).status_code == 403
    assert press_confirm(runner_client, first)["Location"] == PROFILE
    runner.refresh_from_db()
    assert runner.email == "first@example.org"


def test_a_password_reset_stops_a_change_asked_for_in_a_stolen_session(client, runner):
    thief = Client()
    thief.force_login(runner)
    thief.post(PROFILE, {"form": "email", "email": "thief@example.org",
                         "current_password": PASSWORD})
    link = confirm_link(next(m for m in mail.outbox if m.to == ["thief@example.org"]))
    # The owner reads the notice and resets the password.
    runner.set_password("a-brand-new-password-7")
    runner.save()
    response = press_confirm(thief, link)
    assert response.status_code == 400
    runner.refresh_from_db()
    assert runner.email == "runner@example.com"


# The notice and "Send the link again"

def test_an_unconfirmed_account_sees_the_notice_on_every_page(newcomer):
    client, _user = newcomer
    for path in ("/", "/runs/", PROFILE):
        page = client.get(path).content.decode()
        assert "Please confirm your email: we sent a link to nina@example.com" in page
        assert "Send the link again" in page


def test_nobody_else_sees_the_notice(client, runner):
    assert "Please confirm your email" not in client.get("/").content.decode()
    client.force_login(runner)
    assert "Please confirm your email" not in client.get("/").content.decode()
    strava_only = User.objects.create_user(None, None, display_name="Maja")
    client.force_login(strava_only)
    assert "Please confirm your email" not in client.get("/").content.decode()


def test_send_the_link_again(newcomer):
    client, user = newcomer
    mail.outbox.clear()
    response = client.post(RESEND, {"next": "/runs/"})
    assert response["Location"] == "/runs/"
    (message,) = mail.outbox
    assert message.to == ["nina@example.com"]
    assert "We sent a new link to nina@example.com" in client.get("/runs/").content.decode()
    press_confirm(client, confirm_link(message))
    user.refresh_from_db()
    assert user.email_confirmed


def test_sending_the_link_again_is_limited(newcomer):
    client, _user = newcomer
    mail.outbox.clear()
    for _ in range(3):
        assert client.post(RESEND).status_code == 302
    response = client.post(RESEND)
    assert response.status_code == 429
    assert "Too many confirmation links" in response.content.decode()
    assert "Retry-After" in response
    assert len(mail.outbox) == 3


def test_sending_again_is_a_post_for_signed_in_people_only(client, newcomer, runner):
    newcomer_client, _user = newcomer
    mail.outbox.clear()
    assert newcomer_client.get(RESEND).status_code == 405
    assert Client().post(RESEND)["Location"].startswith("/accounts/login/")
    client.force_login(runner)  # confirmed already: nothing to send
    assert client.post(RESEND).status_code == 302
    assert not mail.outbox
