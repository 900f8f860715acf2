"""What a club's people cannot do to each other, or to its runners: found in a review."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from clubs import services
from clubs.models import Organiser
from runs import services as run_services
from runs.models import Run
from tests.clubs.conftest import mail_to, make_club, make_club_run, text
from tests.conftest import make_user

EDIT = "/clubs/tivoli-trotters/edit/"


def a_run_for(club):
    return Run(club=club, title="Hill loop", meeting_point="Tivoli", distance_km=Decimal("8"))


def test_a_removed_organisers_invitation_can_no_longer_be_accepted(
    club, organiser, co_organiser, outsider
):
    Organiser.objects.create(club=club, user=co_organiser)
    services.invite(club, by=co_organiser, email=outsider.email)

    services.remove_organiser(club, by=organiser, user_id=co_organiser.pk)

    with pytest.raises(services.ClubError):
        services.accept(club, outsider)
    assert not club.organisers.filter(user=outsider).exists()


def test_an_invitation_dies_when_its_sender_steps_down(club, organiser, co_organiser, outsider):
    Organiser.objects.create(club=club, user=co_organiser)
    services.invite(club, by=co_organiser, email=outsider.email)
    services.step_down(club, co_organiser)
    with pytest.raises(services.ClubError):
        services.accept(club, outsider)


def test_the_same_person_is_invited_once_a_day_at_most(organiser_client, club, outsider):
    for _ in range(3):
        organiser_client.post("/clubs/tivoli-trotters/invite/", {"email": outsider.email})
    assert len(mail_to(outsider.email)) == 1
    response = organiser_client.post("/clubs/tivoli-trotters/invite/",
                                     {"email": outsider.email})
    assert response.status_code == 400
    assert "invited less than a day ago" in text(response)
    # A day later a reminder may go.
    club.invitations.update(created_at=timezone.now() - timedelta(days=1, minutes=1))
    organiser_client.post("/clubs/tivoli-trotters/invite/", {"email": outsider.email})
    assert len(mail_to(outsider.email)) == 2


def test_an_organiser_without_a_confirmed_email_cannot_invite(client, outsider):
    unconfirmed = make_user("new@example.com", "Nia", email_confirmed_at=None)
    make_club(unconfirmed)
    client.force_login(unconfirmed)
    response = client.post("/clubs/tivoli-trotters/invite/", {"email": outsider.email})
    assert response.status_code == 400
    assert "Confirm your own email first" in text(response)
    assert mail_to(outsider.email) == []


def test_removing_an_organiser_by_an_impossible_id_is_a_4xx(organiser_client, club):
    response = organiser_client.post(
        "/clubs/tivoli-trotters/organisers/99999999999999999999999/remove/")
    assert 400 <= response.status_code < 500


def test_publishing_for_a_club_that_closed_meanwhile_is_refused(club, organiser):
    services.close(club, by=organiser)  # after the form was checked, before saving
    starts = [timezone.now() + timedelta(days=2)]
    with pytest.raises(run_services.RunNotOpen):
        run_services.publish(a_run_for(club), starts, organiser=organiser)
    assert not Run.objects.exists()


def test_publishing_for_a_club_one_no_longer_organises_is_refused(
    club, organiser, co_organiser
):
    Organiser.objects.create(club=club, user=co_organiser)
    services.remove_organiser(club, by=organiser, user_id=co_organiser.pk)
    starts = [timezone.now() + timedelta(days=2)]
    with pytest.raises(run_services.RunNotOpen):
        run_services.publish(a_run_for(club), starts, organiser=co_organiser)
    assert not Run.objects.exists()


def test_a_deactivated_clubs_organisers_no_longer_manage_its_runs(
    organiser_client, club, organiser
):
    run = make_club_run(club, organiser)
    assert organiser_client.get(f"/runs/{run.pk}/edit/").status_code == 200
    services.deactivate(club)
    assert organiser_client.get(f"/runs/{run.pk}/edit/").status_code == 403
    assert organiser_client.get(f"/runs/{run.pk}/message/").status_code == 403


def test_closing_tells_each_runner_in_their_own_language(club, organiser):
    run = make_club_run(club, organiser)
    english = make_user("en@example.com", "Ana")
    slovene = make_user("sl@example.com", "Bor", language="sl")
    run.join(english)
    run.join(slovene)
    with translation.override("sl"):  # the closer's language
        services.close(club, by=organiser)
    (to_english,) = mail_to("en@example.com")
    (to_slovene,) = mail_to("sl@example.com")
    assert "The club Tivoli Trotters has closed." in to_english.body
    assert "Klub Tivoli Trotters je zaprt." in to_slovene.body
    run.refresh_from_db()
    assert run.cancel_reason == ""
