"""What organisers cannot do, found in a review of the series issue: undo a cancel by
staff, publish under a former organiser's name, push a series past two years, or record
new facts about a runner who asked to restrict processing."""

from datetime import timedelta

from django.utils import timezone

from clubs.models import Organiser
from runs import attendance, series, services
from runs.models import AttendanceMarker, Participation, Run
from tests.clubs.conftest import make_club, text
from tests.conftest import make_user
from tests.runs.conftest import make_run
from tests.runs.test_organise import local_input
from tests.runs.test_series import make_series
from tests.runs.test_series_edit import edit_url, later


def test_a_run_cancelled_by_staff_cannot_be_reopened_by_its_organiser(organiser_client, run):
    services.cancel([run], reason="Cancelled by join run staff.", by_staff=True)

    page = text(organiser_client.get(f"/runs/{run.pk}/"))
    assert "only they can reopen it" in page and "Reopen this run" not in page
    response = organiser_client.post(f"/runs/{run.pk}/reopen/")
    assert response.status_code == 409
    assert Run.objects.get(pk=run.pk).is_cancelled


def test_an_organisers_own_cancel_can_still_be_reopened(organiser_client, run):
    services.cancel([run], reason="Ice")
    assert organiser_client.post(f"/runs/{run.pk}/reopen/").status_code == 302
    assert not Run.objects.get(pk=run.pk).is_cancelled


def test_weeks_added_by_a_co_organiser_are_theirs_not_a_former_organisers(organiser):
    co_organiser = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co_organiser])
    dates = make_series(organiser, 2, club=club)
    Organiser.objects.filter(club=club, user=organiser).delete()  # Bojan left the club

    added = series.add_weeks(dates[0].series, 2, by=co_organiser)

    assert {run.organiser for run in added} == {co_organiser}


def test_this_and_later_dates_cannot_move_past_two_years(organiser_client, organiser):
    # The last date 727 days ahead: six days later it would be past the two years.
    dates = make_series(organiser, 2, days=720)
    moved = timezone.localtime(dates[0].starts_at) + timedelta(days=6)
    response = organiser_client.post(edit_url(dates[0]), later(
        dates[0], starts_at=local_input(moved)))

    assert response.status_code == 400
    assert "more than two years ahead" in text(response)
    assert [Run.objects.get(pk=d.pk).starts_at for d in dates] == [d.starts_at for d in dates]


def test_a_restricted_runner_is_not_checked_in_by_the_organiser(organiser_client, organiser):
    run = make_run(organiser, days=0, starts_at=timezone.now() - timedelta(minutes=10))
    quiet = make_user("quiet@example.com", "Quiet", processing_restricted_at=timezone.now())
    place = Participation.objects.create(run=run, runner=quiet, status="going")

    page = text(organiser_client.get(f"/runs/{run.pk}/check-in/"))
    assert f'action="/runs/{run.pk}/check-in/{place.pk}/"' not in page
    response = organiser_client.post(f"/runs/{run.pk}/check-in/{place.pk}/", {"came": "1"})

    assert response.status_code == 409
    assert Participation.objects.get(pk=place.pk).attended_at is None


def test_marking_a_runner_who_left_meanwhile_says_they_are_gone(organiser, runner):
    run = make_run(organiser, days=0, starts_at=timezone.now() - timedelta(minutes=10))
    place = Participation.objects.create(run=run, runner=runner, status="going")
    Participation.objects.filter(pk=place.pk).delete()

    assert attendance.mark(place, came=True, by=AttendanceMarker.ORGANISER) is False
