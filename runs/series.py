"""A weekly series as one thing: the runs that share ``Run.series`` (a UUID), one a week
at the same local time, each date with its own places and waitlist.

Each function below acts on several dates at once in one transaction: it changes them,
queues one email per person listing every date that concerns that person, and returns
what happened, as runs/services.py does for one run.

Locking: each function locks every date it may touch in one statement, in start order,
when its transaction begins, and holds the locks to the end. So another runner's "Join
every upcoming date" is never half-done when this one starts; two of them queue on the
first date instead of each holding a date the other waits for; and Run.join/leave, which
lock the row again, find it theirs already. (SQLite has no row locks: its IMMEDIATE
transactions queue the writers whole.)
"""

import copy
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from clubs import digests
from clubs.models import Club
from joinrun import mail

from . import reminders
from .models import MAX_DAYS_AHEAD, Participation, Route, Run, RunClosed
from .services import RunNotOpen, Told, calendar_news, place_news

# "At most 52 dates ahead": a year of Tuesdays. Cancelled dates are not counted, so an
# organiser who cancelled a holiday week can still plan a full year.
MAX_UPCOMING_DATES = 52

# The fields "This and later dates" carries from the edited date to the later ones (the
# start moves by the same wall-clock amount instead): every field of the edit form.
SHARED_FIELDS = ["title", "meeting_point", "latitude", "longitude", "distance_km",
                 "pace_min", "pace_max", "capacity", "description"]

# One phrase per weekday, not "Every %(weekday)s": Slovenian declines the day
# ("vsak torek", "vsako sredo").
EVERY_WEEKDAY = [
    gettext_lazy("Every Monday"), gettext_lazy("Every Tuesday"),
    gettext_lazy("Every Wednesday"), gettext_lazy("Every Thursday"),
    gettext_lazy("Every Friday"), gettext_lazy("Every Saturday"),
    gettext_lazy("Every Sunday"),
]


class SeriesRefused(Exception):
    """A change the series cannot take (too many dates, a club that closed); str() says
    why, in words for the organiser."""


# Reading

def dates_of(series_id):
    """Every date of the series, first to last (cancelled and past ones too)."""
    return Run.objects.filter(series=series_id).order_by("starts_at", "pk")


def _local(moment):
    return timezone.localtime(moment, timezone.get_default_timezone())


def every_weekday(moment):
    """ "Every Tuesday", for the weekday ``moment`` falls on in the site's zone."""
    return str(EVERY_WEEKDAY[_local(moment).weekday()])


def schedule_text(moment):
    """ "Every Tuesday at 18:30", in the site's zone."""
    return _("%(every_weekday)s at %(time)s") % {
        "every_weekday": every_weekday(moment),
        "time": formats.time_format(_local(moment), "TIME_FORMAT"),
    }


def short_date(moment):
    """ "Tue 1 Dec, 18:30", as run cards write a date."""
    return formats.date_format(_local(moment), "SHORT_DATETIME_FORMAT")


def weeks_later(moment, weeks):
    """``moment`` moved on by ``weeks`` at the same local time: 18:30 stays 18:30 across
    a daylight-saving change (as NewRunForm.weekly_starts plans a new series)."""
    return shifted(moment, timedelta(weeks=weeks))


def shifted(moment, wall_clock):
    """``moment`` moved by ``wall_clock`` on the site's clocks, not by elapsed time."""
    zone = timezone.get_default_timezone()
    return timezone.make_aware(_local(moment).replace(tzinfo=None) + wall_clock, zone)


def wall_clock_between(earlier, later):
    return _local(later).replace(tzinfo=None) - _local(earlier).replace(tzinfo=None)


def _locked(runs):
    # One statement, start order: see the module's docstring.
    return list(runs.select_for_update().order_by("starts_at", "pk"))


def room_left(series_id, *, now=None):
    """How many dates may still be added before the series has MAX_UPCOMING_DATES."""
    upcoming = dates_of(series_id).upcoming(now).not_cancelled().count()
    return max(MAX_UPCOMING_DATES - upcoming, 0)


# Joining and leaving every date

@dataclass
class DateOutcome:
    """What "Join every upcoming date" or "Leave every date" did on one date."""

    JOINED = "joined"
    WAITLISTED = "waitlisted"
    ALREADY_GOING = "already going"
    ALREADY_WAITING = "already waiting"
    CLOSED = "closed"
    LEFT = "left"

    run: Run
    result: str
    position: int | None = None  # on the waitlist, for WAITLISTED and ALREADY_WAITING
    reason: str = ""  # why it was CLOSED


def join_all(series_id, user, *, now=None):
    """Puts ``user`` on every upcoming date of the series, or on its waitlist where it is
    full. Returns a DateOutcome per date, in start order. Nobody is emailed: the joiner
    sees the outcome, and a join changes nobody else's place."""
    outcomes = []
    with transaction.atomic():
        dates = _locked(dates_of(series_id).upcoming(now))
        mine = {p.run_id: p for p in Participation.objects.filter(runner=user, run__in=dates)}
        for run in dates:
            if run.pk in mine:
                place = mine[run.pk]
                if place.is_going:
                    outcomes.append(DateOutcome(run, DateOutcome.ALREADY_GOING))
                else:
                    outcomes.append(DateOutcome(run, DateOutcome.ALREADY_WAITING,
                                                position=place.waitlist_position()))
                continue
            try:
                place = run.join(user, now=now)
            except RunClosed as closed:
                outcomes.append(DateOutcome(run, DateOutcome.CLOSED, reason=str(closed)))
                continue
            if place.is_going:
                outcomes.append(DateOutcome(run, DateOutcome.JOINED))
            else:
                outcomes.append(DateOutcome(run, DateOutcome.WAITLISTED,
                                            position=place.waitlist_position()))
    return outcomes


def places_others_wait_for(series_id, user, *, now=None):
    """The upcoming dates where ``user`` is going and others wait: leaving them hands
    the place to the first in line. For the confirmation before "Leave every date"."""
    waiting = Participation.objects.filter(status=Participation.Status.WAITLISTED)
    return list(
        dates_of(series_id).upcoming(now).not_cancelled().with_counts()
        .filter(participations__runner=user,
                participations__status=Participation.Status.GOING)
        .filter(pk__in=waiting.values("run_id"))
    )


def leave_all(series_id, user, *, now=None):
    """Takes ``user`` off every upcoming date of the series (cancelled ones too, so a
    reopened date does not bring them back). Whoever moves up from a waitlist gets one
    email listing their new places. Returns a DateOutcome per date left, in start
    order."""
    now = now or timezone.now()
    outcomes, promoted = [], {}  # runner id -> (runner, [their runs])
    with transaction.atomic():
        mine = Participation.objects.filter(runner=user).values("run_id")
        for run in _locked(dates_of(series_id).upcoming(now).filter(pk__in=mine)):
            for place in run.leave(user, now=now):
                promoted.setdefault(place.runner_id, (place.runner, []))[1].append(run)
            outcomes.append(DateOutcome(run, DateOutcome.LEFT))
        send_promoted(promoted.values())
    return outcomes


# The organiser's changes

def edit_later(run, form, *, now=None):
    """"This and later dates": saves the organiser's ``form`` (a RunForm of ``run``) on
    ``run`` and carries the change to the later dates of its series that are open. The
    start moves by the same wall-clock amount on each, so each keeps its local time
    across a daylight-saving change; the fields that changed are copied. Runners move to
    or from each date's waitlist when the capacity changed. Each runner gets one email
    listing their changed dates. Returns a Told whose ``runs`` are the changed dates.

    Raises RunNotOpen when ``run`` was cancelled or started meanwhile, SeriesRefused when
    the move would carry a date past the next one."""
    now = now or timezone.now()
    with transaction.atomic():
        dates = _locked(dates_of(run.series).upcoming(now).not_cancelled())
        before = next((date for date in dates if date.pk == run.pk), None)
        if before is None:
            raise RunNotOpen(_closed_reason(run))
        form.save(commit=False)  # ``run`` now holds the new values
        moved_by = wall_clock_between(before.starts_at, run.starts_at)
        if abs(moved_by) >= timedelta(weeks=1):
            raise SeriesRefused(too_far_message())
        if shifted(dates[-1].starts_at, moved_by) > now + timedelta(days=MAX_DAYS_AHEAD):
            # The later dates must obey Run.clean's limit too, not only the edited one.
            raise SeriesRefused(_("That would move the last date more than two years "
                                  "ahead. Move the dates by less, or cancel the last ones."))
        changed = [name for name in SHARED_FIELDS if getattr(run, name) != getattr(before, name)]
        told, people = Told(had_news=False), {}
        for date in dates:
            if (date.starts_at, date.pk) < (before.starts_at, before.pk):
                continue
            if date.pk == run.pk:
                new, old = run, before
            else:
                new, old = date, copy.copy(date)
                new.starts_at = shifted(date.starts_at, moved_by)
                for name in changed:
                    setattr(new, name, getattr(run, name))
            if _save_date(new, old):
                told.runs.append(new)
                _note_changes(new, old, told, people)
        told.emailed = send_changed(people.values())
    return told


def too_far_message():
    return _("“This and later dates” can move the dates by less than a week. To move "
             "them further, cancel the dates and add new ones.")


def _closed_reason(run):
    run = Run.objects.get(pk=run.pk)
    if run.is_cancelled:
        return _("This run is cancelled and can no longer be changed.")
    return _("This run has started and can no longer be changed.")


def _save_date(new, old):
    """Saves ``new`` unless nothing differs from ``old``; True when saved."""
    fields = ["starts_at", *SHARED_FIELDS]
    if all(getattr(new, name) == getattr(old, name) for name in fields):
        return False
    new.sequence = old.sequence + 1 if calendar_news(new, old) else old.sequence
    new.save(update_fields=[*fields, "sequence", "updated_at"])
    if new.starts_at != old.starts_at:
        # Exact times: the queued reminder checks the exact start it was made for.
        reminders.schedule_reminder(new)
    return True


def _minute(moment):
    # The form shows minutes: a start saved with seconds has not "moved" within its minute.
    return moment.replace(second=0, microsecond=0)


def _news_about(new, old):
    """(time changed, place news: see services.place_news): what every runner of the date
    is told."""
    return _minute(new.starts_at) != _minute(old.starts_at), place_news(new, old)


def _note_changes(new, old, told, people):
    """Adds what changed on one date to ``people`` (runner id -> (runner, [entries])):
    its new time or place for everyone on it, a move up or back for those it moved."""
    promoted, moved_back = new.apply_capacity()
    told.promoted += len(promoted)
    told.moved_back += len(moved_back)
    time_changed, news = _news_about(new, old)
    place_changed = bool(news)
    moves = {place.runner_id: {"promoted": True} for place in promoted}
    # Moved back in front of those already waiting: positions 1, 2, …
    moves.update({place.runner_id: {"position": position}
                  for position, place in enumerate(moved_back, start=1)})
    if time_changed or place_changed or promoted or moved_back:
        told.had_news = True  # else a new title, say: nothing runners are told
    if time_changed or place_changed:
        concerned = new.runners()
    else:
        concerned = [place.runner for place in [*promoted, *moved_back]]
    for runner in concerned:
        entry = {"run": new, "before": old, "time_changed": time_changed,
                 "place_changed": place_changed, "spot_moved": news == "spot",
                 "promoted": False, "position": None,
                 "run_url": mail.site_url(new.get_absolute_url()), **moves.get(runner.pk, {})}
        people.setdefault(runner.pk, (runner, []))[1].append(entry)


def add_weeks(series_id, weeks, *, now=None, by=None):
    """Adds ``weeks`` dates after the series' last one, a week apart at its local time
    (dates that would be past already are skipped), each a copy of the last date's
    details, with its reminder and, for a club's series, the club's digest. ``by``, when
    given, must still organise the club (checked under the club's lock, as publishing a
    run is). Returns the new runs. Raises SeriesRefused beyond MAX_UPCOMING_DATES
    upcoming dates or two years ahead, or when the club has closed."""
    now = now or timezone.now()
    with transaction.atomic():
        head = dates_of(series_id).order_by("pk").first()
        if head is None:
            raise SeriesRefused(_("This series has no dates."))
        if head.club_id is not None:
            _check_club(head.club_id, by)  # the club's lock before a run's, as publish()
        # The first date's row is the series' lock: two organisers adding weeks at once
        # would otherwise both read the same last date and add the same dates twice.
        dates_of(series_id).order_by("pk").select_for_update().first()
        last = dates_of(series_id).last()  # read after the lock: whatever the other added
        starts = _new_starts(series_id, last, weeks, now)
        runs = []
        for starts_at in starts:
            # Whoever adds them organises them: never a former organiser of the club.
            run = Run(organiser=by or last.organiser, club=last.club, series=series_id,
                      starts_at=starts_at,
                      **{name: getattr(last, name) for name in SHARED_FIELDS})
            run.save()
            reminders.schedule_reminder(run, now=now)
            runs.append(run)
        route = Route.objects.filter(run=last).first()  # one of the details copied
        if route is not None:
            Route.objects.bulk_create([Route(run=run, gpx=route.gpx, distance_m=route.distance_m,
                                             ascent_m=route.ascent_m, drawing=route.drawing,
                                             uploaded_at=route.uploaded_at) for run in runs])
        if last.club_id is not None:
            digests.schedule(last.club, now=now)
    return runs


def _check_club(club_id, by):
    # The club's lock, as services.publish takes it: a digest being written either
    # lists these dates or waits for them, and a close is either seen here or cancels
    # them too.
    club = Club.objects.select_for_update().get(pk=club_id)
    if not club.is_listed or (by is not None
                              and not club.organisers.filter(user=by).exists()):
        raise SeriesRefused(_("You can no longer add dates for this club: it has closed, "
                              "or you no longer organise it."))


def _new_starts(series_id, last, weeks, now):
    if weeks < 1:
        raise SeriesRefused(_("Add at least one week."))
    room = room_left(series_id, now=now)
    if weeks > room:
        raise SeriesRefused(too_many_message(room))
    starts, week = [], 1
    while len(starts) < weeks:
        starts_at = weeks_later(last.starts_at, week)
        if starts_at > now:  # a series whose last date is past goes on from today
            starts.append(starts_at)
        week += 1
    if starts[-1] > now + timedelta(days=MAX_DAYS_AHEAD):
        raise SeriesRefused(_("Runs can be planned at most two years ahead."))
    return starts


def too_many_message(room):
    if room == 0:
        return _("This series already has %(max)s upcoming dates, the most it can have. "
                 "Add more once some have taken place.") % {"max": MAX_UPCOMING_DATES}
    return ngettext(
        "A series can have at most %(max)s upcoming dates, so you can add %(count)s more "
        "week now.",
        "A series can have at most %(max)s upcoming dates, so you can add %(count)s more "
        "weeks now.",
        room) % {"max": MAX_UPCOMING_DATES, "count": room}


# Emails: one per runner per action, listing each of their dates. Runners with the same
# dates and the same moves share the rendering (mail.send writes once per language).

def _series_url(run):
    return mail.site_url(reverse("runs:series", args=[run.series]))


def send_changed(people):
    """``people``: (runner, [entries]) with each changed date of theirs (see
    _note_changes). Returns how many emails were queued."""
    same = {}
    for runner, entries in people:
        key = tuple((e["run"].pk, e["promoted"], e["position"]) for e in entries)
        same.setdefault(key, (entries, []))[1].append(runner)
    emailed = 0
    for entries, runners in same.values():
        run = entries[0]["run"]
        context = {
            "run": run, "entries": entries, "series_url": _series_url(run),
            "time_changed": any(e["time_changed"] for e in entries),
            "place_changed": any(e["place_changed"] for e in entries),
            # Only spots that moved on the map, under the same words: the subject says so.
            "spot_moved": all(e["spot_moved"] for e in entries if e["place_changed"]),
            "promoted": any(e["promoted"] for e in entries),
            "moved_back": any(e["position"] for e in entries),
        }
        emailed += mail.send("series_changed", mail.reachable(runners), context)
    return emailed


def send_promoted(people):
    """``people``: (runner, [runs where they moved up from the waitlist]). Returns how
    many emails were queued."""
    same = {}
    for runner, runs in people:
        same.setdefault(tuple(run.pk for run in runs), (runs, []))[1].append(runner)
    emailed = 0
    for runs, runners in same.values():
        runs = sorted(runs, key=lambda run: run.starts_at)
        context = {"run": runs[0], "runs": runs, "series_url": _series_url(runs[0]),
                   "run_urls": [(run, mail.site_url(run.get_absolute_url())) for run in runs]}
        emailed += mail.send("series_promoted", mail.reachable(runners), context)
    return emailed
