"""Changing a run and telling the people it concerns, in one transaction: each function
makes the change, queues one email per person saying everything that concerns them, and
returns what happened, so a view only turns the outcome into a message."""

import copy
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clubs import digests
from clubs.models import Club
from joinrun import mail

from . import emails, reminders
from .models import Participation, RunClosed
from .routes import metres_between


class RunNotOpen(Exception):
    """The run was cancelled or started while the change was being made; str() says
    which."""


@dataclass
class Told:
    """Who an action told: for the organiser's confirmation."""

    emailed: int = 0
    moved_back: int = 0
    promoted: int = 0
    runs: list = field(default_factory=list)
    # False when the change was nothing runners are told about (a new title, say).
    had_news: bool = True

    def summary(self):
        """ "5 runners were emailed; 1 moved back to the waitlist." """
        if not self.had_news:
            return ""
        if not self.emailed:
            return _("Nobody had joined, so nobody was emailed.")
        parts = [ngettext("%(count)s runner was emailed", "%(count)s runners were emailed",
                          self.emailed) % {"count": self.emailed}]
        if self.moved_back:
            parts.append(ngettext("%(count)s moved back to the waitlist",
                                  "%(count)s moved back to the waitlist",
                                  self.moved_back) % {"count": self.moved_back})
        if self.promoted:
            parts.append(ngettext("%(count)s moved up from the waitlist",
                                  "%(count)s moved up from the waitlist",
                                  self.promoted) % {"count": self.promoted})
        return "; ".join(parts) + "."


def publish(template, starts, *, organiser):
    """Saves ``template`` once for each of ``starts`` (a weekly series shares an id),
    queues each run's reminder and, for a club's runs, the club's digest. Returns the
    runs. Raises RunNotOpen when the club closed, or the organiser stopped organising it,
    while the form was being checked."""
    series = uuid.uuid4() if len(starts) > 1 else None
    runs = []
    with transaction.atomic():
        if template.club:
            # The club's lock: a digest being written (which marks what it listed as
            # covered) is either done or waits for these runs; a close is either seen
            # here or cancels them too.
            club = Club.objects.select_for_update().get(pk=template.club.pk)
            if not club.is_listed or not club.organisers.filter(user=organiser).exists():
                raise RunNotOpen(_("You can no longer publish runs for this club: it has "
                                   "closed, or you no longer organise it."))
        for starts_at in starts:
            run = copy.copy(template)  # a model's copy has its own state
            run.organiser, run.starts_at, run.series = organiser, starts_at, series
            run.save()
            reminders.schedule_reminder(run)
            runs.append(run)
        if template.club:
            digests.schedule(template.club)
    return runs


def leave(run, user, *, now=None):
    """``user`` leaves ``run``; whoever moves up from the waitlist is told."""
    with transaction.atomic():
        promoted = run.leave(user, now=now)
        for participation in promoted:
            emails.send_promoted(participation)
    return promoted


def _to_the_minute(moment):
    # The form shows minutes; a start saved with seconds (from the admin) is not "moved"
    # by an edit that keeps the minute.
    return moment.replace(second=0, microsecond=0)


def edit(run, form):
    """Saves the organiser's ``form`` for ``run``, moves runners to or from the waitlist
    when the capacity changed, and tells each runner once about all of it."""
    with transaction.atomic():
        # Under the run's lock, so a join cannot slip in between the new capacity and
        # moving runners to or from the waitlist, and a cancel that committed while the
        # form was checked is not undone.
        before = locked = run._locked()
        if locked.is_cancelled:
            raise RunNotOpen(_("This run is cancelled and can no longer be changed."))
        if locked.has_started():
            raise RunNotOpen(_("This run has started and can no longer be changed."))
        form.save(commit=False)
        if calendar_news(run, before):
            run.sequence = before.sequence + 1
        run.save(update_fields=[*form.Meta.fields, "sequence", "updated_at"])
        if run.starts_at != before.starts_at:
            # Exact times: the queued reminder checks the exact start it was made for.
            reminders.schedule_reminder(run)
        promoted, moved_back = run.apply_capacity()
        told = _tell_about_edit(run, before, promoted, moved_back)
    return told


def _time_changed(run, before):
    return _to_the_minute(run.starts_at) != _to_the_minute(before.starts_at)


def _place_changed(run, before):
    return (run.meeting_point, run.latitude, run.longitude) != (
        before.meeting_point, before.latitude, before.longitude)


# Under the same words, a spot that moved less than this on the map is the same spot (a pin
# nudged, a route's start a few steps away): runners are not emailed about it.
SAME_SPOT_M = 25


def place_news(run, before):
    """What runners are told about ``run``'s meeting point: "words" (a new meeting point),
    "spot" (the same words, the spot moved SAME_SPOT_M or more on the map) or "" (nothing:
    coordinates added to or taken off the same words leave the place where it was)."""
    if run.meeting_point != before.meeting_point:
        return "words"
    if run.has_coordinates and before.has_coordinates and metres_between(
            (float(run.latitude), float(run.longitude)),
            (float(before.latitude), float(before.longitude))) >= SAME_SPOT_M:
        return "spot"
    return ""


def calendar_news(run, before):
    """Whether a calendar must replace its copy of ``run``: its time or place changed
    (RFC 5545's SEQUENCE goes up; a cancel raises it too, in Run.cancel)."""
    return _time_changed(run, before) or _place_changed(run, before)


def _tell_about_edit(run, before, promoted, moved_back):
    news = place_news(run, before)
    change = {
        "time_changed": _time_changed(run, before),
        "place_changed": bool(news),
        "spot_moved": news == "spot",
        "before": before,
    }
    told = Told(moved_back=len(moved_back), promoted=len(promoted))
    changed = change["time_changed"] or change["place_changed"]
    moved = {p.runner_id for p in moved_back} | {p.runner_id for p in promoted}
    if changed:
        others = [runner for runner in run.runners() if runner.pk not in moved]
        told.emailed += emails.send_changed(run, others, **change)
    for participation in promoted:
        if changed:
            told.emailed += emails.send_changed(run, [participation.runner], promoted=True,
                                                **change)
        else:
            told.emailed += emails.send_promoted(participation)
    for position, participation in enumerate(moved_back, start=1):
        if changed:
            told.emailed += emails.send_changed(run, [participation.runner],
                                                position=position, **change)
        else:
            told.emailed += emails.send_moved_back(participation, position)
    told.had_news = changed or bool(moved)
    return told


def cancel(runs, *, reason, now=None, by_staff=False):
    """Cancels each of ``runs`` that is still open; each runner gets one email per series
    listing every date of theirs that was cancelled. ``by_staff``: from the admin, and
    then not for the organisers to reopen."""
    now = now or timezone.now()
    told = Told()
    with transaction.atomic():
        people = {}  # runner id -> (runner, [their cancelled runs])
        for run in runs:
            if run.cancel(reason=reason, now=now, by_staff=by_staff):
                told.runs.append(run)
                for runner in run.runners():
                    people.setdefault(runner.pk, (runner, []))[1].append(run)
        told.emailed = send_cancellations(people.values())
    return told


def cancel_preview(runs, *, now=None):
    """What cancelling ``runs`` would do, for the organiser's confirmation: (the runs
    still open, how many runners would be emailed)."""
    now = now or timezone.now()
    still_open = [run for run in runs if not run.is_cancelled and not run.has_started(now)]
    runners = {runner.pk: runner for run in still_open for runner in run.runners()}
    return still_open, len(mail.reachable(runners.values()))


def send_cancellations(people, *, deleted=False):
    """Tells each (runner, [cancelled runs]) in ``people``: one email per series (a lone
    run is its own), listing its dates. Runners with the same dates share one email,
    written once per language. Returns how many emails were queued."""
    same_dates = {}
    for runner, runs in people:
        by_series = {}
        for run in runs:
            by_series.setdefault(run.series or f"run-{run.pk}", []).append(run)
        for series_runs in by_series.values():
            key = tuple(run.pk for run in series_runs)
            same_dates.setdefault(key, (series_runs, []))[1].append(runner)
    return sum(emails.send_cancelled(runs, runners, deleted=deleted)
               for runs, runners in same_dates.values())


def cancel_club_runs(club, *, reason):
    """A club closed: its future runs are cancelled and their runners told."""
    return cancel(list(club.runs.upcoming().not_cancelled()), reason=reason)


class NotOnRun(Exception):
    """The runner to remove is no longer on the run (they left, or were removed)."""


def reopen(run, *, later=False, now=None):
    """Reopens ``run``, cancelled and not started, and with ``later`` the later dates of
    its series that were cancelled together with it. Each runner gets one email listing
    their reopened dates and their place on each. Raises RunNotOpen when ``run`` cannot
    be reopened (started, not cancelled, its club closed)."""
    now = now or timezone.now()
    told = Told()
    with transaction.atomic():
        if run.club_id is not None:
            # The club's lock first, as closing takes it: a close either cancelled this
            # run already and is seen here, or waits and cancels it again.
            club = Club.objects.select_for_update().get(pk=run.club_id)
            if not club.is_listed:
                raise RunNotOpen(_("The club has closed, so its runs can no longer be "
                                   "reopened."))
        runs = [run, *(run.cancelled_together_after() if later else [])]
        people = {}  # runner id -> (runner, [their participations on reopened runs])
        for each in runs:
            try:
                told.promoted += len(each.reopen(now=now))
            except RunClosed as refused:
                if each is run:
                    raise RunNotOpen(str(refused)) from refused
                continue  # a later date reopened a moment ago by someone else
            reminders.schedule_reminder(each, now=now)
            told.runs.append(each)
            for place in each.participations.select_related("runner").with_position():
                people.setdefault(place.runner_id, (place.runner, []))[1].append(place)
        told.emailed = sum(emails.send_reopened(runner, places)
                           for runner, places in people.values())
    return told


def removal_refused(run, *, now=None):
    """Why no runner can be taken off ``run`` now, or None."""
    if run.is_cancelled:
        return _("This run is cancelled, so its runners can no longer be removed.")
    if run.has_started(now or timezone.now()):
        return _("This run has started, so its runners can no longer be removed.")
    return None


def not_on_run_message():
    return _("This runner is no longer on the run: they left, or were removed already.")


def remove_runner(run, participation_id, *, reason="", now=None):
    """The organiser takes a runner off ``run``: the runner is told (with ``reason``),
    and whoever moves up from the waitlist too. Raises NotOnRun when they are no longer
    on it, RunNotOpen when the run is cancelled or has started."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = run._locked()  # a leave or another removal at once: one of them wins
        refused = removal_refused(locked, now=now)
        if refused:
            raise RunNotOpen(refused)
        participation = (Participation.objects.filter(pk=participation_id, run=locked)
                         .select_related("runner").first())
        if participation is None:
            raise NotOnRun(not_on_run_message())
        participation.run = locked
        promoted = locked.leave(participation.runner, now=now)
        told = Told(promoted=len(promoted), runs=[locked])
        told.emailed = emails.send_removed(participation, reason=reason)
        for each in promoted:
            told.emailed += emails.send_promoted(each)
    return told
