"""What the clubs app hands over and erases when a person asks."""

import json

import pytest
from django.core import mail

from clubs import services
from clubs.models import Club, Follow, Invitation, Organiser
from joinrun import personal_data
from runs.models import Participation, Run
from tests.clubs.conftest import mail_to, make_club, make_club_run, text
from tests.conftest import PASSWORD, make_user
from tests.runs.conftest import make_run, make_runners


def erase(user, capture):
    with capture(execute=True):
        personal_data.erase_for(user)


# Export


@pytest.fixture
def clubs_of_the_runner(runner, organiser):
    """The runner organises one club, follows another and is invited to a third."""
    make_club(runner, name="Ana's Club")
    followed = make_club(organiser, name="Tivoli Trotters")
    Follow.objects.create(club=followed, user=runner)
    invited_to = make_club(organiser, name="Koper Coast")
    services.invite(invited_to, by=organiser, email=runner.email)
    mail.outbox.clear()


def test_export_holds_my_roles_follows_and_invitations(runner, clubs_of_the_runner):
    data = personal_data.export_for(runner)["clubs"]

    assert [role["club"] for role in data["organising"]] == ["Ana's Club"]
    assert data["organising"][0]["url"].endswith("/clubs/anas-club/")
    assert [follow["club"] for follow in data["following"]] == ["Tivoli Trotters"]
    (invitation,) = data["invitations_to_organise"]
    assert (invitation["club"], invitation["invited_by"]) == ("Koper Coast", "Bojan")


def test_the_downloaded_export_holds_my_clubs(runner_client, clubs_of_the_runner):
    data = json.loads(runner_client.get("/accounts/export/").content)["clubs"]
    assert [f["club"] for f in data["following"]] == ["Tivoli Trotters"]
    assert [r["club"] for r in data["organising"]] == ["Ana's Club"]
    assert len(data["invitations_to_organise"]) == 1


def test_export_never_names_a_clubs_followers(client, organiser, clubs_of_the_runner):
    client.force_login(organiser)
    body = client.get("/accounts/export/").content.decode()
    assert "runner@example.com" not in body and "Ana" not in body.replace("Ana's Club", "")


def test_the_policy_lists_what_clubs_keep(client, db):
    page = text(client.get("/privacy/"))
    assert "That you follow a club" in page
    assert "That you organise a club" in page


# Erasure


def test_erasing_removes_follows_roles_and_invitations(
    runner, clubs_of_the_runner, organiser, django_capture_on_commit_callbacks
):
    ana_club = Club.objects.get(name="Ana's Club")
    Organiser.objects.create(club=ana_club, user=organiser)
    user_id = runner.pk

    erase(runner, django_capture_on_commit_callbacks)

    assert not Follow.objects.filter(user_id=user_id).exists()
    assert not Organiser.objects.filter(user_id=user_id).exists()
    assert not Invitation.objects.filter(user_id=user_id).exists()
    ana_club.refresh_from_db()
    assert ana_club.closed_at is None  # Bojan carries on


def test_invitations_i_sent_go_with_my_account(
    organiser, runner, outsider, django_capture_on_commit_callbacks
):
    club = make_club(organiser, co_organisers=[runner])
    invitation = services.invite(club, by=runner, email=outsider.email)

    erase(runner, django_capture_on_commit_callbacks)

    assert not Invitation.objects.filter(pk=invitation.pk).exists()
    with pytest.raises(services.ClubError):
        services.accept(club, outsider)


@pytest.fixture
def lone_club(organiser):
    """Bojan is the club's only organiser: a future run with two runners (one a weekly
    series), a past run; and a run left by a former organiser."""
    club = make_club(organiser)
    runners = make_runners(2)
    run = make_club_run(club, organiser, title="Pond loop", days=2)
    for person in runners:
        run.join(person)
    past = make_club_run(club, organiser, title="Last Sunday", days=-3)
    Participation.objects.create(run=past, runner=runners[0], status="going")
    former = make_user("former@example.com", "Former")
    left_behind = make_club_run(club, former, title="Former's run", days=5)
    left_behind.join(runners[1])
    Follow.objects.create(club=club, user=runners[0])
    mail.outbox.clear()
    return club


def test_erasing_a_clubs_last_organiser_closes_the_club(
    client, organiser, lone_club, django_capture_on_commit_callbacks
):
    erase(organiser, django_capture_on_commit_callbacks)

    lone_club.refresh_from_db()
    assert lone_club.closed_at is not None
    assert not lone_club.organisers.exists()
    # Every future run of the club is gone or cancelled; past ones stay.
    assert not Run.objects.filter(club=lone_club, starts_at__gte=lone_club.closed_at,
                                  cancelled_at__isnull=True).exists()
    assert Run.objects.get(title="Former's run").is_cancelled
    assert Run.objects.get(title="Last Sunday").organiser is None
    page = text(client.get("/clubs/tivoli-trotters/"))
    assert "This club has closed" in page
    assert "Last Sunday" in page
    assert "Bojan" not in page


def test_the_runners_of_a_closed_clubs_runs_are_told_once_each(
    organiser, lone_club, django_capture_on_commit_callbacks
):
    erase(organiser, django_capture_on_commit_callbacks)

    (first,) = mail_to("r0@example.com")
    assert "Pond loop" in first.subject
    subjects = sorted(m.subject for m in mail_to("r1@example.com"))
    assert len(subjects) == 2
    assert any("Pond loop" in s for s in subjects) and any("Former's run" in s
                                                             for s in subjects)
    # Nothing to the person whose account is gone.
    assert mail_to("organiser@example.com") == []


def test_deleting_the_account_of_a_clubs_last_organiser_closes_it(
    client, organiser, lone_club, django_capture_on_commit_callbacks
):
    client.force_login(organiser)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/delete/", {"confirmation": PASSWORD})

    assert response.status_code == 200
    lone_club.refresh_from_db()
    assert lone_club.closed_at is not None
    assert mail_to("r0@example.com")


@pytest.fixture
def shared_club(organiser, co_organiser):
    """Bojan and Dora organise the club; Bojan published a future run with runners, and
    runs one of his own."""
    club = make_club(organiser, co_organisers=[co_organiser])
    run = make_club_run(club, organiser, title="Pond loop", days=2)
    for person in make_runners(2):
        run.join(person)
    make_run(organiser, title="Bojan's own run", days=3).join(make_runners(1, "own")[0])
    mail.outbox.clear()
    return club


def test_a_club_with_other_organisers_keeps_its_runs_without_the_person(
    client, organiser, shared_club, django_capture_on_commit_callbacks
):
    erase(organiser, django_capture_on_commit_callbacks)

    shared_club.refresh_from_db()
    assert shared_club.closed_at is None
    assert [role.user.display_name for role in shared_club.organisers.all()] == ["Dora"]
    run = Run.objects.get(title="Pond loop")
    assert run.organiser is None and not run.is_cancelled
    assert run.participations.count() == 2
    assert not Run.objects.filter(title="Bojan's own run").exists()
    # The club's runners are not told anything: their run goes ahead.
    assert mail_to("r0@example.com") == [] and mail_to("r1@example.com") == []
    assert len(mail_to("own0@example.com")) == 1
    page = text(client.get(f"/runs/{run.pk}/"))
    assert "The organisers of Tivoli Trotters" in page
    assert "Bojan" not in page
    club_page = text(client.get("/clubs/tivoli-trotters/"))
    assert "Dora" in club_page and "Bojan" not in club_page


def test_the_other_organisers_manage_the_run_left_behind(
    client, organiser, co_organiser, shared_club, django_capture_on_commit_callbacks
):
    from tests.runs.test_organise import edit_form

    erase(organiser, django_capture_on_commit_callbacks)
    run = Run.objects.get(title="Pond loop")
    client.force_login(co_organiser)

    response = client.post(f"/runs/{run.pk}/edit/", edit_form(run, title="Pond loop (Dora)"))

    assert response.status_code == 302
    assert "Pond loop" in text(client.get("/runs/mine/"))


def test_erasing_an_organiser_of_their_own_full_club_run_moves_the_next_runner_up(
    organiser, shared_club, django_capture_on_commit_callbacks
):
    run = make_club_run(shared_club, organiser, title="Small run", capacity=1, days=4)
    run.join(organiser)
    waiting = make_runners(1, "wait")[0]
    run.join(waiting)
    mail.outbox.clear()

    erase(organiser, django_capture_on_commit_callbacks)

    assert run.participations.get(runner=waiting).is_going
    (email,) = mail_to("wait0@example.com")
    assert "You're going" in email.subject
