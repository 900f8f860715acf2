"""The clubs list, starting a club, a club's page and editing it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clubs import services
from clubs.models import Club, ClubSlug, Follow, Organiser
from runs.models import Participation
from tests.clubs.conftest import make_club, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners

LIST = "/clubs/"
NEW = "/clubs/new/"


def listed_names(response):
    return re.findall(r'class="club-name"><a href="[^"]+">([^<]+)</a>', text(response))


def new_club(**overrides):
    return {"name": "Rožnik Runners", "place": "Ljubljana",
            "description": "Easy hills on Tuesdays.", **overrides}


# The list


def test_the_list_shows_each_club_with_its_place_and_next_run(client, organiser):
    club = make_club(organiser, name="Tivoli Trotters", place="Ljubljana")
    make_club(organiser, name="Koper Coast", place="Koper")
    make_club_run(club, organiser, days=9)
    soonest = make_club_run(club, organiser, days=4)
    make_club_run(club, organiser, days=2).cancel()
    make_club_run(club, organiser, days=-2)

    response = client.get(LIST)

    assert response.status_code == 200
    assert listed_names(response) == ["Koper Coast", "Tivoli Trotters"]
    page = text(response)
    assert "Ljubljana" in page and "Koper" in page
    # The next run that is not cancelled, in the site's zone.
    assert f'datetime="{timezone.localtime(soonest.starts_at).isoformat()}"' in page
    assert "No upcoming runs" in page  # Koper Coast has none


@pytest.mark.parametrize(("query", "names"), [
    ("trot", ["Tivoli Trotters"]),
    ("KOPER", ["Koper Coast"]),
    ("ljubljana", ["Rožnik Runners", "Tivoli Trotters"]),
    ("ljubljana rož", ["Rožnik Runners"]),  # several words narrow
    ("ljubljana roznik", ["Rožnik Runners"]),  # typed without the caron
    ("ROŽNIK", ["Rožnik Runners"]),
    ("rožna", ["Rožnik Runners"]),  # the place, in another case
    ("Ljubljana koper", []),
    ("", ["Koper Coast", "Rožnik Runners", "Tivoli Trotters"]),
])
def test_the_list_finds_clubs_by_name_and_place(client, organiser, query, names):
    make_club(organiser, name="Tivoli Trotters", place="Ljubljana")
    make_club(organiser, name="Rožnik Runners", place="Ljubljana, Rožna dolina")
    make_club(organiser, name="Koper Coast", place="Koper")

    response = client.get(LIST, {"q": query})

    assert response.status_code == 200
    assert listed_names(response) == names
    if not names:
        assert "No club matches" in text(response)


def test_closed_and_deactivated_clubs_are_not_listed(client, organiser):
    make_club(organiser, name="Open Club")
    Club.objects.filter(pk=make_club(organiser, name="Closed Club").pk).update(
        closed_at=timezone.now())
    Club.objects.filter(pk=make_club(organiser, name="Hidden Club").pk).update(
        deactivated_at=timezone.now())

    assert listed_names(client.get(LIST)) == ["Open Club"]
    assert listed_names(client.get(LIST, {"q": "club"})) == ["Open Club"]


@pytest.mark.parametrize(("query", "message"), [("x" * 81, "at most 80 characters"),
                                                ("run\x00club", "Null characters are not allowed")])
def test_a_bad_search_says_what_is_wrong_with_a_400(client, organiser, query, message):
    make_club(organiser)

    response = client.get(LIST, {"q": query})

    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert re.search(r'class="error"', page), "the search field says what is wrong"


def test_a_search_longer_than_80_characters_names_the_limit(client, db):
    response = client.get(LIST, {"q": "x" * 81})
    assert response.status_code == 400
    assert "at most 80 characters" in text(response)


def test_a_bad_page_number_shows_a_page_not_an_error(client, organiser):
    make_club(organiser)
    assert client.get(LIST, {"page": "abc"}).status_code == 200
    assert client.get(LIST, {"page": "999"}).status_code == 200


def test_the_list_makes_as_many_queries_for_30_clubs_as_for_3(
    client, organiser, django_assert_num_queries
):
    def clubs(count, start):
        for number in range(start, start + count):
            club = make_club(organiser, name=f"Club {number:02d}")
            make_club_run(club, organiser, days=2)

    clubs(3, 0)
    # The page's clubs, and how many there are (for the pages).
    with django_assert_num_queries(2):
        assert len(listed_names(client.get(LIST))) == 3
    clubs(27, 3)
    with django_assert_num_queries(2):
        assert len(listed_names(client.get(LIST))) == 20


# Starting a club


def test_starting_a_club_needs_an_account(client, db):
    for response in (client.get(NEW), client.post(NEW, new_club())):
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={NEW}"
    assert not Club.objects.exists()


def test_the_form_asks_for_name_place_and_description(runner_client):
    page = text(runner_client.get(NEW))
    for label in ("Name", "Place", "Description", "Create club"):
        assert label in page


def test_the_creator_is_the_clubs_first_organiser(runner_client, runner):
    response = runner_client.post(NEW, new_club())

    club = Club.objects.get()
    assert response.status_code == 302
    assert response["Location"] == "/clubs/roznik-runners/"
    assert (club.name, club.place, club.description) == (
        "Rožnik Runners", "Ljubljana", "Easy hills on Tuesdays.")
    assert [role.user for role in club.organisers.all()] == [runner]
    page = text(runner_client.get(response["Location"]))
    assert "Your club is created" in page
    assert "Edit the club and its organisers" in page


@pytest.mark.parametrize("name", ["Tivoli trotters", "TIVOLI TROTTERS", "tivoli-trotters!",
                                  "  Tivoli   Trotters ", "Tivoli_Trotters"])
def test_a_name_taken_in_any_case_or_making_the_same_address_is_refused(
    runner_client, organiser, name
):
    make_club(organiser, name="Tivoli Trotters")

    response = runner_client.post(NEW, new_club(name=name))

    assert response.status_code == 400
    assert "A club with this name already exists" in text(response)
    assert Club.objects.count() == 1


def test_a_former_name_of_another_club_is_refused(runner_client, organiser):
    club = make_club(organiser, name="Old Name")
    services.update(club, name="New Name", place=club.place, description="")

    response = runner_client.post(NEW, new_club(name="Old name"))

    assert response.status_code == 400
    assert "already exists" in text(response)
    # The old link still leads to the renamed club.
    assert runner_client.get("/clubs/old-name/")["Location"] == "/clubs/new-name/"


@pytest.mark.parametrize(("name", "message"), [
    ("!!!", "letters or digits"), ("---", "letters or digits"), ("…", "letters or digits"),
    ("   ", "This field is required"),
])
def test_a_name_without_letters_or_digits_is_refused(runner_client, name, message):
    response = runner_client.post(NEW, new_club(name=name))

    assert response.status_code == 400
    page = text(response)
    assert message in page
    assert not Club.objects.exists()


@pytest.mark.parametrize("name", ["New", "new!", "Unsubscribe", "Invitations"])
def test_names_whose_address_is_a_page_of_the_site_are_refused(runner_client, name):
    response = runner_client.post(NEW, new_club(name=name))

    assert response.status_code == 400
    assert "already exists" in text(response)
    assert not Club.objects.exists()


def test_a_club_needs_a_name_and_a_place(runner_client):
    response = runner_client.post(NEW, new_club(name="", place=""))

    assert response.status_code == 400
    assert text(response).count("This field is required") == 2
    assert not Club.objects.exists()


@pytest.mark.parametrize("field", ["name", "place"])
def test_control_characters_are_refused_as_in_a_run_title(runner_client, field):
    response = runner_client.post(NEW, new_club(**{field: "Tivoli\x1b[31m Trotters"}))

    assert response.status_code == 400
    assert "Use one line, without control characters." in text(response)
    assert not Club.objects.exists()


def test_line_breaks_and_runs_of_spaces_become_one_space(runner_client):
    runner_client.post(NEW, new_club(name="Tivoli\r\n  Trotters", place="Ljubljana\tcentre"))
    club = Club.objects.get()
    assert (club.name, club.place) == ("Tivoli Trotters", "Ljubljana centre")


def test_overlong_fields_are_refused_with_a_message(runner_client):
    response = runner_client.post(NEW, new_club(name="x" * 81, place="y" * 101,
                                                description="z" * 2001))
    assert response.status_code == 400
    assert not Club.objects.exists()


# A club's page


@pytest.fixture
def busy_club(organiser, co_organiser):
    club = make_club(organiser, name="Tivoli Trotters", place="Ljubljana",
                     description="We meet by the pond.", co_organisers=[co_organiser])
    make_club_run(club, organiser, title="Pond loop", days=2, capacity=10)
    make_club_run(club, co_organiser, title="Hill repeats", days=5)
    make_club_run(club, organiser, title="Last Sunday's long run", days=-5)
    make_run(organiser, title="Bojan's own run", days=3)
    return club


def test_a_club_page_shows_what_a_runner_needs(client, busy_club):
    response = client.get("/clubs/tivoli-trotters/")

    assert response.status_code == 200
    page = text(response)
    for expected in ("Tivoli Trotters", "Ljubljana", "We meet by the pond.", "Pond loop",
                     "Hill repeats", "Last Sunday's long run", "Bojan, Dora"):
        assert expected in page
    assert "Bojan's own run" not in page
    assert page.index("Pond loop") < page.index("Hill repeats")


def test_a_club_page_shows_runs_as_the_run_list_shows_them(client, busy_club, runner):
    run = busy_club.runs.get(title="Pond loop")
    run.join(runner)

    page = text(client.get("/clubs/tivoli-trotters/"))
    card = re.search(r'<li class="run-card.*?</li>', page, re.S)[0]

    assert f'href="/runs/{run.pk}/"' in card
    assert "Tivoli Trotters" in card  # club runs carry the club's name
    assert "9 spots left" in card  # the same counts as on /runs/


def test_a_club_page_shows_how_many_follow_it_never_who(client, busy_club):
    followers = make_runners(3, prefix="fan")
    for person in followers:
        Follow.objects.create(club=busy_club, user=person)

    page = text(client.get("/clubs/tivoli-trotters/"))

    assert "Followed by 3 runners" in page
    for person in followers:
        assert person.display_name not in page
        assert person.email not in page


def test_a_club_page_links_to_its_calendar(client, busy_club, settings):
    page = text(client.get("/clubs/tivoli-trotters/"))

    # A download, a subscribe link for calendar apps, and the address to paste into one.
    assert 'href="/clubs/tivoli-trotters/calendar.ics" download' in page
    feed = f"{settings.SITE_URL}/clubs/tivoli-trotters/calendar.ics"
    assert f'href="webcal://{feed.split("://", 1)[1]}"' in page
    assert f'value="{feed}" readonly' in page


def test_an_anonymous_reader_gets_no_cookie_and_a_link_to_log_in_to_follow(client, busy_club):
    response = client.get("/clubs/tivoli-trotters/")

    assert not response.cookies
    assert not response.has_header("Set-Cookie")
    page = text(response)
    assert 'href="/accounts/login/?next=/clubs/tivoli-trotters/"' in page
    assert "/clubs/tivoli-trotters/follow/" not in page
    assert "csrfmiddlewaretoken" not in page


def test_a_signed_in_reader_gets_a_follow_button(runner_client, busy_club):
    page = text(runner_client.get("/clubs/tivoli-trotters/"))
    assert 'action="/clubs/tivoli-trotters/follow/"' in page
    assert "Edit the club" not in page


def test_an_organiser_sees_the_links_to_edit_and_to_add_a_run(organiser_client, busy_club):
    page = text(organiser_client.get("/clubs/tivoli-trotters/"))
    assert 'href="/clubs/tivoli-trotters/edit/"' in page
    assert 'href="/runs/new/?club=tivoli-trotters"' in page


def test_no_such_club_is_404(client, db):
    assert client.get("/clubs/no-such-club/").status_code == 404


def test_a_deactivated_club_is_404_at_every_address(client, busy_club):
    services.update(busy_club, name="Tivoli Runners", place="Ljubljana", description="")
    Club.objects.filter(pk=busy_club.pk).update(deactivated_at=timezone.now())

    assert client.get("/clubs/tivoli-runners/").status_code == 404
    assert client.get("/clubs/tivoli-trotters/").status_code == 404


def test_a_closed_club_says_so_keeps_its_past_runs_and_cannot_be_followed(
    runner_client, busy_club
):
    services.close(busy_club)

    response = runner_client.get("/clubs/tivoli-trotters/")

    assert response.status_code == 200
    page = text(response)
    assert "This club has closed" in page
    assert "Last Sunday's long run" in page
    assert "/follow/" not in page


# Renaming


def test_a_renamed_club_gets_a_new_address_and_the_old_one_redirects(organiser_client, club):
    response = organiser_client.post("/clubs/tivoli-trotters/edit/", {
        "name": "Tivoli Runners", "place": "Ljubljana", "description": "New text"})

    assert response.status_code == 302
    assert response["Location"] == "/clubs/tivoli-runners/"
    club.refresh_from_db()
    assert (club.slug, club.name, club.description) == ("tivoli-runners", "Tivoli Runners",
                                                       "New text")
    old = organiser_client.get("/clubs/tivoli-trotters/")
    assert old.status_code == 301
    assert old["Location"] == "/clubs/tivoli-runners/"
    assert organiser_client.get("/clubs/tivoli-runners/").status_code == 200


def test_a_club_renamed_twice_redirects_from_both_old_addresses(organiser_client, club):
    for name in ("Second Name", "Third Name"):
        organiser_client.post("/clubs/tivoli-trotters/edit/" if name == "Second Name"
                              else "/clubs/second-name/edit/",
                              {"name": name, "place": "Ljubljana", "description": ""})

    for old in ("/clubs/tivoli-trotters/", "/clubs/second-name/"):
        response = organiser_client.get(old)
        assert (response.status_code, response["Location"]) == (301, "/clubs/third-name/")


def test_a_club_may_take_back_its_own_former_name(organiser_client, club):
    organiser_client.post("/clubs/tivoli-trotters/edit/",
                          {"name": "Other Name", "place": "Ljubljana", "description": ""})
    response = organiser_client.post("/clubs/other-name/edit/", {
        "name": "Tivoli Trotters", "place": "Ljubljana", "description": ""})

    assert response.status_code == 302
    assert organiser_client.get("/clubs/tivoli-trotters/").status_code == 200
    assert organiser_client.get("/clubs/other-name/")["Location"] == "/clubs/tivoli-trotters/"


def test_a_change_of_case_keeps_the_address(organiser_client, club):
    response = organiser_client.post("/clubs/tivoli-trotters/edit/", {
        "name": "TIVOLI Trotters", "place": "Ljubljana", "description": ""})

    assert response.status_code == 302
    club.refresh_from_db()
    assert (club.name, club.slug) == ("TIVOLI Trotters", "tivoli-trotters")


def test_renaming_to_another_clubs_name_is_refused(organiser_client, club, organiser):
    make_club(organiser, name="Koper Coast")

    response = organiser_client.post("/clubs/tivoli-trotters/edit/", {
        "name": "koper coast", "place": "Ljubljana", "description": ""})

    assert response.status_code == 400
    assert "already exists" in text(response)
    club.refresh_from_db()
    assert (club.name, club.slug) == ("Tivoli Trotters", "tivoli-trotters")


# Who may edit


def test_editing_needs_an_account(client, club):
    response = client.get("/clubs/tivoli-trotters/edit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_organisers_may_edit_a_club(runner_client, club):
    assert runner_client.get("/clubs/tivoli-trotters/edit/").status_code == 403
    response = runner_client.post("/clubs/tivoli-trotters/edit/", {
        "name": "Hijacked", "place": "Nowhere", "description": ""})
    assert response.status_code == 403
    club.refresh_from_db()
    assert club.name == "Tivoli Trotters"


def test_a_co_organiser_may_edit_the_club(client, club, co_organiser):
    Organiser.objects.create(club=club, user=co_organiser)
    client.force_login(co_organiser)

    response = client.post("/clubs/tivoli-trotters/edit/", {
        "name": "Tivoli Trotters", "place": "Ljubljana, Tivoli", "description": ""})

    assert response.status_code == 302
    club.refresh_from_db()
    assert club.place == "Ljubljana, Tivoli"


def test_the_edit_page_lists_organisers_and_waiting_invitations(organiser_client, club):
    invited = make_user("invited@example.com", "Eva")
    organiser_client.post("/clubs/tivoli-trotters/invite/", {"email": "invited@example.com"})

    page = text(organiser_client.get("/clubs/tivoli-trotters/edit/"))

    assert "Bojan (you)" in page
    # The address the organiser typed; the account's name only once it accepts.
    assert "Invitations waiting" in page and "invited@example.com" in page
    assert invited.display_name not in page


def test_club_slugs_are_kept_for_every_address(club):
    assert list(ClubSlug.objects.values_list("slug", flat=True)) == ["tivoli-trotters"]


def test_a_club_page_marks_the_runs_i_joined(runner_client, busy_club, runner):
    busy_club.runs.get(title="Pond loop").join(runner)
    page = text(runner_client.get("/clubs/tivoli-trotters/"))
    card = re.search(r'<li class="run-card.*?</li>', page, re.S)[0]
    assert "Pond loop" in card and "You're going" in card


def test_a_club_page_makes_as_many_queries_for_30_runs_as_for_3(
    runner_client, runner, organiser, django_assert_num_queries
):
    club = make_club(organiser)

    def runs(count):
        for number in range(count):
            run = make_club_run(club, organiser, days=2 + number % 20, title=f"Run {number}")
            run.join(runner)
            make_club_run(club, organiser, days=-1 - number % 20)
            Follow.objects.create(club=club, user=make_user(f"f{run.pk}@example.com", "F"))

    runs(3)
    with CaptureQueriesContext(connection) as few:
        runner_client.get("/clubs/tivoli-trotters/")
    assert len(few.captured_queries) <= 12
    runs(27)
    with django_assert_num_queries(len(few.captured_queries)):
        page = text(runner_client.get("/clubs/tivoli-trotters/"))
    assert page.count("You're going") == 30


def test_the_club_pages_cards_speak_to_the_reader(client, club, organiser, runner):
    upcoming = make_club_run(club, organiser, title="Next loop")
    upcoming.join(runner)
    past = make_club_run(club, organiser, title="Last loop", days=-2)
    Participation.objects.create(run=past, runner=runner, status="going",
                                 attended_at=past.starts_at)
    client.force_login(runner)
    page = text(client.get("/clubs/tivoli-trotters/"))
    assert "You're going" in page and "You ran it" in page
    client.force_login(organiser)
    page = text(client.get("/clubs/tivoli-trotters/"))
    assert "You organise it" in page and "You organised it" in page
