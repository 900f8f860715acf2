"""A weekly series' page, and its actions: "Join every upcoming date", "Leave every
date" (runners) and "Add more weeks" (its organisers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from joinrun.page_cache import for_signed_out_visitors

from . import series
from .forms import AddWeeksForm
from .models import Participation
from .series import DateOutcome

# Past dates on the page, newest first: a series that ran for years still loads fast.
PAST_DATES_SHOWN = 12


def _dates(series_id):
    """The series' dates with their counts; 404 for a series that does not exist."""
    runs = list(series.dates_of(series_id).with_counts().select_related("organiser", "club"))
    if not runs:
        raise Http404
    return runs


def _manages(user, runs):
    # Every date has the same organiser and club, so the last one answers for all.
    return runs[-1].is_managed_by(user)


def _series_url(series_id):
    return reverse("runs:series", args=[series_id])


@for_signed_out_visitors
def series_detail(request, series_id):
    return _series_page(request, series_id)


def _series_page(request, series_id, *, add_form=None, error=None, status=200):
    now, user = timezone.now(), request.user
    runs = _dates(series_id)
    mine = {}
    if user.is_authenticated:
        places = Participation.objects.filter(runner=user, run__series=series_id)
        mine = {place.run_id: place for place in places.with_position()}
    for run in runs:
        run.mine = mine.get(run.pk)
        run.started = run.has_started(now)
    upcoming = [run for run in runs if not run.started]
    past = [run for run in reversed(runs) if run.started]
    open_dates = [run for run in upcoming if not run.is_cancelled]
    # The series reads as its next date: title, time and place as they are now.
    head = (open_dates or upcoming or runs[::-1])[0]
    is_organiser = _manages(user, runs)
    context = {
        "series_id": series_id,
        "series_url": _series_url(series_id),
        "head": head,
        "schedule": series.schedule_text(head.starts_at),
        "upcoming": upcoming,
        "past": past[:PAST_DATES_SHOWN],
        "past_not_shown": max(len(past) - PAST_DATES_SHOWN, 0),
        "is_organiser": is_organiser,
        "open_dates": len(open_dates),
        # An organiser is not offered to join their own series.
        "can_join": not is_organiser and any(run.mine is None for run in open_dates),
        "can_leave": any(run.mine for run in upcoming),
        "error": error,
    }
    if is_organiser:
        context["add_form"] = add_form or AddWeeksForm()
        context["room"] = series.room_left(series_id, now=now)
        context["max_dates"] = series.MAX_UPCOMING_DATES
    return render(request, "runs/series.html", context, status=status)


@require_POST
def join_all(request, series_id):
    runs = _dates(series_id)
    if not request.user.is_authenticated:
        # Back to the series page after logging in, where the button is one tap away.
        return redirect_to_login(_series_url(series_id))
    if _manages(request.user, runs):
        return _series_page(request, series_id, status=409, error=_(
            "You organise this series, so there is no need to join it."))
    outcomes = series.join_all(series_id, request.user)
    if not outcomes:
        messages.info(request, _("This series has no upcoming dates to join."))
    for level, text in join_messages(outcomes):
        messages.add_message(request, level, text)
    return redirect(_series_url(series_id))


def _dates_text(outcomes, *, positions=False):
    """ "Tue 1 Dec, 18:30; Tue 8 Dec, 18:30 (#2)" """
    return "; ".join(
        series.short_date(outcome.run.starts_at)
        + (f" (#{outcome.position})" if positions else "")
        for outcome in outcomes
    )


def join_messages(outcomes):
    """What "Join every upcoming date" did, one message for each kind of outcome, each
    listing its dates."""
    by_result = {}
    for outcome in outcomes:
        by_result.setdefault(outcome.result, []).append(outcome)
    said = []
    if joined := by_result.get(DateOutcome.JOINED):
        said.append((messages.SUCCESS, ngettext(
            "You're going on %(count)s date: %(dates)s.",
            "You're going on %(count)s dates: %(dates)s.", len(joined),
        ) % {"count": len(joined), "dates": _dates_text(joined)}))
    if waiting := by_result.get(DateOutcome.WAITLISTED):
        said.append((messages.INFO, ngettext(
            "Full, so you're on the waitlist of %(count)s date: %(dates)s. When a place "
            "opens up for you, you're moved onto the run at once and we email you.",
            "Full, so you're on the waitlist of %(count)s dates: %(dates)s. When a place "
            "opens up for you, you're moved onto the run at once and we email you.",
            len(waiting),
        ) % {"count": len(waiting), "dates": _dates_text(waiting, positions=True)}))
    if going := by_result.get(DateOutcome.ALREADY_GOING):
        said.append((messages.INFO, ngettext(
            "You were already going on %(count)s date: %(dates)s.",
            "You were already going on %(count)s dates: %(dates)s.", len(going),
        ) % {"count": len(going), "dates": _dates_text(going)}))
    if waiting := by_result.get(DateOutcome.ALREADY_WAITING):
        said.append((messages.INFO, ngettext(
            "You were already on the waitlist of %(count)s date: %(dates)s.",
            "You were already on the waitlist of %(count)s dates: %(dates)s.", len(waiting),
        ) % {"count": len(waiting), "dates": _dates_text(waiting, positions=True)}))
    reasons = {}
    for outcome in by_result.get(DateOutcome.CLOSED, []):
        reasons.setdefault(outcome.reason, []).append(outcome)
    for reason, closed in reasons.items():
        said.append((messages.INFO, _("Not joined on %(dates)s: %(reason)s")
                     % {"dates": _dates_text(closed), "reason": reason}))
    return said


@require_POST
def leave_all(request, series_id):
    _dates(series_id)
    if not request.user.is_authenticated:
        return redirect_to_login(_series_url(series_id))
    # Forgiving: a place others wait for is lost for good, so that is asked first.
    if request.POST.get("confirm") != "yes":
        at_stake = series.places_others_wait_for(series_id, request.user)
        if at_stake:
            return render(request, "runs/series_leave.html",
                          {"series_id": series_id, "at_stake": at_stake,
                           "title": at_stake[0].title})
    left = series.leave_all(series_id, request.user)
    if left:
        messages.success(request, ngettext(
            "You left %(count)s date: %(dates)s.", "You left %(count)s dates: %(dates)s.",
            len(left)) % {"count": len(left), "dates": _dates_text(left)})
    else:
        messages.info(request, _("You were on none of the upcoming dates."))
    return redirect(_series_url(series_id))


@login_required
def add_weeks(request, series_id):
    runs = _dates(series_id)
    if not _manages(request.user, runs):
        raise PermissionDenied
    form = AddWeeksForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = series.add_weeks(series_id, form.cleaned_data["weeks"], by=request.user)
        except series.SeriesRefused as refused:
            form.add_error("weeks", str(refused))
        else:
            messages.success(request, ngettext(
                "%(count)s date added, up to %(last)s. Runners join the new dates "
                "themselves.",
                "%(count)s dates added, up to %(last)s. Runners join the new dates "
                "themselves.", len(added),
            ) % {"count": len(added), "last": series.short_date(added[-1].starts_at)})
            return redirect(_series_url(series_id))
    status = 400 if form.errors else 200
    return _series_page(request, series_id, add_form=form, status=status)
