"""The small words a runner reads on cards, the join bar and the forms: a signed-out
visitor is told what logging in does, a full run offers its waitlist, an empty run invites
the first runner, My runs shows the same cards as every list, and a pace box's example
does not look like a value already typed."""

import html
import re

import pytest

from tests.clubs.conftest import make_club
from tests.runs.conftest import make_run, make_runners


def text(response):
    return html.unescape(response.content.decode())


def card_of(page, title):
    """The run card of ``title`` on a page."""
    start = page.index(f">{title}</a>")
    return page[page.rindex('<li class="run-card', 0, start):page.index("</li>", start)]


def test_a_signed_out_visitor_is_told_logging_in_brings_them_back(client, organiser):
    run = make_run(organiser, capacity=5)
    page = text(client.get(run.get_absolute_url()))
    assert "Log in to join; we'll bring you back here." in page
    assert f'href="/accounts/login/?next=/runs/{run.pk}/">Join run</a>' in page


def test_a_signed_out_visitor_on_a_full_run_is_offered_the_waitlist(client, organiser):
    run = make_run(organiser, capacity=1)
    run.join(make_runners(1)[0])
    page = text(client.get(run.get_absolute_url()))
    assert f'href="/accounts/login/?next=/runs/{run.pk}/">Join the waitlist</a>' in page
    assert ">Join run</a>" not in page


def test_a_signed_out_visitor_on_a_club_page_is_told_the_same(client, organiser):
    club = make_club(organiser)
    page = text(client.get(club.get_absolute_url()))
    assert "Log in to follow; we'll bring you back here." in page


def test_a_run_without_a_limit_and_nobody_going_invites_the_first(client, organiser):
    empty = make_run(organiser, title="Sunrise 5K")
    joined = make_run(organiser, title="Evening loop", days=4)
    joined.join(make_runners(1)[0])
    listed = text(client.get("/runs/"))
    assert "Be the first to join" in card_of(listed, "Sunrise 5K")
    assert "1 going" in card_of(listed, "Evening loop")
    assert "0 going" not in listed
    page = text(client.get(empty.get_absolute_url()))
    assert "Be the first to join" in page and "0 going" not in page


def test_a_run_with_a_limit_and_nobody_going_says_its_spots(client, organiser):
    make_run(organiser, title="Track session", capacity=8)
    listed = text(client.get("/runs/"))
    card = card_of(listed, "Track session")
    assert "8 spots left" in card and "Be the first" not in card


def test_my_runs_shows_joined_runs_as_full_cards_with_my_place(runner_client, runner,
                                                               organiser):
    club = make_club(organiser, name="Tivoli Trotters")
    going = make_run(organiser, title="Joined run", club=club, capacity=10, days=2)
    going.join(runner)
    full = make_run(organiser, title="Full run", capacity=1, days=3)
    for person in [*make_runners(2), runner]:
        full.join(person)
    page = text(runner_client.get("/runs/mine/"))
    card = card_of(page, "Joined run")
    for shown in ("Tivoli Trotters", "8 km", "5:30–6:00 /km", "9 spots left", "You're going"):
        assert shown in card, shown
    assert 'class="fill"' in card  # how full it is, as on every other list
    waiting = card_of(page, "Full run")
    assert "You're #2 on the waitlist" in waiting and "Full, 2 waiting" in waiting


@pytest.mark.parametrize("address", ["/runs/new/", "/runs/"])
def test_pace_boxes_show_an_example_not_a_value(client, organiser, address):
    client.force_login(organiser)
    page = text(client.get(address))
    placeholders = re.findall(r'placeholder="([^"]*)"', page)
    assert "e.g. 5:30" in placeholders
    assert "5:30" not in placeholders and "6:00" not in placeholders
