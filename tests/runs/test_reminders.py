"""Runners going to a run get a reminder about a day before it starts; a moved, cancelled
or started run never gets a stale one."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from runs.models import Participation, Run
from runs.reminders import REMINDER_BEFORE, remind, schedule_reminder
from tests.conftest import make_user
from tests.runs.conftest import make_run, make_runners
from tests.runs.test_organise import edit_form, local_input, next_week_at_six, run_form

TASK = "runs.reminders.send_reminders"


def reminder_tasks(run=None):
    tasks = DBTaskResult.objects.filter(task_path=TASK, status="READY").order_by("run_after")
    if run is not None:
        tasks = [t for t in tasks if t.args_kwargs["args"][0] == run.pk]
    return list(tasks)


def run_the_worker_at(now):
    """What db_worker does once the clock reaches ``now``: every reminder task due by
    then runs (with the clock injected), oldest first. Returns their outcomes."""
    outcomes = []
    for task in reminder_tasks():
        if task.run_after <= now:
            run_id, starts_at = task.args_kwargs["args"]
            outcomes.append(remind(run_id, datetime.fromisoformat(starts_at), now=now))
            task.status = "SUCCESSFUL"
            task.save(update_fields=["status"])
    return outcomes


def reminders_sent():
    return [m for m in mail.outbox if m.subject.startswith("Reminder:")]


def test_creating_a_run_schedules_its_reminder_a_day_before_it_starts(organiser_client):
    organiser_client.post("/runs/new/", run_form())
    run = Run.objects.get()
    (task,) = reminder_tasks(run)
    assert task.run_after == run.starts_at - timedelta(hours=24)
    run_id, starts_at = task.args_kwargs["args"]
    assert (run_id, datetime.fromisoformat(starts_at)) == (run.pk, run.starts_at)


def test_each_run_of_a_new_series_gets_its_own_reminder(organiser_client):
    organiser_client.post("/runs/new/", run_form(repeat_weeks="2"))
    runs = list(Run.objects.order_by("starts_at"))
    assert [t.run_after for t in reminder_tasks()] == [
        r.starts_at - REMINDER_BEFORE for r in runs]


def test_a_run_starting_within_a_day_schedules_no_reminder(organiser_client):
    soon = timezone.now() + timedelta(hours=20)
    organiser_client.post("/runs/new/", run_form(starts_at=local_input(soon)))
    assert Run.objects.count() == 1
    assert reminder_tasks() == []


def test_the_reminder_reaches_runners_going_who_joined_before_it(organiser, runner):
    run = make_run(organiser, capacity=2)
    schedule_reminder(run)
    going, waiting = make_runners(2)
    run.join(runner)
    run.join(going)
    run.join(waiting)  # the run is full: on the waitlist
    late = make_user("late@example.com", "Late")
    Participation.objects.create(run=run, runner=late, status=Participation.Status.GOING,
                                 joined_at=run.starts_at - timedelta(hours=2))
    assert run_the_worker_at(run.starts_at - REMINDER_BEFORE) == ["emailed 2"]
    assert sorted(m.to[0] for m in reminders_sent()) == sorted([runner.email, going.email])


def test_the_reminder_says_when_where_the_map_the_calendar_and_how_to_leave(
    organiser, runner
):
    run = make_run(organiser, latitude=Decimal("46.05108"), longitude=Decimal("14.50513"))
    run.join(runner)
    remind(run.pk, run.starts_at, now=run.starts_at - REMINDER_BEFORE)
    (email,) = mail.outbox
    local = timezone.localtime(run.starts_at)
    assert email.subject.startswith("Reminder: Tuesday river loop")
    assert (f"When: {local:%A} {local.day} {local:%B %Y}, {local:%H:%M}, Ljubljana time"
            in email.body)
    assert "Meeting point: Cobblers' Bridge" in email.body
    assert run.openstreetmap_url in email.body
    assert f"{settings.SITE_URL}/runs/{run.pk}/calendar.ics" in email.body
    assert "Can't make it? Leave the run so the next runner on the waitlist gets your place:" \
        in email.body
    assert f"{settings.SITE_URL}/runs/{run.pk}/\n" in email.body
    assert "/leave/" not in email.body  # a link to the page, never a one-click leave


def test_a_run_without_coordinates_has_no_map_link(organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    remind(run.pk, run.starts_at, now=run.starts_at - REMINDER_BEFORE)
    (email,) = mail.outbox
    assert "openstreetmap" not in email.body and "Map:" not in email.body


def test_a_slovenian_runner_gets_the_reminder_in_slovenian_dates(organiser):
    run = make_run(organiser)
    run.join(make_user("ana@example.si", "Ana", language="sl"))
    remind(run.pk, run.starts_at, now=run.starts_at - REMINDER_BEFORE)
    (email,) = mail.outbox
    weekdays = ["ponedeljek", "torek", "sreda", "četrtek", "petek", "sobota", "nedelja"]
    assert weekdays[timezone.localtime(run.starts_at).weekday()] in email.body
    assert email.extra_headers["Content-Language"] == "sl"


def test_runners_who_turned_reminders_off_or_cannot_be_emailed_get_none(organiser, runner):
    run = make_run(organiser)
    quiet = make_user("quiet@example.com", "Quiet", reminder_emails=False)
    unconfirmed = make_user("new@example.com", "New", email_confirmed_at=None)
    for person in (runner, quiet, unconfirmed):
        run.join(person)
    assert remind(run.pk, run.starts_at, now=run.starts_at - REMINDER_BEFORE) == "emailed 1"
    assert [m.to for m in mail.outbox] == [[runner.email]]


def test_a_reminder_carries_one_click_unsubscribe_headers(organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    remind(run.pk, run.starts_at, now=run.starts_at - REMINDER_BEFORE)
    (email,) = mail.outbox
    link = email.extra_headers["List-Unsubscribe"]
    assert link.startswith(f"<{settings.SITE_URL}/accounts/unsubscribe/?token=")
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.strip("<>") in email.body  # the page with the button, linked in the body


def test_a_reminder_runs_once_even_if_its_task_runs_twice(organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    schedule_reminder(run)
    schedule_reminder(run)  # called again by a change that kept the time
    moment = run.starts_at - REMINDER_BEFORE
    assert run_the_worker_at(moment) == ["emailed 1", "sent already"]
    assert remind(run.pk, run.starts_at, now=moment) == "sent already"
    assert len(mail.outbox) == 1


def test_a_moved_run_gets_no_stale_reminder_and_one_for_its_new_time(organiser, runner):
    run = make_run(organiser, days=3)
    run.join(runner)
    schedule_reminder(run)
    old_start = run.starts_at
    run.starts_at = old_start + timedelta(days=2)
    run.save()
    schedule_reminder(run)
    assert run_the_worker_at(old_start - REMINDER_BEFORE) == ["moved"]
    assert mail.outbox == []
    assert run_the_worker_at(run.starts_at - REMINDER_BEFORE) == ["emailed 1"]
    assert len(mail.outbox) == 1


def test_moving_a_run_through_the_edit_form_moves_its_reminder(organiser_client, organiser,
                                                               runner):
    run = make_run(organiser, days=3)
    run.join(runner)
    schedule_reminder(run)
    new_start = next_week_at_six()
    organiser_client.post(f"/runs/{run.pk}/edit/",
                          edit_form(run, starts_at=local_input(new_start)))
    run.refresh_from_db()
    assert run.starts_at == new_start
    assert [t.run_after for t in reminder_tasks(run)][-1] == new_start - REMINDER_BEFORE
    mail.outbox.clear()
    outcomes = run_the_worker_at(new_start - REMINDER_BEFORE)
    assert outcomes == ["moved", "emailed 1"]


def test_a_cancelled_run_gets_no_reminder(organiser_client, organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    schedule_reminder(run)
    organiser_client.post(f"/runs/{run.pk}/cancel/", {"reason": "", "confirm": "yes"})
    mail.outbox.clear()
    assert run_the_worker_at(run.starts_at - REMINDER_BEFORE) == ["cancelled"]
    assert mail.outbox == []
    assert schedule_reminder(Run.objects.get(pk=run.pk)) is None


def test_a_deleted_or_started_run_gets_no_reminder(organiser, runner):
    run = make_run(organiser)
    run.join(runner)
    # A worker that was down until after the start sends nothing late.
    assert remind(run.pk, run.starts_at, now=run.starts_at + timedelta(minutes=1)) == "started"
    run_id = run.pk
    run.delete()
    assert remind(run_id, run.starts_at, now=run.starts_at - REMINDER_BEFORE) == "gone"
    assert mail.outbox == []


def test_a_rolled_back_run_leaves_no_reminder_task(organiser):
    from django.db import transaction

    try:
        with transaction.atomic():
            schedule_reminder(make_run(organiser))
            raise RuntimeError
    except RuntimeError:
        pass
    assert reminder_tasks() == []


def test_the_sweep_sends_reminders_no_task_was_scheduled_for_once(organiser, runner):
    # A run from before reminders existed: no task, and its reminder is due.
    run = make_run(organiser)
    run.join(runner)
    Run.objects.filter(pk=run.pk).update(
        updated_at=run.starts_at - REMINDER_BEFORE - timedelta(days=1))
    moment = run.starts_at - REMINDER_BEFORE + timedelta(minutes=5)
    call_command("send_due_reminders", "--now", moment.isoformat())
    call_command("send_due_reminders", "--now", moment.isoformat())
    assert [m.to for m in reminders_sent()] == [[runner.email]]
    # Its task, had it been queued, now sends nothing.
    assert remind(run.pk, run.starts_at, now=moment) == "sent already"


def test_the_sweep_leaves_a_run_moved_into_its_last_day_alone(organiser, runner):
    run = make_run(organiser, days=3)
    run.join(runner)
    moment = timezone.now()
    Run.objects.filter(pk=run.pk).update(starts_at=moment + timedelta(hours=10))
    call_command("send_due_reminders", "--now", moment.isoformat())
    assert mail.outbox == []


def test_demo_runs_get_reminders(db):
    call_command("load_demo_data")
    scheduled = {t.args_kwargs["args"][0] for t in reminder_tasks()}
    now = timezone.now()
    expected = {r.pk for r in Run.objects.upcoming().not_cancelled()
                if r.starts_at - REMINDER_BEFORE > now}
    assert expected and scheduled == expected
