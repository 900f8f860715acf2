"""Editing a date of a weekly series: "This date only" or "This and later dates"."""

from datetime import date, datetime, time, timedelta
from html import unescape

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from joinrun.outbox.templatetags.email_dates import when
from runs import series
from runs.forms import SeriesEditForm
from runs.models import Run
from runs.services import RunNotOpen
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.runs.conftest import make_runners
from tests.runs.test_organise import edit_form, local_input
from tests.runs.test_reminders import reminder_tasks
from tests.runs.test_series import make_series, messages_of

HALF_AN_HOUR = timedelta(minutes=30)


def edit_url(run):
    return f"/runs/{run.pk}/edit/"


def later(run, **overrides):
    """The edit form of ``run`` saved for this and later dates."""
    return edit_form(run, scope=SeriesEditForm.LATER_DATES, **overrides)


def fresh(runs):
    return [Run.objects.get(pk=run.pk) for run in runs]


def local_time(run):
    return timezone.localtime(run.starts_at).strftime("%a %H:%M")


def last_sunday(year, month):
    day = date(year, month, 31)  # March and October both have 31 days
    return day - timedelta(days=(day.weekday() - 6) % 7)


def tuesdays_across_the_clock_change(month):
    """Tuesday 18:30 (local) twelve days before the next last Sunday of ``month``, when
    the clocks change: a four-week series from it crosses the change."""
    today = timezone.localdate()
    year = today.year
    while last_sunday(year, month) - timedelta(days=12) <= today + timedelta(days=1):
        year += 1
    first = last_sunday(year, month) - timedelta(days=12)
    return timezone.make_aware(datetime.combine(first, time(18, 30)))


# The choice

def test_a_date_of_a_series_asks_which_dates_the_change_is_for(organiser_client, organiser):
    runs = make_series(organiser, 2)
    text = unescape(organiser_client.get(edit_url(runs[0])).content.decode())
    assert "<legend>Save the changes for</legend>" in text
    assert "This date only" in text and "This and later dates" in text
    assert 'checked' not in text.split("<legend>")[1].split("</fieldset>")[0]


def test_a_lone_run_asks_nothing(organiser_client, run):
    assert "This and later dates" not in organiser_client.get(edit_url(run)).content.decode()


def test_saving_without_choosing_is_refused_and_keeps_every_date(organiser_client, organiser):
    runs = make_series(organiser, 2)
    moved = local_input(runs[0].starts_at + HALF_AN_HOUR)
    response = organiser_client.post(edit_url(runs[0]), edit_form(runs[0], starts_at=moved))
    assert response.status_code == 400
    assert "Choose “This date only” or “This and later dates”." in unescape(
        response.content.decode())
    assert fresh(runs) == runs and [r.starts_at for r in fresh(runs)] == [
        r.starts_at for r in runs]


def test_a_made_up_choice_is_refused(organiser_client, organiser):
    runs = make_series(organiser, 2)
    response = organiser_client.post(edit_url(runs[0]), edit_form(runs[0], scope="all"))
    assert response.status_code == 400
    assert "Select a valid choice." in unescape(response.content.decode())


def test_this_date_only_changes_only_this_date(organiser_client, organiser, runner):
    runs = make_series(organiser, 3)
    series.join_all(runs[0].series, runner)
    organiser_client.post(edit_url(runs[1]), edit_form(
        runs[1], scope=SeriesEditForm.THIS_DATE, meeting_point="Town hall"))
    assert [r.meeting_point for r in fresh(runs)] == [
        "Cobblers' Bridge", "Town hall", "Cobblers' Bridge"]
    (email,) = mail.outbox
    assert email.subject == "New meeting point: Tuesday river loop"


# This and later dates

def test_later_dates_move_by_the_same_time_and_others_stay(organiser_client, organiser):
    past, edited, cancelled, *rest = make_series(organiser, 5, days=-4)
    cancelled.cancel()
    response = organiser_client.post(edit_url(edited), later(
        edited, starts_at=local_input(edited.starts_at + HALF_AN_HOUR)), follow=True)
    assert "Your changes are saved on 3 dates." in messages_of(response)[0]
    for run in [edited, *rest]:
        moved = Run.objects.get(pk=run.pk)
        assert moved.starts_at == run.starts_at + HALF_AN_HOUR
        assert moved.sequence == run.sequence + 1
    for run in (past, cancelled):
        assert Run.objects.get(pk=run.pk).starts_at == run.starts_at


def test_earlier_upcoming_dates_are_not_changed(organiser_client, organiser):
    first, edited, last = make_series(organiser, 3)
    organiser_client.post(edit_url(edited), later(edited, meeting_point="Town hall"))
    assert [r.meeting_point for r in fresh([first, edited, last])] == [
        "Cobblers' Bridge", "Town hall", "Town hall"]


def test_each_runner_gets_one_email_listing_their_changed_dates(organiser_client, organiser,
                                                               runner):
    runs = make_series(organiser, 3, title="Hill repeats")
    (other,) = make_runners(1)
    series.join_all(runs[0].series, runner)
    runs[2].join(other)
    response = organiser_client.post(edit_url(runs[0]), later(
        runs[0], starts_at=local_input(runs[0].starts_at + HALF_AN_HOUR)), follow=True)
    assert messages_of(response) == [
        "Your changes are saved on 3 dates. 2 runners were emailed."]
    (to_runner,) = [m for m in mail.outbox if m.to == [runner.email]]
    (to_other,) = [m for m in mail.outbox if m.to == [other.email]]
    assert len(mail.outbox) == 2
    assert to_runner.subject == "New time: Hill repeats (3 dates)"
    assert to_other.subject == "New time: Hill repeats"
    for run in runs:
        moved = Run.objects.get(pk=run.pk)
        assert f"New time: {when(moved.starts_at)}\nIt was: {when(run.starts_at)}" in (
            to_runner.body)
        assert f"http://127.0.0.1:8000/runs/{run.pk}/" in to_runner.body
    assert when(runs[0].starts_at) not in to_other.body
    assert f"/runs/series/{runs[0].series}/" in to_other.body


def test_lowering_the_capacity_moves_the_latest_back_on_each_date_in_one_email(
        organiser_client, organiser):
    runs = make_series(organiser, 3, capacity=2)
    first, second, third = make_runners(3)
    for person in (first, second, third):
        series.join_all(runs[0].series, person)
    response = organiser_client.post(edit_url(runs[0]), later(runs[0], capacity="1"),
                                     follow=True)
    assert messages_of(response) == [
        "Your changes are saved on 3 dates. 1 runner was emailed; "
        "3 moved back to the waitlist."]
    (email,) = mail.outbox
    assert email.to == [second.email]
    assert email.subject == "Back on the waitlist: Tuesday river loop (3 dates)"
    assert email.body.count("You are #1 on it") == 3
    for run in runs:
        assert run.participations.get(runner=second).waitlist_position() == 1
        assert run.participations.get(runner=third).waitlist_position() == 2


def test_raising_the_capacity_promotes_on_each_date_in_one_email(organiser_client, organiser):
    runs = make_series(organiser, 2, capacity=1)
    first, waiting = make_runners(2)
    for person in (first, waiting):
        series.join_all(runs[0].series, person)
    organiser_client.post(edit_url(runs[0]), later(runs[0], capacity="2"))
    (email,) = mail.outbox
    assert email.to == [waiting.email]
    assert email.subject == "You're going: Tuesday river loop (2 dates)"
    assert all(run.participations.get(runner=waiting).is_going for run in runs)


def test_a_move_and_a_smaller_run_together_are_one_email_per_runner(organiser_client,
                                                                   organiser):
    runs = make_series(organiser, 2, capacity=2)
    people = make_runners(2)
    for person in people:
        series.join_all(runs[0].series, person)
    organiser_client.post(edit_url(runs[0]), later(
        runs[0], capacity="1", starts_at=local_input(runs[0].starts_at + HALF_AN_HOUR)))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(p.email for p in people)
    (moved_back,) = [m for m in mail.outbox if m.to == [people[1].email]]
    assert moved_back.subject == "New time: Tuesday river loop (2 dates)"
    assert moved_back.body.count("You are #1 on it") == 2


def test_a_new_meeting_point_is_copied_and_raises_each_sequence(organiser_client, organiser):
    runs = make_series(organiser, 3)
    organiser_client.post(edit_url(runs[0]), later(
        runs[0], meeting_point="Town hall", latitude="46.05", longitude="14.5"))
    for run in fresh(runs):
        assert (run.meeting_point, str(run.latitude), run.sequence) == (
            "Town hall", "46.05000", 1)


def test_distance_pace_title_and_description_are_copied_and_email_nobody(
        organiser_client, organiser, runner):
    runs = make_series(organiser, 3)
    series.join_all(runs[0].series, runner)
    response = organiser_client.post(edit_url(runs[0]), later(
        runs[0], distance_km="12", pace_min="5:00", pace_max="5:15", title="Long run",
        description="Bring water."), follow=True)
    assert messages_of(response) == ["Your changes are saved on 3 dates."]
    for run in fresh(runs):
        assert (run.title, str(run.distance_km), run.pace_min, run.pace_max,
                run.description, run.sequence) == ("Long run", "12.0", 300, 315,
                                                   "Bring water.", 0)
    assert mail.outbox == []


def test_only_what_changed_is_copied(organiser_client, organiser):
    """A later date changed on its own keeps what the organiser did not change now."""
    runs = make_series(organiser, 3)
    Run.objects.filter(pk=runs[2].pk).update(meeting_point="Town hall")
    organiser_client.post(edit_url(runs[0]), later(runs[0], distance_km="10"))
    assert [(r.meeting_point, str(r.distance_km)) for r in fresh(runs)] == [
        ("Cobblers' Bridge", "10.0"), ("Cobblers' Bridge", "10.0"), ("Town hall", "10.0")]


def test_nothing_different_changes_no_date(organiser_client, organiser):
    runs = make_series(organiser, 2)
    response = organiser_client.post(edit_url(runs[0]), later(runs[0], description=""),
                                     follow=True)
    assert messages_of(response) == ["Nothing was different, so no date changed."]
    assert [r.sequence for r in fresh(runs)] == [0, 0]


@pytest.mark.parametrize("month", [3, 10])
def test_moved_dates_keep_their_local_time_across_the_clock_change(organiser_client,
                                                                   organiser, month):
    runs = make_series(organiser, 4, starts_at=tuesdays_across_the_clock_change(month))
    offsets = {timezone.localtime(run.starts_at).utcoffset() for run in runs}
    assert len(offsets) == 2  # the series does cross the change
    organiser_client.post(edit_url(runs[0]), later(
        runs[0], starts_at=local_input(runs[0].starts_at + HALF_AN_HOUR)))
    assert [local_time(run) for run in fresh(runs)] == ["Tue 19:00"] * 4


def test_moved_dates_get_reminders_for_their_new_start(organiser_client, organiser):
    runs = make_series(organiser, 2)
    organiser_client.post(edit_url(runs[0]), later(
        runs[0], starts_at=local_input(runs[0].starts_at + HALF_AN_HOUR)))
    for run in fresh(runs):
        assert run.starts_at in [datetime.fromisoformat(task.args_kwargs["args"][1])
                                 for task in reminder_tasks(run)]


def test_moving_the_dates_a_week_or_more_is_refused(organiser_client, organiser):
    runs = make_series(organiser, 2)
    response = organiser_client.post(edit_url(runs[0]), later(
        runs[0], starts_at=local_input(runs[0].starts_at + timedelta(days=7))))
    assert response.status_code == 400
    assert "can move the dates by less than a week" in unescape(response.content.decode())
    assert [r.starts_at for r in fresh(runs)] == [r.starts_at for r in runs]


def test_a_club_co_organiser_may_change_the_later_dates(client, organiser):
    co_organiser = make_user("co@example.com", "Dora")
    club = make_club(organiser, co_organisers=[co_organiser])
    runs = make_series(organiser, 2, club=club)
    client.force_login(co_organiser)
    assert client.post(edit_url(runs[0]), later(runs[0], meeting_point="Town hall")
                       ).status_code == 302
    assert {r.meeting_point for r in fresh(runs)} == {"Town hall"}


def test_nobody_else_may_change_the_dates(client, organiser, outsider):
    runs = make_series(organiser, 2)
    client.force_login(outsider)
    assert client.post(edit_url(runs[0]), later(runs[0], meeting_point="Mine")
                       ).status_code == 403
    assert {r.meeting_point for r in fresh(runs)} == {"Cobblers' Bridge"}


def test_a_post_without_its_csrf_token_changes_nothing(organiser):
    runs = make_series(organiser, 2)
    client = Client(enforce_csrf_checks=True)
    client.force_login(organiser)
    assert client.post(edit_url(runs[0]), later(runs[0], meeting_point="X")).status_code == 403


def test_a_date_cancelled_meanwhile_is_not_changed(organiser):
    runs = make_series(organiser, 2)
    Run.objects.get(pk=runs[0].pk).cancel()

    class Form:  # what the view has once the form is valid: the values on the run
        def save(self, commit):
            runs[0].meeting_point = "Town hall"

    with pytest.raises(RunNotOpen, match="cancelled"):
        series.edit_later(runs[0], Form())
    assert {r.meeting_point for r in fresh(runs)} == {"Cobblers' Bridge"}
