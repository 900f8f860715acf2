"""Past runs read as past: a run that has started says so on its card, its page, My runs
and its club's page; and an organiser is shown as its organiser, never offered to join."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from runs.models import Participation
from tests.clubs import conftest as clubs_conftest
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners

co_organiser = clubs_conftest.co_organiser  # the clubs' cast, as a fixture here too


def text(response):
    return html.unescape(response.content.decode())


def cards(response):
    """Each run card's text by the run's title."""
    found = re.findall(r'<li class="run-card.*?</li>', text(response), re.S)
    return {re.search(r'class="run-title"><a href="[^"]+">([^<]+)</a>', card)[1]: card
            for card in found}


def page_of(client, run):
    response = client.get(f"/runs/{run.pk}/")
    assert response.status_code == 200
    return text(response)


def started(minutes):
    return (timezone.now() - timedelta(minutes=minutes)).replace(microsecond=0)


def went(run, person, *, status="going", came=False):
    return Participation.objects.create(
        run=run, runner=person, status=status, attended_at=timezone.now() if came else None,
        attended_by="organiser" if came else "")


@pytest.fixture
def past_full_run(organiser):
    """A run two days ago: two places, both taken, one runner waiting; one of the two came."""
    run = make_run(organiser, title="Last Sunday", days=-2, capacity=2)
    first, second, third = make_runners(3)
    went(run, first, came=True)
    went(run, second)
    went(run, third, status="waitlisted")
    return run


# Cards


def test_a_past_runs_card_says_it_took_place_and_how_many_came(client, past_full_run):
    card = cards(client.get("/runs/?past=1"))["Last Sunday"]
    assert "Took place" in card and "1 came" in card
    assert "spot" not in card and "Full" not in card and "waiting" not in card


def test_a_past_run_nobody_marked_says_how_many_were_going(client, organiser):
    run = make_run(organiser, title="Unmarked", days=-3, capacity=10)
    for person in make_runners(3):
        went(run, person)
    card = cards(client.get("/runs/?past=1"))["Unmarked"]
    assert "Took place" in card and "3 were going" in card
    assert "spots left" not in card and "came" not in card


def test_a_run_under_way_says_it_started(client, organiser):
    make_run(organiser, title="Right now", starts_at=started(10), capacity=5)
    card = cards(client.get("/runs/?past=1"))["Right now"]
    assert "Started" in card and "Took place" not in card
    assert "spots left" not in card


def test_a_cancelled_past_run_still_says_cancelled(client, organiser):
    run = make_run(organiser, title="Called off", days=1)
    run.cancel(reason="Storm")
    run.starts_at = timezone.now() - timedelta(days=1)
    run.save()
    card = cards(client.get("/runs/?past=1"))["Called off"]
    assert "Cancelled" in card and "Took place" not in card


@pytest.mark.parametrize(("status", "came", "says"), [
    ("going", True, "You ran it"),
    ("going", False, "You were going"),
    ("waitlisted", False, "You were on the waitlist"),
])
def test_my_place_on_a_past_runs_card_is_in_the_past_tense(
    runner_client, runner, organiser, status, came, says
):
    run = make_run(organiser, title="Last week", days=-7)
    went(run, runner, status=status, came=came)
    card = cards(runner_client.get("/runs/?past=1"))["Last week"]
    assert says in card
    assert "You're" not in card


def test_upcoming_cards_still_say_youre_going(runner_client, runner, organiser):
    make_run(organiser, title="Next week", days=7).join(runner)
    card = cards(runner_client.get("/runs/"))["Next week"]
    assert "You're going" in card and "You were going" not in card


@pytest.mark.parametrize("who", ["organiser", "co-organiser"])
def test_cards_tell_organisers_they_organise_the_run(client, organiser, co_organiser, who):
    club = make_club(organiser, co_organisers=[co_organiser])
    make_club_run(club, organiser, title="Club run", days=2)
    make_club_run(club, organiser, title="Old club run", days=-2)
    client.force_login(organiser if who == "organiser" else co_organiser)
    assert "You organise it" in cards(client.get("/runs/"))["Club run"]
    assert "You organised it" in cards(client.get("/runs/?past=1"))["Old club run"]


def test_cards_do_not_tell_others_they_organise_it(runner_client, organiser):
    make_run(organiser, title="Not mine", days=2)
    assert "organise" not in cards(runner_client.get("/runs/"))["Not mine"]


def test_a_clubs_recent_runs_read_as_past(client, organiser):
    club = make_club(organiser)
    run = make_club_run(club, organiser, title="Pond loop", days=-2, capacity=3)
    went(run, make_user("a@example.com", "Ana"), came=True)
    card = cards(client.get(f"/clubs/{club.slug}/"))["Pond loop"]
    assert "Took place" in card and "1 came" in card
    assert "spots left" not in card


def test_my_runs_past_cards_say_what_i_did(runner_client, runner, organiser):
    went(make_run(organiser, title="Ran this", days=-2), runner, came=True)
    went(make_run(organiser, title="Missed this", days=-3), runner)
    make_run(runner, title="Led this", days=-4)
    listed = cards(runner_client.get("/runs/mine/"))
    assert "You ran it" in listed["Ran this"]
    assert "You were going" in listed["Missed this"]
    assert "You organised it" in listed["Led this"]
    assert all("spots left" not in card for card in listed.values())


@pytest.mark.parametrize("count", [1, 10])
def test_my_runs_makes_as_many_queries_for_ten_past_runs_as_for_one(
    client, runner, organiser, django_assert_num_queries, count
):
    for number in range(count):
        went(make_run(organiser, title=f"Past {number}", days=-1 - number), runner,
             came=number % 2 == 0)
    client.force_login(runner)
    # The session with its account, the runs of followed clubs, going/waiting,
    # organising, past.
    with django_assert_num_queries(5):
        page = text(client.get("/runs/mine/"))
    assert page.count("You ran it") == (count + 1) // 2


@pytest.mark.parametrize("count", [2, 40])
def test_the_archive_makes_as_many_queries_for_many_runs_as_for_few(
    runner_client, runner, organiser, django_assert_num_queries, count
):
    for number in range(count):
        went(make_run(organiser, title=f"Past {number}", days=-1 - number), runner,
             came=number % 2 == 0)
    # The session with its account, count, a page of runs, the runner's places on it.
    with django_assert_num_queries(4):
        page = text(runner_client.get("/runs/?past=1"))
    assert page.count("You ran it") + page.count("You were going") == min(count, 20)


# The run page


@pytest.mark.parametrize(("status", "came", "says"), [
    ("going", True, "You ran it"),
    ("going", False, "You were going"),
    ("waitlisted", False, "You were on the waitlist"),
])
def test_a_past_run_page_says_what_i_did_and_offers_no_buttons(
    runner_client, runner, past_full_run, status, came, says
):
    went(past_full_run, runner, status=status, came=came)

    page = page_of(runner_client, past_full_run)

    assert says in page
    assert "You're going" not in page and "You're #" not in page
    for gone in ("Join run", "Join the waitlist", "Leave run", "Leave the waitlist",
                 "spots left", "Full, "):
        assert gone not in page
    assert "This run has taken place." in page
    assert "Who was going" in page


def test_a_past_run_page_tells_visitors_how_many_went_and_came(client, past_full_run):
    page = page_of(client, past_full_run)
    assert "2 runners were going. 1 came." in page
    assert "Took place" in page
    assert "Join run" not in page and "spots left" not in page


def test_a_run_under_way_says_it_has_started(runner_client, runner, organiser):
    run = make_run(organiser, starts_at=started(10))
    went(run, runner)
    page = page_of(runner_client, run)
    assert "This run has started." in page and "You were going" in page
    assert "Add to calendar" not in page


# Organisers are not offered their own run


@pytest.mark.parametrize("who", ["organiser", "co-organiser"])
def test_the_organiser_is_shown_as_organiser_not_offered_to_join(
    client, organiser, co_organiser, who
):
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser, capacity=5)
    client.force_login(organiser if who == "organiser" else co_organiser)

    page = page_of(client, run)

    assert "You organise this run" in page
    assert "Join run" not in page and "Join the waitlist" not in page


@pytest.mark.parametrize("who", ["organiser", "co-organiser"])
def test_joining_ones_own_run_is_refused_with_a_message(client, organiser, co_organiser, who):
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser)
    client.force_login(organiser if who == "organiser" else co_organiser)

    response = client.post(f"/runs/{run.pk}/join/")

    assert response.status_code == 409
    assert "You organise this run, so there is no need to join it." in text(response)
    assert not run.participations.exists()


def test_an_organiser_of_a_past_run_reads_that_they_organised_it(organiser_client, organiser):
    run = make_run(organiser, days=-1)
    assert "You organised this run" in page_of(organiser_client, run)


# The waitlist's own words


def test_a_waitlisted_runner_is_offered_to_leave_the_waitlist(runner_client, runner, organiser):
    run = make_run(organiser, capacity=1)
    run.join(make_user("first@example.com", "First"))
    run.join(runner)

    page = page_of(runner_client, run)

    assert '<button type="submit" class="button-secondary">Leave the waitlist</button>' in page
    assert "Leave run" not in page


def test_a_going_runner_is_offered_to_leave_the_run(runner_client, runner, organiser):
    run = make_run(organiser, capacity=1)
    run.join(runner)
    page = page_of(runner_client, run)
    assert "Leave run" in page and "Leave the waitlist" not in page
