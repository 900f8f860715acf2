"""Clubs in the admin: staff see them, deactivate and reactivate them."""

import re

import pytest
from django.conf import settings
from django.core import mail

from clubs.models import Club, ClubSlug, Follow, Organiser
from tests.clubs.conftest import mail_to, make_club, make_club_run, text
from tests.runs.conftest import make_runners

CLUBS = "/admin/clubs/club/"


@pytest.fixture
def clubs(organiser, co_organiser, outsider):
    tivoli = make_club(organiser, name="Tivoli Trotters", co_organisers=[co_organiser])
    for person in make_runners(3):
        Follow.objects.create(club=tivoli, user=person)
    make_club(outsider, name="Koper Coast", place="Koper")
    mail.outbox.clear()
    return tivoli


def action(client, name, *clubs):
    return client.post(CLUBS, {"action": name, "_selected_action": [c.pk for c in clubs]},
                       follow=True)


def test_staff_see_every_club_with_its_counts(staff_client, clubs):
    response = staff_client.get(CLUBS)

    assert response.status_code == 200
    page = text(response)
    assert "Tivoli Trotters" in page and "Koper Coast" in page
    row = re.search(r"Tivoli Trotters.*?</tr>", page, re.S)[0]
    assert '<td class="field-organiser_count">2</td>' in row
    assert '<td class="field-follower_count">3</td>' in row
    # How many follow, never who.
    assert "Runner 0" not in page


def test_staff_open_a_club(staff_client, clubs):
    response = staff_client.get(f"{CLUBS}{clubs.pk}/change/")
    assert response.status_code == 200
    assert "Bojan" in text(response) and "Dora" in text(response)


def test_the_admin_cannot_delete_or_add_clubs(staff_client, clubs):
    assert staff_client.get(f"{CLUBS}add/").status_code == 403
    assert staff_client.get(f"{CLUBS}{clubs.pk}/delete/").status_code == 403


def test_people_who_are_not_staff_cannot_open_the_admin(runner_client, clubs):
    response = runner_client.get(CLUBS)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_deactivating_hides_the_club_and_tells_its_organisers(staff_client, client, clubs):
    run = make_club_run(clubs, clubs.organisers.first().user, title="Pond loop")

    response = action(staff_client, "deactivate", clubs)

    assert "1 club deactivated" in text(response)
    clubs.refresh_from_db()
    assert clubs.deactivated_at is not None
    assert sorted(m.to[0] for m in mail.outbox) == ["co@example.com", "organiser@example.com"]
    (email,) = mail_to("organiser@example.com")
    assert "Tivoli Trotters" in email.subject
    assert f"write to {settings.PRIVACY_CONTACT_EMAIL}" in email.body

    client.logout()
    listed = text(client.get("/clubs/"))
    assert "Tivoli Trotters" not in listed and "Koper Coast" in listed
    assert client.get("/clubs/tivoli-trotters/").status_code == 404
    assert "Tivoli Trotters" not in text(client.get("/clubs/", {"q": "tivoli"}))
    # Its runs stay, without a link to the club.
    page = text(client.get(f"/runs/{run.pk}/"))
    assert 'href="/clubs/tivoli-trotters/"' not in page


def test_deactivating_twice_emails_once(staff_client, clubs):
    action(staff_client, "deactivate", clubs)
    mail.outbox.clear()

    response = action(staff_client, "deactivate", clubs)

    assert "0 clubs deactivated" in text(response)
    assert mail.outbox == []


def test_reactivating_brings_the_club_back(staff_client, client, clubs):
    action(staff_client, "deactivate", clubs)

    response = action(staff_client, "reactivate", clubs)

    assert "1 club reactivated" in text(response)
    clubs.refresh_from_db()
    assert clubs.deactivated_at is None
    assert client.get("/clubs/tivoli-trotters/").status_code == 200
    assert "Tivoli Trotters" in text(client.get("/clubs/"))


def test_the_state_filter_finds_deactivated_clubs(staff_client, clubs):
    action(staff_client, "deactivate", clubs)

    page = text(staff_client.get(CLUBS, {"state": "deactivated"}))
    assert "Tivoli Trotters" in page and "Koper Coast" not in page
    page = text(staff_client.get(CLUBS, {"state": "listed"}))
    assert "Tivoli Trotters" not in page and "Koper Coast" in page


def test_staff_search_clubs(staff_client, clubs):
    page = text(staff_client.get(CLUBS, {"q": "koper"}))
    assert "Koper Coast" in page and "Tivoli Trotters" not in page


def test_staff_renaming_a_club_gives_it_a_new_address_as_on_the_site(staff_client, client,
                                                                     clubs):
    response = staff_client.post(f"{CLUBS}{clubs.pk}/change/", {
        "name": "Tivoli Runners", "place": "Ljubljana", "description": "",
        "organisers-TOTAL_FORMS": "2", "organisers-INITIAL_FORMS": "2",
        "organisers-MIN_NUM_FORMS": "0", "organisers-MAX_NUM_FORMS": "1000",
        **{f"organisers-{i}-id": role.pk
           for i, role in enumerate(Organiser.objects.filter(club=clubs))},
        **{f"organisers-{i}-club": clubs.pk for i in range(2)},
    })

    assert response.status_code == 302, text(response)
    clubs.refresh_from_db()
    assert (clubs.name, clubs.slug) == ("Tivoli Runners", "tivoli-runners")
    assert client.get("/clubs/tivoli-trotters/")["Location"] == "/clubs/tivoli-runners/"
    assert set(ClubSlug.objects.filter(club=clubs).values_list("slug", flat=True)) == {
        "tivoli-trotters", "tivoli-runners"}


def test_staff_cannot_give_a_club_another_clubs_name(staff_client, clubs):
    response = staff_client.post(f"{CLUBS}{clubs.pk}/change/", {
        "name": "koper-coast!", "place": "Ljubljana", "description": "",
        "organisers-TOTAL_FORMS": "0", "organisers-INITIAL_FORMS": "0",
        "organisers-MIN_NUM_FORMS": "0", "organisers-MAX_NUM_FORMS": "1000",
    })

    assert response.status_code == 200
    assert "A club with this name already exists" in text(response)
    assert Club.objects.get(pk=clubs.pk).name == "Tivoli Trotters"
