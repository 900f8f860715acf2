"""Signed-out readers get club pages from the page cache, and never a stale one."""

import time

from clubs import services
from joinrun import page_cache
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user


def page(client, club):
    response = client.get(f"/clubs/{club.slug}/")
    assert response.status_code == 200
    return response.content.decode()


def test_a_signed_out_reader_gets_a_stored_club_page_without_queries(
    client, club, organiser, django_assert_num_queries
):
    make_club_run(club, organiser, title="Hill loop")
    first = client.get(f"/clubs/{club.slug}/")
    with django_assert_num_queries(0):
        again = client.get(f"/clubs/{club.slug}/")
    assert again.content == first.content
    assert not again.cookies
    assert "Hill loop" in again.content.decode()


def test_new_runs_and_organisers_show_at_once(client, club, organiser):
    make_club_run(club, organiser, title="Hill loop")
    assert "Hill loop" in page(client, club)
    invited = make_user("dora@example.com", "Dora")
    services.invite(club, by=organiser, email=invited.email)
    services.accept(club, invited)
    assert "Bojan, Dora" in page(client, club)


def test_a_new_follower_counts_at_once_for_them_and_within_a_minute_for_others(
    client, club, monkeypatch
):
    ana = make_user("ana@example.com", "Ana")
    assert "No followers yet" in page(client, club)
    services.follow(club, ana)
    # Following changes no stored page: anyone could otherwise empty them at will.
    assert "No followers yet" in page(client, club)
    later = time.time() + 60
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert "Followed by 1 runner" in page(client, club)
    client.force_login(ana)
    assert "Followed by 1 runner" in page(client, club)


def test_a_renamed_club_shows_at_once_on_run_cards_and_the_list(client, club, organiser):
    make_club_run(club, organiser, title="Hill loop")
    assert "Tivoli Trotters" in client.get("/runs/").content.decode()
    assert "Tivoli Trotters" in client.get("/clubs/").content.decode()
    services.update(club, name="Castle Runners", place="Ljubljana", description="")
    assert "Castle Runners" in client.get("/runs/").content.decode()
    assert "Castle Runners" in client.get("/clubs/?q=castle").content.decode()
    assert "Tivoli Trotters" not in client.get("/clubs/").content.decode()


def test_a_deactivated_club_is_gone_at_once(client, organiser):
    club = make_club(organiser, name="Spam Club")
    assert "Spam Club" in client.get("/clubs/").content.decode()
    page(client, club)
    services.deactivate(club)
    assert "Spam Club" not in client.get("/clubs/").content.decode()
    assert client.get(f"/clubs/{club.slug}/").status_code == 404
    services.reactivate(club)
    assert "Spam Club" in client.get("/clubs/").content.decode()
