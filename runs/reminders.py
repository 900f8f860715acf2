"""Reminders about 24 hours before a run, to the runners going to it.

Creating a run, or moving its start, enqueues one task in the database's task queue
(django-tasks), due a day before the start: it survives restarts like any queued email,
and any db_worker on any machine may run it. The task carries the start it was scheduled
for, so a run moved since sends nothing for the old time (the move scheduled a new task),
and a cancelled, deleted or started run sends nothing at all.

``send_due_reminders`` (the management command, run by cron) sweeps up what a task alone
would miss: runs that existed before reminders did, and a task lost with a worker that
died while running it. The task and the sweep share ``remind()``, which sends a start's
reminder once (``Run.reminder_sent_for``, set under the run's lock).
"""

from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from . import emails
from .models import Participation, Run

REMINDER_BEFORE = timedelta(hours=24)


def reminder_due_at(run):
    return run.starts_at - REMINDER_BEFORE


def schedule_reminder(run, *, now=None):
    """Queues the reminder for ``run``'s current start. Call it in the transaction that
    creates the run or changes its start (harmless otherwise: a start is reminded of
    once). Nothing is queued for a cancelled run, nor when that moment has passed:
    whoever joins from now on joined after it, and is not reminded. Returns the task
    result, or None."""
    now = now or timezone.now()
    due = reminder_due_at(run)
    if run.is_cancelled or due <= now:
        return None
    return send_reminders.using(run_after=due).enqueue(run.pk, run.starts_at.isoformat())


@task()
def send_reminders(run_id, starts_at_iso):
    return remind(run_id, datetime.fromisoformat(starts_at_iso))


def remind(run_id, starts_at, *, now=None):
    """Emails the reminder for the run's start ``starts_at`` to its runners going who
    joined before the reminder's moment, unless the run is gone, cancelled, started or
    moved, or this start was reminded of already. Returns what happened, for the task
    table and the sweep's count."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked, so a task and the sweep running together send it once, and a move or a
        # cancel waits for the reminder or comes first.
        run = Run.objects.select_for_update().filter(pk=run_id).first()
        if run is None:
            return "gone"
        if run.is_cancelled:
            return "cancelled"
        if run.starts_at != starts_at:
            return "moved"
        if run.has_started(now):
            return "started"
        if run.reminder_sent_for == starts_at:
            return "sent already"
        runners = get_user_model().objects.filter(
            participations__run=run,
            participations__status=Participation.Status.GOING,
            participations__joined_at__lte=starts_at - REMINDER_BEFORE,
        ).order_by("pk")
        emailed = emails.send_reminder(run, runners)
        # .update(), not save(): the run's updated_at means "the organiser changed it".
        Run.objects.filter(pk=run.pk).update(reminder_sent_for=starts_at)
    return f"emailed {emailed}"


def send_due(*, now=None):
    """The sweep: reminds of every run whose reminder is due and was not sent. A run
    changed after its reminder's moment is left to its own task: a move into the last
    day queued none (its runners were just told the new time). Returns how many runs'
    reminders went out."""
    now = now or timezone.now()
    due = (
        Run.objects.not_cancelled()
        .filter(starts_at__gt=now, starts_at__lte=now + REMINDER_BEFORE,
                updated_at__lte=F("starts_at") - REMINDER_BEFORE)
        .exclude(reminder_sent_for=F("starts_at"))
        .values_list("pk", "starts_at")
    )
    sent = 0
    for run_id, starts_at in list(due):
        if remind(run_id, starts_at, now=now).startswith("emailed"):
            sent += 1
    return sent
