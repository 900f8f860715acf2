from django.test import Client

from accounts.models import User
from tests.conftest import PASSWORD

SIGNUP = "/accounts/signup/"


def signup(client, **overrides):
    data = {"email": "new@example.com", "display_name": "Nina", "password": PASSWORD}
    data.update(overrides)
    return client.post(SIGNUP, data)


def test_signup_form_says_why_each_field_is_asked(client, db):
    page = client.get(SIGNUP).content.decode()
    assert "To log you in and to send you emails you need" in page
    assert "Shown to organisers and runners of the runs you join" in page
    assert "To keep your account yours" in page
    for label in ("Email", "Display name", "Password"):
        assert f">{label}</label>" in page


def test_signup_creates_account_and_signs_in(client, db):
    response = signup(client, email="  Nina@Example.COM ")
    assert response.status_code == 302
    user = User.objects.get()
    assert user.email == "nina@example.com"
    assert user.display_name == "Nina"
    assert user.check_password(PASSWORD)
    assert client.get("/accounts/profile/").status_code == 200
    assert "sessionid" in response.cookies


def test_signup_returns_to_next_page(client, db):
    response = client.post(
        SIGNUP,
        {"email": "a@example.com", "display_name": "A", "password": PASSWORD, "next": "/runs/"},
    )
    assert response["Location"] == "/runs/"


def test_duplicate_email_in_other_case_is_refused(client, runner):
    response = signup(client, email="RUNNER@example.com")
    assert response.status_code == 400
    assert "An account with this email already exists" in response.content.decode()
    assert User.objects.count() == 1
    assert "sessionid" not in response.cookies


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
    assert response["Location"] == "/"


def test_an_email_taken_a_moment_earlier_gets_the_message(client, db, monkeypatch):
    from accounts.forms import SignupForm

    # Two sign-ups racing: this form's checks ran before the twin was saved.
    monkeypatch.setattr(SignupForm, "clean_email", lambda form: form.cleaned_data["email"])
    monkeypatch.setattr(SignupForm, "validate_unique", lambda form: None)
    monkeypatch.setattr(User, "validate_constraints", lambda user, exclude=None: None)
    User.objects.create_user("twin@example.com", PASSWORD, display_name="First")
    response = signup(client, email="twin@example.com")
    assert response.status_code == 400
    assert "Another account already uses this email" in response.content.decode()
    assert User.objects.count() == 1
