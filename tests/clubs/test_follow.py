"""Following a club: signed in, with a confirmed address, by POST with CSRF."""

import pytest
from django.test import Client
from django.utils import timezone

from clubs import services
from clubs.models import Club, Follow
from tests.clubs.conftest import text
from tests.conftest import make_user

FOLLOW = "/clubs/tivoli-trotters/follow/"
UNFOLLOW = "/clubs/tivoli-trotters/unfollow/"
PAGE = "/clubs/tivoli-trotters/"


def test_a_runner_follows_a_club(runner_client, club, runner):
    response = runner_client.post(FOLLOW)

    assert response.status_code == 302
    assert response["Location"] == PAGE
    assert Follow.objects.filter(club=club, user=runner).exists()
    page = text(runner_client.get(PAGE))
    assert "You follow Tivoli Trotters" in page
    assert "Followed by 1 runner" in page
    assert f'action="{UNFOLLOW}"' in page


def test_following_twice_is_still_one_follow(runner_client, club):
    runner_client.post(FOLLOW)
    runner_client.post(FOLLOW)
    assert Follow.objects.count() == 1


def test_a_runner_unfollows_a_club(runner_client, club, runner):
    runner_client.post(FOLLOW)

    response = runner_client.post(UNFOLLOW)

    assert response.status_code == 302
    assert not Follow.objects.exists()
    page = text(runner_client.get(PAGE))
    assert "You no longer follow Tivoli Trotters" in page
    assert "No followers yet" in page
    assert f'action="{FOLLOW}"' in page


def test_following_needs_an_account(client, club):
    response = client.post(FOLLOW)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={PAGE}"
    assert not Follow.objects.exists()


def test_unfollowing_needs_an_account(client, club):
    response = client.post(UNFOLLOW)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_following_needs_a_confirmed_address(client, club):
    person = make_user("new@example.com", "Nina", email_confirmed_at=None)
    client.force_login(person)

    response = client.post(FOLLOW)

    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert "Confirm your email first" in text(client.get(PAGE))


def test_an_account_without_an_email_cannot_follow(client, club):
    person = make_user("", "Strava only")
    client.force_login(person)

    client.post(FOLLOW)

    assert not Follow.objects.exists()
    assert "Confirm your email first" in text(client.get(PAGE))


@pytest.mark.parametrize("path", [FOLLOW, UNFOLLOW])
def test_follow_and_unfollow_are_post_only(runner_client, club, path):
    assert runner_client.get(path).status_code == 405
    assert not Follow.objects.exists()


@pytest.mark.parametrize("path", [FOLLOW, UNFOLLOW])
def test_follow_and_unfollow_need_the_csrf_token(club, runner, path):
    if path == UNFOLLOW:
        Follow.objects.create(club=club, user=runner)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)

    response = browser.post(path)

    assert response.status_code == 403
    assert Follow.objects.filter(user=runner).exists() == (path == UNFOLLOW)


def test_the_follow_form_carries_the_csrf_token(club, runner):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(runner)
    page = browser.get(PAGE)
    token = page.cookies["csrftoken"].value

    response = browser.post(FOLLOW, {"csrfmiddlewaretoken": token})

    assert response.status_code == 302
    assert Follow.objects.filter(user=runner).exists()


def test_a_closed_club_cannot_be_followed(runner_client, club):
    services.close(club)

    response = runner_client.post(FOLLOW)

    assert response.status_code == 302
    assert not Follow.objects.exists()
    assert "This club has closed" in text(runner_client.get(PAGE))


def test_a_deactivated_club_cannot_be_followed(runner_client, club):
    Club.objects.filter(pk=club.pk).update(deactivated_at=timezone.now())
    assert runner_client.post(FOLLOW).status_code == 404
    assert not Follow.objects.exists()


def test_an_unknown_club_cannot_be_followed(runner_client, db):
    assert runner_client.post("/clubs/nope/follow/").status_code == 404
