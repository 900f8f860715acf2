"""Closing a club: a confirmation page, then its future runs are cancelled, their runners
and the other organisers told; the page and past runs stay."""

import pytest
from django.core import mail

from clubs.models import Invitation, Organiser
from runs.models import Participation, Run
from tests.clubs.conftest import mail_to, make_club_run, text
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners

CLOSE = "/clubs/tivoli-trotters/close/"
PAGE = "/clubs/tivoli-trotters/"


@pytest.fixture
def club_runs(club, organiser, co_organiser):
    """Two future runs (one a weekly series of three dates) with runners, a past run."""
    Organiser.objects.create(club=club, user=co_organiser)
    ana, bor, cita = make_runners(3)
    single = make_club_run(club, organiser, title="Pond loop", days=2)
    for person in (ana, bor):
        single.join(person)
    series = [make_club_run(club, co_organiser, title="Hill repeats", days=3 + 7 * week,
                            series="8c1a3d8e-6d1f-4c4b-9a55-0b8f3c6d0a11") for week in range(3)]
    for run in series:
        run.join(cita)
        run.join(ana)
    past = make_club_run(club, organiser, title="Last Sunday's long run", days=-5)
    Participation.objects.create(run=past, runner=bor, status="going")
    make_club_run(club, organiser, title="Called off", days=4).cancel()
    make_run(organiser, title="Bojan's own run", days=2).join(bor)
    mail.outbox.clear()
    return {"single": single, "series": series}


def test_the_confirmation_page_says_how_many_runs_and_runners(organiser_client, club_runs):
    response = organiser_client.get(CLOSE)

    assert response.status_code == 200
    page = text(response)
    assert "Its 4 future runs will be cancelled." in page
    assert "3 runners going or waiting will be emailed." in page
    assert "Close the club" in page
    # Looking changes nothing.
    assert not Run.objects.filter(cancelled_at__isnull=False).exclude(title="Called off")
    assert mail.outbox == []


def test_closing_cancels_future_runs_and_keeps_past_ones(organiser_client, club_runs, club):
    response = organiser_client.post(CLOSE)

    assert response.status_code == 302
    assert response["Location"] == PAGE
    club.refresh_from_db()
    assert club.closed_at is not None
    cancelled = set(Run.objects.filter(cancelled_at__isnull=False)
                    .values_list("title", flat=True))
    assert cancelled == {"Pond loop", "Hill repeats", "Called off"}
    assert Run.objects.get(title="Last Sunday's long run").cancelled_at is None
    assert Run.objects.get(title="Bojan's own run").cancelled_at is None
    page = text(organiser_client.get(PAGE))
    assert "The club is closed." in page
    assert "This club has closed" in page
    assert "Last Sunday's long run" in page


def test_each_runner_is_emailed_once_per_series(organiser_client, club_runs):
    organiser_client.post(CLOSE)

    by_runner = {address: len(mail_to(address))
                 for address in ("r0@example.com", "r1@example.com", "r2@example.com")}
    # Ana: the single run and the series; Bor: the single run; Cita: the series.
    assert by_runner == {"r0@example.com": 2, "r1@example.com": 1, "r2@example.com": 1}
    (series_email,) = [m for m in mail_to("r2@example.com")]
    assert series_email.subject == "Cancelled: Hill repeats (3 dates)"
    assert "The club Tivoli Trotters has closed" in series_email.body


def test_the_other_organisers_are_told_and_the_closer_is_not(organiser_client, club_runs):
    organiser_client.post(CLOSE)

    (email,) = mail_to("co@example.com")
    assert "Tivoli Trotters has closed" in email.subject
    assert "Bojan closed the club" in email.body
    assert mail_to("organiser@example.com") == []


def test_the_closer_sees_how_many_runners_were_told(organiser_client, club_runs):
    response = organiser_client.post(CLOSE, follow=True)
    assert "4 runners were emailed" in text(response)


def test_closing_a_club_without_runs_tells_nobody_but_the_organisers(organiser_client, club):
    response = organiser_client.post(CLOSE, follow=True)
    assert "The club is closed." in text(response)
    assert mail.outbox == []


def test_a_closed_club_cannot_be_edited_or_closed_again(organiser_client, club_runs, club):
    organiser_client.post(CLOSE)
    mail.outbox.clear()

    assert organiser_client.get("/clubs/tivoli-trotters/edit/").status_code == 403
    response = organiser_client.post("/clubs/tivoli-trotters/edit/", {
        "name": "Reopened", "place": "Ljubljana", "description": ""})
    assert response.status_code == 403
    assert organiser_client.post(CLOSE).status_code == 403
    assert organiser_client.post("/clubs/tivoli-trotters/invite/",
                                 {"email": "co@example.com"}).status_code == 403
    club.refresh_from_db()
    assert club.name == "Tivoli Trotters"
    assert mail.outbox == []


def test_closing_withdraws_waiting_invitations(organiser_client, club):
    invited = make_user("eva@example.com", "Eva")
    organiser_client.post("/clubs/tivoli-trotters/invite/", {"email": "eva@example.com"})
    organiser_client.post(CLOSE)

    assert not Invitation.objects.exists()
    organiser_client.force_login(invited)
    response = organiser_client.post("/clubs/tivoli-trotters/invitation/",
                                     {"answer": "accept"})
    assert response.status_code == 400
    assert list(club.organisers.values_list("user__display_name", flat=True)) == ["Bojan"]


def test_runs_can_no_longer_be_added_to_a_closed_club(organiser_client, club):
    organiser_client.post(CLOSE)
    page = text(organiser_client.get("/runs/new/?club=tivoli-trotters"))
    assert 'value="tivoli-trotters"' not in page


def test_only_organisers_may_close(runner_client, club_runs, club):
    assert runner_client.get(CLOSE).status_code == 403
    assert runner_client.post(CLOSE).status_code == 403
    club.refresh_from_db()
    assert club.closed_at is None
    assert mail.outbox == []


def test_closing_needs_an_account(client, club):
    response = client.post(CLOSE)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    club.refresh_from_db()
    assert club.closed_at is None


def test_a_closed_club_leaves_the_list(organiser_client, club):
    organiser_client.post(CLOSE)
    assert "Tivoli Trotters" not in text(organiser_client.get("/clubs/"))


def test_closing_ends_the_clubs_follows(organiser_client, club, runner):
    from clubs.models import Follow
    from joinrun import personal_data

    Follow.objects.create(club=club, user=runner)

    organiser_client.post(CLOSE)

    assert not Follow.objects.exists()
    assert personal_data.export_for(runner)["clubs"]["following"] == []
