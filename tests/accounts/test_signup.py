import re

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.test import Client

from accounts import throttle
from accounts.models import User
from tests.conftest import PASSWORD, make_user

SIGNUP = "/accounts/signup/"
SENT = "/accounts/signup/sent/"


def signup(client, *, email="new@example.com", display_name="Nina", password=PASSWORD,
           **headers):
    data = {"email": email, "display_name": display_name, "password": password}
    return client.post(SIGNUP, data, **headers)


def test_signup_form_says_why_each_field_is_asked(client, db):
    page = client.get(SIGNUP).content.decode()
    assert "To log you in and to send you emails you need" in page
    assert "Shown to organisers and runners of the runs you join" in page
    assert "To keep your account yours" in page
    for label in ("Email", "Display name", "Password"):
        assert f">{label}</label>" in page


def test_signup_creates_an_unconfirmed_account_and_signs_nobody_in(client, db):
    response = signup(client, email="  Nina@Example.COM ")
    assert response.status_code == 302
    assert response["Location"] == SENT
    user = User.objects.get()
    assert user.email == "nina@example.com"
    assert user.display_name == "Nina"
    assert user.check_password(PASSWORD)
    assert user.email_confirmed_at is None and not user.email_confirmed
    assert "sessionid" not in response.cookies
    assert client.get("/accounts/profile/").status_code == 302


def test_the_new_account_logs_in_before_confirming_and_sees_the_notice(client, db):
    signup(client)
    response = client.post("/accounts/login/", {"email": "new@example.com",
                                                "password": PASSWORD})
    assert response.status_code == 302
    page = client.get("/accounts/profile/").content.decode()
    assert "Please confirm your email: we sent a link to new@example.com" in page
    assert "Send the link again" in page


def test_signup_says_check_your_email_and_sends_the_link(client, db):
    response = signup(client)
    page = client.get(response["Location"]).content.decode()
    assert "Check your email" in page
    assert "Open it, log in with your email and password" in page
    assert "You can log in and use join run meanwhile" in page
    assert 'href="/accounts/login/"' in page
    (message,) = mail.outbox
    assert message.to == ["new@example.com"]
    assert "/accounts/confirm/?token=" in message.body
    assert "3 days" in message.body


def test_signup_offers_the_way_back_to_next_page(client, db):
    response = client.post(
        SIGNUP,
        {"email": "a@example.com", "display_name": "A", "password": PASSWORD, "next": "/runs/"},
    )
    assert response["Location"] == f"{SENT}?next=%2Fruns%2F"
    page = client.get(response["Location"]).content.decode()
    assert 'href="/accounts/login/?next=/runs/"' in page


def test_an_address_with_an_account_gets_the_same_answer_and_its_owner_a_note(client, runner):
    response = signup(client, email="RUNNER@example.com", display_name="Someone")
    assert response.status_code == 302
    assert response["Location"] == SENT
    assert User.objects.count() == 1
    # Nobody is signed in: not the existing account, and no new one.
    assert "sessionid" not in response.cookies
    assert client.get("/accounts/profile/").status_code == 302
    (note,) = mail.outbox
    assert note.to == ["runner@example.com"]
    assert "Hello Ana" in note.body
    assert "already belongs to your account" in note.body
    assert "/accounts/password-reset/" in note.body
    assert "/accounts/confirm/" not in note.body


def browser_sign_up(email, password=PASSWORD):
    """A sign-up as a browser makes it (the form's page first, its CSRF cookie and token):
    the POST's response, and the page it leads to with the CSRF token left out."""
    browser = Client(enforce_csrf_checks=True)
    form = browser.get(SIGNUP).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)[1]
    response = browser.post(SIGNUP, {"email": email, "display_name": "Nina",
                                     "password": password, "csrfmiddlewaretoken": token})
    page = browser.get(response["Location"]) if response.status_code == 302 else response
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page.content.decode())
    return response, page.status_code, text


def test_a_new_and_a_taken_address_get_the_same_answer(db):
    make_user("taken@example.com", "Ana")
    new = browser_sign_up("fresh@example.com")
    taken = browser_sign_up("taken@example.com")

    for response, _status, _page in (new, taken):
        assert response.status_code == 302
        assert set(response.cookies) <= {"csrftoken"}  # no session: nobody signed in
    assert new[0]["Location"] == taken[0]["Location"] == SENT
    assert set(new[0].cookies) == set(taken[0].cookies)
    assert new[1:] == taken[1:]  # the same page, word for word
    assert "Log out" not in new[2]
    assert User.objects.filter(email="fresh@example.com").exists()


@pytest.fixture
def hashes(monkeypatch):
    """How many times a password was hashed."""
    count = []
    real_encode = MD5PasswordHasher.encode

    def counting(self, password, salt):
        count.append(password)
        return real_encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counting)
    return count


@pytest.mark.parametrize("taken", [False, True], ids=["new-address", "taken-address"])
def test_either_address_costs_exactly_one_password_hash(client, db, hashes, taken):
    if taken:
        make_user("nina@example.com", "Ana")
        hashes.clear()
    signup(client, email="nina@example.com")
    assert hashes == [PASSWORD]


def test_the_owner_of_an_address_gets_only_a_few_notes_from_one_client(client, runner):
    for _ in range(6):
        signup(client, email="runner@example.com", REMOTE_ADDR="192.0.2.1")
    assert len(mail.outbox) == throttle.ADDRESS_IN_USE_NOTES_PER_CLIENT == 3


def test_one_clients_fake_sign_ups_do_not_use_up_the_owners_notes(client, runner):
    for _ in range(6):
        signup(client, email="runner@example.com", REMOTE_ADDR="192.0.2.1")
    mail.outbox.clear()
    signup(client, email="runner@example.com", REMOTE_ADDR="203.0.113.5")
    (note,) = mail.outbox
    assert note.to == ["runner@example.com"]


def test_many_clients_together_cannot_flood_the_owners_inbox(client, runner):
    for n in range(15):
        signup(client, email="runner@example.com", REMOTE_ADDR=f"192.0.2.{n}")
    assert len(mail.outbox) == throttle.ADDRESS_IN_USE_NOTES_PER_DAY == 10


def test_the_new_account_gets_the_language_of_the_page(client, db):
    signup(client, HTTP_ACCEPT_LANGUAGE="sl")
    assert User.objects.get().language == "sl"
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "sl"


def test_an_english_page_makes_an_english_account(client, db):
    signup(client, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert User.objects.get().language == "en"


def test_weak_password_is_refused_with_reason(client, db):
    response = signup(client, password="password")
    assert response.status_code == 400
    assert "This password is too common" in response.content.decode()
    assert not User.objects.exists()


def test_password_like_the_email_is_refused(client, db):
    response = signup(client, email="marathoner99@example.com", password="marathoner99")
    assert response.status_code == 400
    assert "too similar" in response.content.decode()


def test_oversized_and_malformed_fields_get_messages(client, db):
    response = signup(client, email="not-an-email", display_name="x" * 51, password="p" * 2000)
    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a valid email address" in page
    assert "at most 50 characters" in page
    assert "at most 1024 characters" in page
    assert not User.objects.exists()


def test_null_characters_are_refused(client, db):
    response = signup(client, display_name="Nina\x00")
    assert response.status_code == 400
    assert "Null characters are not allowed" in response.content.decode()


def test_missing_fields_are_marked(client, db):
    response = client.post(SIGNUP, {})
    assert response.status_code == 400
    assert response.content.decode().count("This field is required") == 3


def test_signup_without_csrf_token_is_refused_and_explained(db):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        SIGNUP, {"email": "a@example.com", "display_name": "A", "password": PASSWORD}
    )
    assert response.status_code == 403
    assert "This form has expired" in response.content.decode()
    assert not User.objects.exists()


def test_signed_in_visitor_is_sent_to_profile(runner_client):
    assert runner_client.get(SIGNUP)["Location"] == "/accounts/profile/"


def test_next_that_is_not_a_path_does_not_break_sign_up(client, db):
    response = client.post(
        SIGNUP, {"email": "a@example.com", "display_name": "A", "password": PASSWORD, "next": "foo"}
    )
    assert response["Location"] == SENT


def test_an_email_taken_a_moment_earlier_is_treated_as_taken(client, db, monkeypatch):
    # Two sign-ups racing: this one's check ran before the twin was saved.
    User.objects.create_user("twin@example.com", PASSWORD, display_name="First")
    real_filter = User.objects.filter
    looked = []

    def not_yet_saved(*args, **kwargs):
        rows = real_filter(*args, **kwargs)
        if kwargs.get("email") == "twin@example.com" and not looked:
            looked.append(True)
            return rows.none()
        return rows

    monkeypatch.setattr(User.objects, "filter", not_yet_saved)
    response = signup(client, email="twin@example.com")
    assert response.status_code == 302
    assert response["Location"] == SENT
    assert User.objects.count() == 1
    assert "sessionid" not in response.cookies
    (note,) = mail.outbox
    assert note.to == ["twin@example.com"]
    assert "already belongs to your account" in note.body


def test_sign_ups_from_one_client_are_paused(client, db):
    for n in range(10):
        response = Client().post(SIGNUP, {"email": f"n{n}@example.com", "display_name": "N",
                                          "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
        assert response.status_code == 302
    response = client.post(SIGNUP, {"email": "last@example.com", "display_name": "L",
                                    "password": PASSWORD}, REMOTE_ADDR="198.51.100.7")
    assert response.status_code == 429
    assert "Too many sign-ups came from here" in response.content.decode()
    assert int(response["Retry-After"]) > 0
    assert not User.objects.filter(email="last@example.com").exists()
    # Another network is not held up.
    response = client.post(SIGNUP, {"email": "other@example.com", "display_name": "O",
                                    "password": PASSWORD}, REMOTE_ADDR="203.0.113.9")
    assert response.status_code == 302


def test_addresses_we_cannot_send_to_are_refused_next_to_the_field(client, db):
    for address in ("w@ex\u202eample.com", "a@b\u200e.com", "a@\ue000x.com"):
        response = signup(client, email=address)
        assert response.status_code == 400
        assert "We cannot send email to this address" in response.content.decode()
    assert not User.objects.exists()
    assert not mail.outbox


def test_the_owner_of_a_strava_account_is_told_how_to_get_in(client, db):
    User.objects.create_user("maja@example.com", None, display_name="Maja")
    signup(client, email="maja@example.com")
    (note,) = mail.outbox
    assert "Sign in with Strava here" in note.body
    assert "/accounts/login/" in note.body
    assert "/accounts/password-reset/" not in note.body
