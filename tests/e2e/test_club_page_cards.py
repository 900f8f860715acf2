"""A club's own page lists its runs without naming the club on every card; every other
list names it."""

import pytest
from playwright.sync_api import expect

from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user

pytestmark = pytest.mark.browser


def test_cards_name_the_club_except_on_its_own_page(page, db):
    organiser = make_user("organiser@example.com", "Bojan")
    club = make_club(organiser, name="Tivoli Trotters")
    make_club_run(club, organiser, title="Hill loop", meeting_point="Tivoli park")

    def card():
        return page.locator(".run-card", has=page.get_by_role("link", name="Hill loop"))

    page.goto("/runs/")
    expect(card().get_by_text("Tivoli Trotters")).to_be_visible()
    page.goto(club.get_absolute_url())
    expect(card().get_by_text("Tivoli park")).to_be_visible()
    expect(card().get_by_text("Tivoli Trotters")).to_be_hidden()
    # The meeting point then starts the line, without the " · " between facts.
    shown = card().locator(".run-facts").evaluate("facts => facts.innerText")
    assert shown.strip() == "Tivoli park"
