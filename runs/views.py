from datetime import datetime, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from joinrun.page_cache import for_signed_out_visitors
from joinrun.views import render_form

from . import attendance, calendar, card_marks, route_offer, series, services
from .forms import CancelForm, NewRunForm, RunFilterForm, RunForm, SeriesEditForm
from .models import Participation, Run, RunClosed
from .templatetags import run_cards

RUNS_PER_PAGE = 20
HOME_RUNS = 5
PAST_RUNS_ON_MY_PAGE = 50
FOLLOWED_ON_MY_PAGE = 10


def _get_run(run_id):
    return get_object_or_404(Run.objects.select_related("organiser", "club"), pk=run_id)


def _get_run_for_organiser(request, run_id):
    """The run, for its organiser or an organiser of its club; 403 for anyone else."""
    run = _get_run(run_id)
    if not run.is_managed_by(request.user):
        raise PermissionDenied
    return run


@for_signed_out_visitors
def home(request):
    followed = _from_followed_clubs(request.user, HOME_RUNS)
    runs = list(Run.objects.upcoming().not_cancelled().exclude(pk__in=[r.pk for r in followed])
                .for_cards()[:HOME_RUNS])
    _mark_my_status(request.user, followed + runs)
    return render(request, "runs/home.html", {"runs": runs, "followed": followed})


def _from_followed_clubs(user, count, now=None):
    """The next runs of the clubs ``user`` follows: first on the home page and My runs."""
    if not user.is_authenticated:
        return []
    return list(Run.objects.upcoming(now).not_cancelled().from_clubs_followed_by(user)
                .for_cards()[:count])


@for_signed_out_visitors
def run_list(request):
    # Read on its own, so a bad filter on the archive still shows the archive.
    past = request.GET.get("past", "").lower() not in ("", "0", "false")
    # A bad value in a shared or hand-edited link: say what was wrong and show the whole
    # list rather than an error page. (No parameters, nothing to be wrong: the form,
    # which the kept body shows, is then made only when the body is.)
    filters = RunFilterForm(request.GET) if request.GET else None
    status = 200 if filters is None or filters.is_valid() else 400

    def body_context():
        form = filters or RunFilterForm(request.GET)
        runs = Run.objects.past() if past else Run.objects.upcoming()
        if form.is_valid():
            runs = form.filter(runs)
        page = Paginator(runs.for_cards(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
        return {"page": page, "filters": form, "past": past}

    # The same for every reader of a language at this address but for their own marks:
    # kept, and filled in for this reader.
    body = run_cards.kept_body(request, "runs/includes/run_list_body.html", body_context,
                               lambda context: context["page"].object_list)
    return render(request, "runs/run_list.html", {"body": body, "past": past}, status=status)


def _mark_my_status(user, runs):
    """Sets what run cards say about the signed-in viewer: ``my_status`` ("going",
    "waitlisted" or None), ``my_attended`` (they came) and ``managing`` (they organise
    it), in one query."""
    card_marks.mark(user, runs)


@for_signed_out_visitors
def run_detail(request, run_id):
    return _detail_page(request, run_id)


def _detail_page(request, run_id, *, error=None, status=200):
    # The route in the same query, without its GPX text (the page draws from its drawing).
    runs = Run.objects.with_counts().select_related("organiser", "club", "route")
    run = get_object_or_404(runs.defer("route__gpx"), pk=run_id)
    mine = run.participation_of(request.user)
    is_organiser = run.is_managed_by(request.user)
    now = timezone.now()
    going, waiting, unnamed = [], [], 0
    # Names only for the organiser and the run's own runners; everyone else sees counts.
    # Who ran it shows as a mark, never their Strava data (that is for its owner alone).
    if is_organiser or mine:
        for participation in run.participations.select_related("runner").in_order():
            runner = participation.runner
            # A runner who asked to restrict processing of their data is counted, not named.
            if runner.processing_restricted_at and runner.pk != request.user.pk:
                unnamed += 1
                continue
            (going if participation.is_going else waiting).append(participation)
    context = {
        "run": run,
        "mine": mine,
        "position": mine.waitlist_position() if mine else None,
        "is_organiser": is_organiser,
        "show_names": is_organiser or mine is not None,
        "going": going,
        "waiting": waiting,
        "unnamed": unnamed,
        "started": run.has_started(now),
        # Who came can be marked from the start until a week after (runs/attendance.py).
        "attendance_open": attendance.is_open(run, now),
        "error": error,
    }
    return render(request, "runs/run_detail.html", context, status=status)


@require_POST
def join(request, run_id):
    run = _get_run(run_id)
    if not request.user.is_authenticated:
        # Back to the run page after logging in, where "Join run" is one tap away.
        return redirect_to_login(run.get_absolute_url())
    if run.is_managed_by(request.user):
        return _detail_page(request, run.pk, status=409, error=_(
            "You organise this run, so there is no need to join it."))
    try:
        participation = run.join(request.user)
    except RunClosed as closed:
        return _detail_page(request, run.pk, error=str(closed), status=409)
    if participation.is_going:
        messages.success(request, _("You're going. See you there!"))
    else:
        messages.info(request, _("The run is full, so you're #%(position)s on the waitlist. "
                                 "When a place opens up for you, you're moved onto the run at "
                                 "once and we email you.")
                      % {"position": participation.waitlist_position()})
    return redirect(run)


@require_POST
@login_required
def leave(request, run_id):
    """Asks first when the place would go to someone waiting: a tap by mistake cannot
    be undone, since joining again means joining at the end of the waitlist."""
    run = _get_run(run_id)
    mine = run.participation_of(request.user)
    waiting = _waiting_for_place_of(run, mine)
    if waiting and request.POST.get("confirm") != "yes":
        return render(request, "runs/leave_confirm.html", {"run": run, "waiting": waiting})
    try:
        services.leave(run, request.user)
    except RunClosed as closed:
        return _detail_page(request, run.pk, error=str(closed), status=409)
    # The one place that words what leaving did.
    if mine is not None and not mine.is_going:
        messages.success(request, _("You left the waitlist."))
    else:
        messages.success(request, _("You left the run."))
    return redirect(run)


def _waiting_for_place_of(run, mine):
    """How many are waiting for the place ``mine`` would free (0: nobody moves up)."""
    if mine is None or not mine.is_going or run.is_cancelled or run.has_started():
        return 0
    return run.participations.filter(status=Participation.Status.WAITLISTED).count()


@login_required
def run_new(request):
    initial = {"club": request.GET.get("club")}
    if request.method != "POST" and "from" in request.GET:
        copied = _organise_again(request.user, request.GET["from"])
        if copied:
            initial = copied
            messages.info(request, _("Filled in from “%(title)s”: check the date and time, "
                                     "then create it.") % {"title": copied["title"]})
    form = NewRunForm(request.POST or None, request.FILES or None, user=request.user,
                      initial=initial)
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        template.club = form.cleaned_data.get("club")
        try:
            with transaction.atomic():
                runs = services.publish(template, form.weekly_starts(), organiser=request.user)
                form.save_route(runs)  # every date of a series
        except services.RunNotOpen as refused:
            form.add_error("club", str(refused))
            return render(request, "runs/run_form.html", {"form": form}, status=409)
        if len(runs) == 1:
            created = _("Your run is created.")
        else:
            created = _(
                "Your %(count)s runs are created, one a week. Runners can join one date or every "
                "date from the series page."
            ) % {"count": len(runs)}
        route_offer.saved(request, runs[0], " ".join(filter(None, [created, *_route_notes(form)])))
        return redirect(runs[0])
    return render_form(request, "runs/run_form.html", form)


def _route_notes(form):
    """What saving did with the route that the organiser may not expect."""
    notes = []
    if form.distance_from_route:
        notes.append(_("Its distance is the route's length, %(distance)s km.") % {
            "distance": formats.number_format(form.cleaned_data["distance_km"], 1)})
    if form.route_left_behind:
        notes.append(_("The route of “%(title)s” was not copied.")
                     % {"title": form.route_left_behind})
    return notes


# The details "Organise again" copies; the start is worked out, the series is not kept.
COPIED_FIELDS = ["title", "meeting_point", "latitude", "longitude", "distance_km",
                 "pace_min", "pace_max", "capacity", "description"]


def _organise_again(user, run_id, now=None):
    """The new-run form's first values from a run ``user`` manages ("Organise again"),
    or None: a run they do not manage, or a bad id, gives the empty form (a stale link,
    say from an organiser since removed from the club, is not an error)."""
    if not run_id.isascii() or not run_id.isdigit() or len(run_id) > 18:
        return None
    run = Run.objects.select_related("club").filter(pk=int(run_id)).first()
    if run is None or not run.is_managed_by(user):
        return None
    initial = {name: getattr(run, name) for name in COPIED_FIELDS}
    initial["route_from"] = run.pk  # the form offers to keep its route, when it has one
    initial["starts_at"] = next_same_weekday(run.starts_at, now=now)
    # A closed club's run is copied as the person's own run.
    if run.club and run.club.is_listed and run.club.is_organised_by(user):
        initial["club"] = run.club.slug
    return initial


def next_same_weekday(moment, *, now=None, at_least=timedelta(hours=1)):
    """``moment``'s local time on the first same weekday at least ``at_least`` from now
    and after ``moment`` itself (a copy of an upcoming run goes a week after it, not on
    top of it). Across a daylight-saving change it keeps the wall-clock time."""
    now = now or timezone.now()
    earliest = max(now + at_least, moment + timedelta(seconds=1))
    local = timezone.localtime(moment)
    first_day = timezone.localdate(earliest)
    day = first_day + timedelta(days=(local.weekday() - first_day.weekday()) % 7)
    start = timezone.make_aware(datetime.combine(day, local.time()))
    if start < earliest:
        start = timezone.make_aware(datetime.combine(day + timedelta(weeks=1), local.time()))
    return start


def _open_run_for_organiser(request, run_id):
    """(run, None) when the organiser may still change the run, else (run, a 409 page)."""
    run = _get_run_for_organiser(request, run_id)
    if run.is_cancelled:
        error = _("This run is cancelled and can no longer be changed.")
    elif run.has_started():
        error = _("This run has started and can no longer be changed.")
    else:
        return run, None
    return run, _detail_page(request, run.pk, status=409, error=error)


@login_required
def run_edit(request, run_id):
    run, refusal = _open_run_for_organiser(request, run_id)
    if refusal:
        return refusal
    # A date of a weekly series asks which dates the change is for.
    form = (SeriesEditForm if run.series else RunForm)(request.POST or None,
                                                       request.FILES or None, instance=run,
                                                       user=request.user)
    if request.method == "POST" and form.is_valid():
        later = run.series and form.cleaned_data["scope"] == SeriesEditForm.LATER_DATES
        try:
            with transaction.atomic():
                told = series.edit_later(run, form) if later else services.edit(run, form)
                # The route goes where the other changes go: this date, or it and later ones.
                routes_changed = form.save_route(
                    list(run.rest_of_series().upcoming().not_cancelled()) if later else [run])
        except services.RunNotOpen:
            return _open_run_for_organiser(request, run_id)[1]
        except series.SeriesRefused as refused:  # the date moved meanwhile
            form.add_error("starts_at", str(refused))
        else:
            if not later:
                saved = _("Your changes are saved.")
            elif told.runs:
                saved = ngettext("Your changes are saved on %(count)s date.",
                                 "Your changes are saved on %(count)s dates.",
                                 len(told.runs)) % {"count": len(told.runs)}
            elif not routes_changed:
                saved = _("Nothing was different, so no date changed.")
            else:
                saved = ""
            route_note = later and routes_changed and ngettext(
                "The route changed on %(count)s date.", "The route changed on %(count)s dates.",
                routes_changed) % {"count": routes_changed}
            route_offer.saved(request, run, " ".join(filter(
                None, [saved, route_note, told.summary(), *_route_notes(form)])))
            return redirect(run)
    if request.method == "POST":
        run.refresh_from_db()  # undo the invalid values the form applied
    return render_form(request, "runs/run_edit.html", form, run=run,
                      cancel_form=CancelForm())


def run_calendar(request, run_id):
    run = _get_run(run_id)
    response = HttpResponse(calendar.ics_for(run), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="join-run-{run.pk}.ics"'
    return response


@login_required
def my_runs(request):
    user, now = request.user, timezone.now()
    organising = Run.objects.managed_by(user).upcoming(now).for_cards()
    followed = _from_followed_clubs(user, FOLLOWED_ON_MY_PAGE, now)
    _mark_my_status(user, followed)
    # The runs I joined, as full cards, with my place on each (my_position on a waitlist).
    my_place = Participation.objects.filter(run=OuterRef("pk"), runner=user).with_position()
    joined = list(
        Run.objects.filter(participations__runner=user).upcoming(now)
        .for_cards().marked_for(user)
        .annotate(my_position=Subquery(my_place.values("position")[:1]))
    )
    for run in joined:
        if run.my_status != Participation.Status.WAITLISTED:
            run.my_position = None  # a place in the queue only while waiting
    # With the id of the runner's own linked Strava activity, for a "View on Strava" link.
    # Strava's table, reached through the ORM's reverse relation (runs imports no Strava).
    my_link = Participation.objects.filter(run=OuterRef("pk"), runner=user,
                                           activity_link__isnull=False)
    past = (
        Run.objects.past(now).involving(user).for_cards().marked_for(user)
        .annotate(my_activity_id=Subquery(my_link.values("activity_link__activity_id")[:1]))
        [:PAST_RUNS_ON_MY_PAGE]
    )
    context = {
        "followed": followed,
        "organising": organising,
        "going": [run for run in joined if run.my_status == Participation.Status.GOING],
        "waiting": [run for run in joined if run.my_status == Participation.Status.WAITLISTED],
        "past": past,
    }
    return render(request, "runs/my_runs.html", context)
