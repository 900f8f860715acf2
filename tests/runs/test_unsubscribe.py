"""The one-click unsubscribe (RFC 8058) in reminders and organiser messages: the mail
program's POST turns that kind off without signing in; opening the link only shows a page
with a button; emails a runner must get carry no unsubscribe at all."""

import time
from unittest import mock

import pytest
from django.core import mail, signing
from django.test import Client

from accounts.models import User
from accounts.unsubscribe import ORGANISER_MESSAGES, REMINDERS, make_token
from tests.conftest import make_user
from tests.runs.conftest import make_run

URL = "/accounts/unsubscribe/"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


def link(user, kind=REMINDERS):
    return f"{URL}?token={make_token(user, kind)}"


def fresh(user):
    return User.objects.get(pk=user.pk)


@pytest.fixture
def browser():
    """A signed-out visitor's browser that checks CSRF tokens as a real one would."""
    return Client(enforce_csrf_checks=True)


def test_the_one_click_post_turns_reminders_off_without_signing_in(browser, runner):
    response = browser.post(link(runner), ONE_CLICK)
    assert response.status_code == 200
    assert fresh(runner).reminder_emails is False
    assert fresh(runner).organiser_emails is True
    assert response.cookies == {}  # no session, no CSRF cookie: nothing at all
    assert "Done: you will no longer get reminders before your runs." in response.content.decode()


def test_the_one_click_post_for_organiser_messages_turns_only_those_off(browser, runner):
    browser.post(link(runner, ORGANISER_MESSAGES), ONE_CLICK)
    assert (fresh(runner).reminder_emails, fresh(runner).organiser_emails) == (True, False)


def test_opening_the_link_changes_nothing_and_shows_a_button(browser, runner):
    response = browser.get(link(runner))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop getting reminders before your runs?" in html
    assert 'name="csrfmiddlewaretoken"' in html and "<button" in html
    assert fresh(runner).reminder_emails is True
    assert set(response.cookies) == {"csrftoken"}  # for the form; never a session
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"  # the token stays on this site


def test_the_button_is_a_csrf_protected_post_that_turns_the_kind_off(browser, runner):
    form = browser.get(link(runner))
    token = form.cookies["csrftoken"].value
    assert browser.post(link(runner)).status_code == 403  # no CSRF token, no one-click body
    assert fresh(runner).reminder_emails is True
    response = browser.post(link(runner), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert fresh(runner).reminder_emails is False
    assert "sessionid" not in response.cookies


def test_a_second_click_says_it_is_already_off_and_changes_nothing_twice(browser, runner):
    browser.post(link(runner), ONE_CLICK)
    again = browser.post(link(runner), ONE_CLICK)
    assert again.status_code == 200
    assert "Reminders before your runs are already off, so nothing was changed." in \
        again.content.decode()
    opened = Client().get(link(runner))
    assert "already off" in opened.content.decode() and "<button" not in \
        opened.content.decode()
    assert opened.cookies == {}


def test_turning_off_twice_writes_once(runner):
    from accounts.unsubscribe import turn_off

    assert turn_off(runner, REMINDERS) is True
    assert turn_off(runner, REMINDERS) is False


@pytest.mark.parametrize("token", [
    "",
    "nonsense",
    "tampered",
    "other-salt",
    "unknown-kind",
])
def test_a_broken_link_is_a_400_page_that_says_so(browser, runner, token):
    good = make_token(runner, REMINDERS)
    token = {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other-salt": signing.dumps({"user": runner.pk, "kind": REMINDERS}),
        "unknown-kind": signing.dumps({"user": runner.pk, "kind": "promotions"},
                                      salt="accounts.unsubscribe"),
    }.get(token, token)
    for response in (browser.get(f"{URL}?token={token}"),
                     browser.post(f"{URL}?token={token}", ONE_CLICK)):
        assert response.status_code == 400
        assert "This link is broken" in response.content.decode()
    assert fresh(runner).reminder_emails is True


def test_a_link_for_an_erased_account_is_broken(browser, runner):
    address = link(runner)
    runner.delete()
    assert browser.post(address, ONE_CLICK).status_code == 400


def test_links_keep_working_for_years(browser, runner):
    years_ago = time.time() - 3 * 365 * 24 * 60 * 60
    with mock.patch("django.core.signing.time.time", return_value=years_ago):
        old = link(runner)
    assert browser.post(old, ONE_CLICK).status_code == 200
    assert fresh(runner).reminder_emails is False


def test_the_page_is_in_the_accounts_language(browser, db):
    person = make_user("ana@example.si", "Ana", language="sl")
    response = browser.get(link(person), headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "sl"
    assert '<html lang="sl">' in response.content.decode()


def test_emails_a_runner_must_get_carry_no_unsubscribe(organiser_client, organiser, runner):
    run = make_run(organiser, capacity=1)
    first = make_user("first@example.com", "First")
    run.join(first)
    run.join(runner)  # on the waitlist
    leaver = Client()
    leaver.force_login(first)
    leaver.post(f"/runs/{run.pk}/leave/", {"confirm": "yes"})  # the runner is promoted
    organiser_client.post(f"/runs/{run.pk}/cancel/", {"reason": "Storm", "confirm": "yes"})
    assert len(mail.outbox) >= 2
    for email in mail.outbox:
        assert "List-Unsubscribe" not in email.extra_headers
        assert "List-Unsubscribe-Post" not in email.extra_headers
