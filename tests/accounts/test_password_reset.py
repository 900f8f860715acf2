import re

from django.conf import settings
from django.core import mail

from accounts.models import Session
from tests.conftest import PASSWORD

NEW_PASSWORD = "a-brand-new-password-7"


def ask_for_reset(client, email="runner@example.com"):
    return client.post("/accounts/password-reset/", {"email": email})


def reset_link():
    (message,) = mail.outbox
    pattern = re.escape(settings.SITE_URL) + r"(/accounts/password-reset/confirm/\S+)"
    return re.search(pattern, message.body)[1]


def test_reset_email_carries_a_link(client, runner):
    response = ask_for_reset(client, "Runner@Example.com")
    assert response["Location"] == "/accounts/password-reset/sent/"
    (message,) = mail.outbox
    assert message.to == ["runner@example.com"]
    assert "Hello Ana" in message.body
    assert "/accounts/password-reset/confirm/?uid=" in message.body


def test_unknown_email_gets_the_same_answer_and_no_email(client, db):
    response = ask_for_reset(client, "nobody@example.com")
    assert response["Location"] == "/accounts/password-reset/sent/"
    assert mail.outbox == []


def test_malformed_email_gets_a_message(client, db):
    response = ask_for_reset(client, "nobody")
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()


def test_new_password_works_and_signs_out_everywhere(client, runner):
    other_browser = client.__class__()
    other_browser.force_login(runner)
    ask_for_reset(client)
    link = reset_link()
    page = client.get(link)
    assert page.status_code == 200
    assert "sessionid" not in page.cookies  # no session for an anonymous visitor
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response["Location"] == "/accounts/password-reset/complete/"
    runner.refresh_from_db()
    assert runner.check_password(NEW_PASSWORD)
    assert not Session.objects.filter(user=runner).exists()
    assert other_browser.get("/accounts/profile/").status_code == 302


def test_link_works_only_once(client, runner):
    ask_for_reset(client)
    link = reset_link()
    client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    response = client.get(link)
    assert response.status_code == 400
    assert "This reset link does not work" in response.content.decode()


def test_tampered_link_is_refused(client, runner):
    for link in (
        "/accounts/password-reset/confirm/",
        "/accounts/password-reset/confirm/?uid=zzz&token=abc",
        "/accounts/password-reset/confirm/?uid=%FF%FE&token=" + "x" * 500,
    ):
        assert client.get(link).status_code == 400


def test_mismatched_or_weak_new_password_keeps_the_old_one(client, runner):
    ask_for_reset(client)
    link = reset_link()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": "other"})
    assert response.status_code == 400
    response = client.post(link, {"new_password1": "123", "new_password2": "123"})
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    runner.refresh_from_db()
    assert runner.check_password(PASSWORD)


def test_reset_is_not_offered_to_accounts_without_a_password(client, db):
    from accounts.models import User

    User.objects.create_user("strava@example.com", None, display_name="S")
    ask_for_reset(client, "strava@example.com")
    assert mail.outbox == []


def test_link_points_at_site_url_whatever_the_host_header(client, runner, settings):
    settings.ALLOWED_HOSTS = [".join.run"]
    settings.SITE_URL = "https://join.run"
    client.post("/accounts/password-reset/", {"email": "runner@example.com"},
                HTTP_HOST="evil.join.run")
    (message,) = mail.outbox
    assert "https://join.run/accounts/password-reset/confirm/?uid=" in message.body
    assert "evil" not in message.body


def test_reset_emails_to_one_address_are_limited(client, runner):
    for n in range(8):
        response = client.post("/accounts/password-reset/", {"email": "runner@example.com"},
                               REMOTE_ADDR=f"192.0.2.{n}")
        assert response["Location"] == "/accounts/password-reset/sent/"
    assert len(mail.outbox) == 5


def test_one_client_asking_for_many_resets_is_paused(client, runner):
    for n in range(5):
        client.post("/accounts/password-reset/", {"email": f"someone{n}@example.com"})
    response = client.post("/accounts/password-reset/", {"email": "runner@example.com"})
    assert response.status_code == 429
    assert "Too many reset links" in response.content.decode()
    assert mail.outbox == []


def test_a_mail_server_that_is_down_still_gives_the_same_page(client, runner, settings):
    settings.EMAIL_BACKEND = "tests.fakes.broken_mail.EmailBackend"
    response = ask_for_reset(client)
    assert response["Location"] == "/accounts/password-reset/sent/"


def test_an_address_we_cannot_send_to_is_refused_next_to_the_field(client, db):
    response = ask_for_reset(client, "w@ex\u202eample.com")
    assert response.status_code == 400
    assert "We cannot send email to this address" in response.content.decode()
    assert mail.outbox == []


def test_the_reset_email_is_in_the_accounts_language(client, runner):
    runner.language = "sl"
    runner.save()
    ask_for_reset(client)  # the page is English; the email follows the account
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "sl"
