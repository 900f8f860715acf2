"""A club's runs: published by its organisers, managed by all of them, shown with the
club's name, and first for the runners who follow the club."""

import re

import pytest
from django.core import mail
from django.utils import timezone

from clubs import services
from clubs.models import Club, Follow, Organiser
from runs.models import Run
from tests.clubs.conftest import make_club, make_club_run, text
from tests.runs.conftest import make_run, make_runners
from tests.runs.test_organise import edit_form, run_form


def titles(page):
    return re.findall(r'class="run-title"><a href="[^"]+">([^<]+)</a>', page)


def section(page, heading):
    """The run titles under ``heading`` (up to the next h2 heading)."""
    after = page.split(heading, 1)[1]
    return titles(re.split(r'<h2(?! class="run-title")', after, maxsplit=1)[0])


# Publishing a club's run


def test_the_new_run_form_offers_only_the_clubs_i_organise(organiser_client, organiser,
                                                            outsider):
    make_club(organiser, name="Tivoli Trotters")
    make_club(outsider, name="Koper Coast")
    closed = make_club(organiser, name="Old Club")
    services.close(closed)

    page = text(organiser_client.get("/runs/new/"))

    assert ">Club</label>" in page
    assert 'value="tivoli-trotters"' in page
    assert "Koper Coast" not in page
    assert "Old Club" not in page


def test_the_form_has_no_club_field_for_someone_without_a_club(runner_client, organiser):
    make_club(organiser)
    page = text(runner_client.get("/runs/new/"))
    assert ">Club</label>" not in page
    assert "Tivoli Trotters" not in page


def test_the_clubs_link_picks_the_club_in_the_form(organiser_client, club):
    page = text(organiser_client.get("/runs/new/?club=tivoli-trotters"))
    assert re.search(r'<option value="tivoli-trotters" selected>', page)


def test_an_organiser_publishes_a_club_run(organiser_client, club, organiser):
    response = organiser_client.post("/runs/new/", run_form(club="tivoli-trotters"))

    run = Run.objects.get()
    assert response["Location"] == f"/runs/{run.pk}/"
    assert (run.club, run.organiser) == (club, organiser)
    assert run.title in text(organiser_client.get("/clubs/tivoli-trotters/"))


def test_a_weekly_club_series_belongs_to_the_club_on_every_date(organiser_client, club):
    organiser_client.post("/runs/new/", run_form(club="tivoli-trotters", repeat_weeks="2"))
    assert [run.club for run in Run.objects.all()] == [club] * 3


def test_a_run_without_a_club_is_my_own(organiser_client, club):
    organiser_client.post("/runs/new/", run_form(club=""))
    assert Run.objects.get().club is None


def test_a_club_i_do_not_organise_is_refused(organiser_client, organiser, outsider):
    make_club(organiser, name="Tivoli Trotters")
    make_club(outsider, name="Koper Coast")

    response = organiser_client.post("/runs/new/", run_form(club="koper-coast"))

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    assert not Run.objects.exists()


def test_a_club_is_refused_to_someone_who_organises_none(runner_client, organiser):
    make_club(organiser, name="Tivoli Trotters")

    response = runner_client.post("/runs/new/", run_form(club="tivoli-trotters"))

    assert response.status_code == 400
    assert "Select a valid choice" in text(response)
    assert not Run.objects.exists()


def test_a_closed_club_is_refused(organiser_client, club):
    services.close(club)
    response = organiser_client.post("/runs/new/", run_form(club="tivoli-trotters"))
    assert response.status_code == 400
    assert not Run.objects.exists()


# Showing a club's runs


def test_the_run_page_links_to_its_club(client, club, organiser):
    run = make_club_run(club, organiser)

    page = text(client.get(f"/runs/{run.pk}/"))

    assert '<a href="/clubs/tivoli-trotters/">Tivoli Trotters</a>' in page


def test_the_run_page_of_a_deactivated_clubs_run_does_not_link_to_it(client, club, organiser):
    run = make_club_run(club, organiser)
    Club.objects.filter(pk=club.pk).update(deactivated_at=timezone.now())

    page = text(client.get(f"/runs/{run.pk}/"))

    assert 'href="/clubs/tivoli-trotters/"' not in page


def test_cards_of_club_runs_show_the_clubs_name(client, club, organiser):
    make_club_run(club, organiser, title="Pond loop")
    make_run(organiser, title="Own run")

    page = text(client.get("/runs/"))

    cards = dict(re.findall(r'class="run-title"><a href="[^"]+">([^<]+)</a></h2>\s*'
                            r'<p class="run-facts">\s*(<span class="run-club">[^<]+</span>)?',
                            page))
    assert cards["Pond loop"] == '<span class="run-club">Tivoli Trotters</span>'
    assert cards["Own run"] == ""


def test_the_run_list_makes_as_many_queries_with_club_runs(client, organiser,
                                                           django_assert_num_queries):
    club = make_club(organiser)
    make_club_run(club, organiser)
    with django_assert_num_queries(2):
        client.get("/runs/")
    for number in range(10):
        make_club_run(make_club(organiser, name=f"Club {number}"), organiser)
    with django_assert_num_queries(2):
        client.get("/runs/")


# Managing a club's runs


@pytest.fixture
def club_run(club, organiser, co_organiser):
    """A run Bojan published for the club, with two runners; Dora co-organises."""
    Organiser.objects.create(club=club, user=co_organiser)
    run = make_club_run(club, organiser, title="Pond loop", capacity=10)
    for person in make_runners(2):
        run.join(person)
    mail.outbox.clear()
    return run


def test_a_co_organiser_edits_a_club_run_and_its_runners_are_told(client, club_run,
                                                                  co_organiser):
    client.force_login(co_organiser)
    assert client.get(f"/runs/{club_run.pk}/edit/").status_code == 200

    response = client.post(f"/runs/{club_run.pk}/edit/",
                           edit_form(club_run, meeting_point="Tivoli pond"))

    assert response.status_code == 302
    club_run.refresh_from_db()
    assert club_run.meeting_point == "Tivoli pond"
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.com", "r1@example.com"]


def test_a_co_organiser_sees_the_organisers_tools_on_the_run_page(client, club_run,
                                                                  co_organiser):
    client.force_login(co_organiser)
    page = text(client.get(f"/runs/{club_run.pk}/"))
    assert f'href="/runs/{club_run.pk}/edit/"' in page
    assert "Runner 0" in page  # organisers see who is going


def test_a_co_organiser_messages_a_club_runs_runners_in_their_own_name(
    client, club_run, co_organiser
):
    client.force_login(co_organiser)

    response = client.post(f"/runs/{club_run.pk}/message/",
                           {"audience": "going", "text": "Head torches tonight."})

    assert response.status_code == 302
    assert sorted(m.to[0] for m in mail.outbox) == ["r0@example.com", "r1@example.com"]
    assert all(m.subject.startswith("Dora") for m in mail.outbox)
    assert all("Head torches tonight." in m.body for m in mail.outbox)


def test_a_co_organiser_cancels_a_club_run(client, club_run, co_organiser):
    client.force_login(co_organiser)

    response = client.post(f"/runs/{club_run.pk}/cancel/", {"reason": "Storm", "confirm": "yes"})

    assert response.status_code == 302
    club_run.refresh_from_db()
    assert club_run.is_cancelled
    assert len(mail.outbox) == 2


def test_an_invited_co_organiser_may_manage_club_runs(client, club, organiser):
    from tests.conftest import make_user

    run = make_club_run(club, organiser, title="Pond loop")
    eva = make_user("eva@example.com", "Eva")
    client.force_login(organiser)
    client.post("/clubs/tivoli-trotters/invite/", {"email": "eva@example.com"})
    client.force_login(eva)
    assert client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="Renamed")).status_code \
        == 403
    client.post("/clubs/tivoli-trotters/invitation/", {"answer": "accept"})

    response = client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="Pond loop, twice"))

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.title == "Pond loop, twice"


@pytest.mark.parametrize("action", ["edit", "message", "cancel"])
def test_an_outsider_may_not_manage_a_club_run(runner_client, club_run, action):
    data = {"edit": edit_form(club_run, title="Hijacked"),
            "message": {"audience": "going", "text": "Hi"},
            "cancel": {"reason": "No"}}[action]

    response = runner_client.post(f"/runs/{club_run.pk}/{action}/", data)

    assert response.status_code == 403
    club_run.refresh_from_db()
    assert club_run.title == "Pond loop" and not club_run.is_cancelled
    assert mail.outbox == []


def test_a_removed_co_organiser_may_no_longer_edit_club_runs(client, club_run, organiser,
                                                             co_organiser):
    client.force_login(organiser)
    client.post(f"/clubs/tivoli-trotters/organisers/{co_organiser.pk}/remove/")
    client.force_login(co_organiser)
    assert client.get(f"/runs/{club_run.pk}/edit/").status_code == 403


def test_a_co_organiser_may_not_edit_the_other_organisers_own_runs(client, club_run,
                                                                   organiser, co_organiser):
    own = make_run(organiser, title="Bojan's own run")
    client.force_login(co_organiser)
    assert client.get(f"/runs/{own.pk}/edit/").status_code == 403


def test_my_runs_lists_the_runs_of_clubs_i_organise(client, club_run, co_organiser):
    client.force_login(co_organiser)
    page = text(client.get("/runs/mine/"))
    assert section(page, "Runs I organise") == ["Pond loop"]


# Home page and My runs: the clubs I follow first


@pytest.fixture
def followed(club, organiser, runner):
    """The runner follows the club, whose run is later than another run."""
    make_run(organiser, title="Soonest run", days=1)
    make_club_run(club, organiser, title="Club run", days=6)
    other = make_club(organiser, name="Koper Coast")
    make_club_run(other, organiser, title="Not followed", days=2)
    make_club_run(club, organiser, title="Cancelled club run", days=3).cancel()
    Follow.objects.create(club=club, user=runner)


def test_the_home_page_shows_the_next_runs_of_clubs_i_follow_first(runner_client, followed):
    page = text(runner_client.get("/"))

    assert "From clubs you follow" in page
    shown = titles(page)
    assert shown[0] == "Club run"
    assert "Cancelled club run" not in section(page, "From clubs you follow")
    assert section(page, "From clubs you follow") == ["Club run"]
    assert shown.count("Club run") == 1  # not again under "Next runs"
    assert "Soonest run" in shown and "Not followed" in shown


def test_my_runs_shows_the_next_runs_of_clubs_i_follow_first(runner_client, followed):
    page = text(runner_client.get("/runs/mine/"))

    assert section(page, "Next from clubs I follow") == ["Club run"]
    assert page.index("Next from clubs I follow") < page.index("Runs I'm going to")


def test_without_follows_the_home_page_is_as_before(client, followed, outsider):
    client.force_login(outsider)
    page = text(client.get("/"))
    assert "From clubs you follow" not in page
    assert titles(page)[0] == "Soonest run"


def test_an_anonymous_home_page_has_no_followed_section(client, followed):
    page = text(client.get("/"))
    assert "From clubs you follow" not in page


def test_a_closed_clubs_runs_are_no_longer_first(runner_client, followed, club):
    services.close(club)
    page = text(runner_client.get("/"))
    assert "From clubs you follow" not in page
