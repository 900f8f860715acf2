"""Run cards are kept once rendered (runs/templatetags/run_cards.py) and a signed-in
runner's list reuses the body every reader shares (run_cards.kept_body): a kept card
must never show an old title, a wrong number of spots or someone else's place."""

import html
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from clubs import services as club_services
from runs.models import Run
from tests.clubs.conftest import make_club, make_club_run
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners


def cards(client):
    """The text of each run card on /runs/, tags dropped, in page order."""
    response = client.get("/runs/")
    assert response.status_code == 200
    page = response.content.decode()
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())
            for card in re.findall(r'<li class="run-card.*?</li>', page, re.S)]


def card_of(client, title):
    (card,) = [card for card in cards(client) if title in card]
    return card


@pytest.fixture
def ana(db):
    return make_user("ana@example.com", "Ana")


def test_an_edited_title_shows_at_once(client, ana, run):
    client.force_login(ana)
    assert "Tuesday river loop" in card_of(client, "Tuesday river loop")
    run.title = "Sunrise loop"
    run.save()
    assert cards(client) == [card_of(client, "Sunrise loop")]
    assert "Tuesday river loop" not in card_of(client, "Sunrise loop")


def test_a_join_changes_the_spots_left_at_once(client, ana, run):
    client.force_login(ana)
    assert "2 spots left" in card_of(client, "Tuesday river loop")
    (bob,) = make_runners(1)
    run.join(bob)
    assert "1 spot left" in card_of(client, "Tuesday river loop")
    run.join(ana)
    card = card_of(client, "Tuesday river loop")
    assert "Full" in card and "You're going" in card
    run.leave(bob)
    assert "1 spot left" in card_of(client, "Tuesday river loop")


def test_a_cancellation_shows_at_once(client, ana, run):
    client.force_login(ana)
    run.join(ana)
    assert "Cancelled" not in card_of(client, "Tuesday river loop")
    run.cancel(reason="Ice on the path")
    card = card_of(client, "Tuesday river loop")
    assert "Cancelled" in card
    assert "spots left" not in card


def test_a_run_that_starts_stops_offering_places_at_once(client, ana, organiser, monkeypatch):
    run = make_run(organiser, days=1, capacity=5)
    run.join(ana)
    client.force_login(ana)
    card = card_of(client, "Tuesday river loop")
    assert "4 spots left" in card and "You're going" in card
    # Nothing in the database changes when a run starts: only the clock moves. The list
    # is kept for the rest of the minute, but not past a start on it: the run leaves the
    # upcoming runs at once, and the archive says it started.
    started = run.starts_at + timedelta(seconds=1)
    monkeypatch.setattr(timezone, "now", lambda: started)
    assert cards(client) == []
    response = client.get("/runs/?past=1")
    (card,) = [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", card)).split())
               for card in re.findall(r'<li class="run-card.*?</li>',
                                      response.content.decode(), re.S)]
    assert "Started" in card and "You were going" in card
    assert "spots left" not in card and "You're going" not in card


def test_a_club_rename_shows_at_once(client, ana, organiser):
    club = make_club(organiser)
    make_club_run(club, organiser, title="Hill repeats")
    client.force_login(ana)
    assert "Tivoli Trotters" in card_of(client, "Hill repeats")
    club_services.update(club, name="Castle Runners", place="Ljubljana", description="")
    card = card_of(client, "Hill repeats")
    assert "Castle Runners" in card
    assert "Tivoli Trotters" not in card


def test_each_language_gets_its_own_card(client, ana, run):
    run.join(ana)
    client.force_login(ana)
    english = card_of(client, "Tuesday river loop")
    assert "You're going" in english and "1 spot left" in english
    ana.language = "sl"
    ana.save(update_fields=["language"])  # moves no version: the card must not be reused
    slovenian = card_of(client, "Tuesday river loop")
    assert "Greš zraven" in slovenian and "Še 1 prosto mesto" in slovenian
    assert "You're going" not in slovenian and "spot left" not in slovenian
    ana.language = "en"
    ana.save(update_fields=["language"])
    assert card_of(client, "Tuesday river loop") == english


def test_each_viewer_sees_only_their_own_place(client, ana, organiser, run):
    run.join(ana)
    (bob,) = make_runners(1)
    client.force_login(ana)
    assert "You're going" in card_of(client, "Tuesday river loop")
    client.force_login(organiser)
    card = card_of(client, "Tuesday river loop")
    assert "You organise it" in card
    assert "You're going" not in card
    client.force_login(bob)
    card = card_of(client, "Tuesday river loop")
    assert "You're going" not in card and "You organise it" not in card
    client.logout()
    client.cookies.clear()
    card = card_of(client, "Tuesday river loop")
    assert "You're going" not in card and "You organise it" not in card
    assert "1 spot left" in card


def test_a_waitlisted_runner_and_a_going_one_see_their_own_place(client, organiser):
    run = make_run(organiser, capacity=1)
    first, second = make_runners(2)
    run.join(first)
    run.join(second)
    client.force_login(first)
    assert "You're going" in card_of(client, "Tuesday river loop")
    client.force_login(second)
    card = card_of(client, "Tuesday river loop")
    assert "You're on the waitlist" in card
    assert "You're going" not in card


def test_a_card_template_that_hides_an_empty_place_is_rendered_in_full(
    client, ana, run, settings, tmp_path
):
    """A template that does more with the viewer's part than print it cannot be filled
    in from a kept card: the visitor after a runner must not get the runner's frame."""
    template = tmp_path / "runs" / "includes" / "run_card.html"
    template.parent.mkdir(parents=True)
    template.write_text('<li class="run-card">{{ run.title }}'
                        '{% if mine %} <em class="mine">[{{ mine }}]</em>{% endif %}</li>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    run.join(ana)
    client.force_login(ana)
    assert card_of(client, "Tuesday river loop") == "Tuesday river loop [ You're going ]"
    (bob,) = make_runners(1)
    client.force_login(bob)
    for _ in range(2):  # the second time from a kept card, were one kept
        page = client.get("/runs/").content.decode()
        assert "Tuesday river loop" in page
        assert 'class="mine"' not in page


def test_a_signed_in_runners_list_asks_the_database_only_for_their_own_places(
    client, ana, organiser, django_assert_num_queries
):
    for day in range(1, 31):
        make_run(organiser, days=day, title=f"Run {day}")
    client.force_login(ana)
    assert len(cards(client)) == 20
    Run.objects.get(title="Run 2").join(ana)  # moves the version: the rows are read again
    cards(client)
    # The session with its account (one query), and the viewer's places on the page.
    with django_assert_num_queries(2):
        again = cards(client)
    assert "You're going" in again[1]
    assert "You're going" not in again[0]


def test_the_body_every_reader_shares_carries_nobodys_place(client, ana, organiser, run):
    """A signed-in reader's run list is kept once for every reader (a marker where each
    card's viewer part goes) and filled in per reader: what is kept has nobody's place."""
    from joinrun import page_cache

    run.join(ana)
    client.force_login(ana)
    assert "You're going" in card_of(client, "Tuesday river loop")
    (body,) = [value[0] for value, _until in page_cache.memory.values.values()
               if isinstance(value, tuple) and isinstance(value[0], str)
               and 'class="run-list"' in value[0]]
    assert "Tuesday river loop" in body
    assert "You're going" not in body and "<!--mine-" in body
    (bob,) = make_runners(1)
    client.force_login(bob)
    assert "You're going" not in card_of(client, "Tuesday river loop")  # the same body


def test_a_form_in_the_shared_body_never_carries_a_readers_csrf_token(
    client, ana, organiser, run, settings, tmp_path
):
    """The body is rendered for the first reader and kept for all: a POST form in it must
    not keep that reader's CSRF token for the next (it gets none: its own tests notice)."""
    from pathlib import Path

    original = Path(settings.BASE_DIR / "templates/runs/includes/run_list_body.html")
    template = tmp_path / "runs" / "includes" / "run_list_body.html"
    template.parent.mkdir(parents=True)
    template.write_text(original.read_text() + '<form method="post">{% csrf_token %}</form>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    client.force_login(ana)
    first = client.get("/runs/").content.decode()
    (bob,) = make_runners(1)
    client.force_login(bob)
    second = client.get("/runs/").content.decode()
    for page in (first, second):
        body = page.split('<div class="page-head">')[1]
        assert "csrfmiddlewaretoken" not in body
