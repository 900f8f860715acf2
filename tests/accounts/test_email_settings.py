""" "Emails I get" on My account, and each person's language: their pages and emails."""

import re

from django.core import mail

from accounts.models import User
from tests.conftest import make_user

PROFILE = "/accounts/profile/"


def save_settings(client, **fields):
    data = {"form": "emails", "reminder_emails": "on", "organiser_emails": "on",
            "language": "en"}
    data.update(fields)
    return client.post(PROFILE, {k: v for k, v in data.items() if v is not None})


def test_the_form_says_why_each_field_is_asked(runner_client):
    page = runner_client.get(PROFILE).content.decode()
    assert "Emails I get" in page
    for label in ("Reminders", "Messages from organisers", "Language"):
        assert f"{label}</label>" in page
    assert "An email about a day before each run you are going to" in page
    assert "What the organiser of a run you joined writes to its runners" in page
    assert "The language of join run&#x27;s pages and emails for you" in page


def test_both_kinds_are_on_by_default_and_can_be_turned_off(runner_client, runner):
    assert runner.reminder_emails and runner.organiser_emails
    response = save_settings(runner_client, reminder_emails=None, organiser_emails=None)
    assert response["Location"] == PROFILE
    runner.refresh_from_db()
    assert not runner.reminder_emails and not runner.organiser_emails
    assert "Your email settings are saved" in runner_client.get(PROFILE).content.decode()

    save_settings(runner_client, reminder_emails=None, organiser_emails="on")
    runner.refresh_from_db()
    assert not runner.reminder_emails and runner.organiser_emails


def test_an_unknown_language_is_refused_next_to_the_field(runner_client, runner):
    response = save_settings(runner_client, language="de")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    runner.refresh_from_db()
    assert runner.language == "en"


def test_the_form_changes_nothing_else(runner_client, runner):
    save_settings(runner_client, language="sl", email="thief@example.com", is_staff="on",
                  email_confirmed_at="")
    runner.refresh_from_db()
    assert runner.language == "sl"
    assert runner.email == "runner@example.com" and runner.email_confirmed
    assert not runner.is_staff


def html_language(response):
    return re.search(r'<html lang="([^"]+)"', response.content.decode())[1]


def test_a_signed_in_person_gets_pages_in_their_language(client, db):
    ana = make_user("ana@example.com", "Ana", language="sl")
    client.force_login(ana)
    response = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_language(response) == "sl"
    assert response["Content-Language"] == "sl"
    assert "Moj račun" in response.content.decode()


def test_changing_the_language_changes_the_next_page(runner_client, runner):
    save_settings(runner_client, language="sl")
    assert html_language(runner_client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="en")) == "sl"
    save_settings(runner_client, language="en")
    assert html_language(runner_client.get(PROFILE, HTTP_ACCEPT_LANGUAGE="sl")) == "en"


def test_visitors_keep_their_browsers_language_and_get_no_cookie(client, db):
    response = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="sl")
    assert html_language(response) == "sl"
    response = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="en")
    assert html_language(response) == "en"
    assert not response.cookies


def test_signing_in_sets_no_language_cookie(runner_client):
    response = runner_client.post(PROFILE, {"form": "emails", "reminder_emails": "on",
                                            "organiser_emails": "on", "language": "sl"})
    assert "django_language" not in response.cookies


def test_emails_to_a_person_are_in_their_language(client, db):
    nina = make_user("nina@example.com", "Nina", language="sl", email_confirmed_at=None)
    client.force_login(nina)
    client.post("/accounts/confirm/resend/", HTTP_ACCEPT_LANGUAGE="en")
    (message,) = mail.outbox
    assert message.extra_headers["Content-Language"] == "sl"


def test_the_language_is_in_the_export(runner_client, runner):
    User.objects.filter(pk=runner.pk).update(language="sl", reminder_emails=False)
    data = runner_client.get("/accounts/export/").json()
    assert '"language": "sl"' in str(data).replace("'", '"')
