"""Unfollowing a club from its digest (RFC 8058): the mail program's one-click POST
unfollows without signing in or a CSRF token; opening the link only shows a page with a
button; a broken link is a 400 page that changes nothing."""

import pytest
from django.conf import settings
from django.core import mail, signing
from django.test import Client

from accounts.unsubscribe import make_token as make_account_token
from clubs import digests, services
from clubs.models import Club, Follow
from clubs.unsubscribe import make_token
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user

URL = "/clubs/unsubscribe/"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def follower(club):
    person = make_user("follower@example.com", "Eva")
    services.follow(club, person)
    return person


@pytest.fixture
def browser():
    """A signed-out visitor's browser that checks CSRF tokens as a real one would."""
    return Client(enforce_csrf_checks=True)


def link(user, club):
    return f"{URL}?token={make_token(user, club)}"


def follows(user, club):
    return Follow.objects.filter(user=user, club=club).exists()


def test_the_one_click_post_unfollows_without_signing_in_or_a_csrf_token(
        browser, club, follower):
    other = make_club(club.organisers.get().user, name="Rožnik Runners")
    services.follow(other, follower)
    response = browser.post(link(follower, club), ONE_CLICK)
    assert response.status_code == 200
    assert not follows(follower, club)
    assert follows(follower, other)  # only the club the email was from
    assert response.cookies == {}
    assert "Done: you no longer follow Tivoli Trotters" in response.content.decode()


def test_opening_the_link_changes_nothing_and_shows_a_button(browser, club, follower):
    response = browser.get(link(follower, club))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Stop following Tivoli Trotters" in html
    assert 'name="csrfmiddlewaretoken"' in html and "<button" in html
    assert follows(follower, club)
    assert set(response.cookies) == {"csrftoken"}  # for the form; never a session
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_button_is_a_csrf_protected_post_that_unfollows(browser, club, follower):
    form = browser.get(link(follower, club))
    token = form.cookies["csrftoken"].value
    assert browser.post(link(follower, club)).status_code == 403  # no token, no one-click
    assert follows(follower, club)
    response = browser.post(link(follower, club), {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert not follows(follower, club)


def test_a_second_click_says_so_and_changes_nothing(browser, club, follower):
    browser.post(link(follower, club), ONE_CLICK)
    again = browser.post(link(follower, club), ONE_CLICK)
    assert again.status_code == 200
    assert "You do not follow Tivoli Trotters, so nothing was changed." in \
        again.content.decode()
    opened = Client().get(link(follower, club)).content.decode()
    assert "nothing was changed" in opened and "<button" not in opened


@pytest.mark.parametrize("token", ["", "nonsense", "tampered", "other-salt", "accounts"])
def test_a_broken_link_is_a_400_page_that_changes_nothing(browser, club, follower, token):
    good = make_token(follower, club)
    token = {
        "tampered": good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "other-salt": signing.dumps({"user": follower.pk, "club": club.pk}),
        "accounts": make_account_token(follower, "reminders"),
    }.get(token, token)
    for response in (browser.get(f"{URL}?token={token}"),
                     browser.post(f"{URL}?token={token}", ONE_CLICK)):
        assert response.status_code == 400
        assert "This link is broken" in response.content.decode()
    assert follows(follower, club)


def test_a_link_for_an_erased_account_is_broken(browser, club, follower):
    address = link(follower, club)
    follower.delete()
    assert browser.post(address, ONE_CLICK).status_code == 400


def test_a_closed_clubs_link_still_unfollows(browser, club, follower):
    Club.objects.filter(pk=club.pk).update(closed_at=club.created_at)
    assert browser.post(link(follower, club), ONE_CLICK).status_code == 200
    assert not follows(follower, club)


def test_the_page_is_in_the_accounts_language(browser, club, db):
    person = make_user("ana@example.si", "Ana", language="sl")
    services.follow(club, person)
    response = browser.get(link(person, club), headers={"Accept-Language": "en"})
    assert response["Content-Language"] == "sl"
    assert '<html lang="sl">' in response.content.decode()


def test_other_methods_are_refused(club, follower):
    assert Client().put(link(follower, club)).status_code == 405


def test_the_digests_link_in_its_text_and_header_unfollows(
        browser, club, organiser, follower):
    make_club_run(club, organiser)
    digests.schedule(club)
    (email,) = mail.outbox
    header = email.extra_headers["List-Unsubscribe"].strip("<>")
    assert header in email.body
    path = header.removeprefix(settings.SITE_URL)
    assert path.startswith(URL)
    assert browser.post(path, ONE_CLICK).status_code == 200
    assert not follows(follower, club)
