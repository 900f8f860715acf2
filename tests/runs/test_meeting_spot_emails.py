"""The meeting point's words and its spot on the map: runners hear about a new meeting
point, about a spot that moved under the same words (with the map link, not the same words
twice), and nothing about a pin nudged a few metres."""

from decimal import Decimal

from django.core import mail

from runs.models import Run
from tests.runs.conftest import make_run
from tests.runs.test_organise import edit_form
from tests.runs.test_series import make_series, messages_of
from tests.runs.test_series_edit import edit_url, fresh, later

TIVOLI = {"latitude": Decimal("46.054000"), "longitude": Decimal("14.496000")}
# About 300 m east of TIVOLI, and about 10 m north of it.
ROZNIK_ROAD = {"latitude": "46.054000", "longitude": "14.499900"}
A_STEP_AWAY = {"latitude": "46.054090", "longitude": "14.496000"}


def tivoli_run(organiser, runner):
    run = make_run(organiser, meeting_point="Tivoli park, main entrance", **TIVOLI)
    run.join(runner)
    return run


def test_the_same_words_on_a_new_spot_say_the_spot_moved_with_the_map_link(
        organiser_client, organiser, runner):
    run = tivoli_run(organiser, runner)
    response = organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, **ROZNIK_ROAD),
                                     follow=True)
    (email,) = mail.outbox
    assert email.subject == "The meeting spot moved: Tuesday river loop"
    assert "Meeting point: Tivoli park, main entrance\n" in email.body
    moved = Run.objects.get(pk=run.pk)
    assert moved.longitude == Decimal(ROZNIK_ROAD["longitude"])
    assert f"The spot moved on the map: {moved.openstreetmap_url}\n" in email.body
    assert "mlon=14.4999" in moved.openstreetmap_url
    assert "New meeting point" not in email.body and "It was" not in email.body
    assert messages_of(response) == ["Your changes are saved. 1 runner was emailed."]


def test_a_spot_nudged_a_few_metres_emails_nobody_but_calendars_update(
        organiser_client, organiser, runner):
    run = tivoli_run(organiser, runner)
    response = organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, **A_STEP_AWAY),
                                     follow=True)
    assert mail.outbox == []
    assert messages_of(response) == ["Your changes are saved."]
    run = Run.objects.get(pk=run.pk)
    assert (run.latitude, run.sequence) == (Decimal(A_STEP_AWAY["latitude"]), 1)


def test_coordinates_added_to_the_same_words_email_nobody(organiser_client, organiser, runner):
    run = make_run(organiser, meeting_point="Tivoli park, main entrance")
    run.join(runner)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(run, **ROZNIK_ROAD))
    assert mail.outbox == []
    assert Run.objects.get(pk=run.pk).has_coordinates


def test_a_new_meeting_point_says_both_and_links_the_map(organiser_client, organiser, runner):
    run = tivoli_run(organiser, runner)
    organiser_client.post(f"/runs/{run.pk}/edit/", edit_form(
        run, meeting_point="Rožnik inn", latitude="46.057000", longitude="14.480000"))
    (email,) = mail.outbox
    assert email.subject == "New meeting point: Tuesday river loop"
    assert "New meeting point: Rožnik inn\nIt was: Tivoli park, main entrance\n" in email.body
    moved = Run.objects.get(pk=run.pk)
    assert f"Map: {moved.openstreetmap_url}\n" in email.body and "mlat=46.057" in email.body
    assert "The spot moved" not in email.body


def test_a_series_spot_moved_on_later_dates_says_so_once_per_date(
        organiser_client, organiser, runner):
    runs = make_series(organiser, 3, meeting_point="Tivoli park, main entrance", **TIVOLI)
    for run in runs:
        run.join(runner)
    organiser_client.post(edit_url(runs[0]), later(runs[0], **ROZNIK_ROAD))
    (email,) = mail.outbox
    assert email.subject == "The meeting spot moved: Tuesday river loop (3 dates)"
    moved = fresh(runs)
    assert [run.longitude for run in moved] == [Decimal(ROZNIK_ROAD["longitude"])] * 3
    assert email.body.count(f"The spot moved on the map: {moved[0].openstreetmap_url}\n") == 3
    assert "New meeting point" not in email.body and "It was" not in email.body


def test_a_series_spot_nudged_emails_nobody(organiser_client, organiser, runner):
    runs = make_series(organiser, 2, meeting_point="Tivoli park, main entrance", **TIVOLI)
    for run in runs:
        run.join(runner)
    organiser_client.post(edit_url(runs[0]), later(runs[0], **A_STEP_AWAY))
    assert mail.outbox == []
    assert [run.latitude for run in fresh(runs)] == [Decimal(A_STEP_AWAY["latitude"])] * 2
