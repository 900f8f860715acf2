
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from joinrun.page_cache import for_signed_out_visitors
from joinrun.views import render_form

from . import calendar, services, strava_views
from .forms import CancelForm, NewRunForm, RunFilterForm, RunForm
from .models import ActivityLink, Participation, Run, RunClosed

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
    filters = RunFilterForm(request.GET)
    # Read on its own, so a bad filter on the archive still shows the archive.
    past = request.GET.get("past", "").lower() not in ("", "0", "false")
    runs = Run.objects.past() if past else Run.objects.upcoming()
    status = 200
    if filters.is_valid():
        runs = filters.filter(runs)
    else:
        # A bad value in a shared or hand-edited link: say what was wrong and show the
        # whole list rather than an error page.
        status = 400
    page = Paginator(runs.for_cards(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    _mark_my_status(request.user, page.object_list)
    context = {"page": page, "filters": filters, "past": past}
    return render(request, "runs/run_list.html", context, status=status)


def _mark_my_status(user, runs):
    """Sets ``run.my_status`` ("going", "waitlisted" or None) for the signed-in viewer,
    in one query."""
    statuses = {}
    if user.is_authenticated:
        mine = Participation.objects.filter(runner=user, run__in=[run.pk for run in runs])
        statuses = dict(mine.values_list("run_id", "status"))
    for run in runs:
        run.my_status = statuses.get(run.pk)


@for_signed_out_visitors
def run_detail(request, run_id):
    return _detail_page(request, run_id)


def _detail_page(request, run_id, *, error=None, status=200):
    run = get_object_or_404(Run.objects.with_counts().select_related("organiser", "club"),
                            pk=run_id)
    mine = run.participation_of(request.user)
    is_organiser = run.is_managed_by(request.user)
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
        "started": run.has_started(),
        "error": error,
        "strava": strava_views.activity_panel(request, run, mine),
    }
    return render(request, "runs/run_detail.html", context, status=status)


@require_POST
def join(request, run_id):
    run = _get_run(run_id)
    if not request.user.is_authenticated:
        # Back to the run page after logging in, where "Join run" is one tap away.
        return redirect_to_login(run.get_absolute_url())
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
    run = _get_run(run_id)
    try:
        services.leave(run, request.user)
    except RunClosed as closed:
        return _detail_page(request, run.pk, error=str(closed), status=409)
    messages.success(request, _("You left the run."))
    return redirect(run)


@login_required
def run_new(request):
    form = NewRunForm(request.POST or None, user=request.user,
                      initial={"club": request.GET.get("club")})
    if request.method == "POST" and form.is_valid():
        template = form.save(commit=False)
        template.club = form.cleaned_data.get("club")
        try:
            runs = services.publish(template, form.weekly_starts(), organiser=request.user)
        except services.RunNotOpen as refused:
            form.add_error("club", str(refused))
            return render(request, "runs/run_form.html", {"form": form}, status=409)
        if len(runs) == 1:
            messages.success(request, _("Your run is created."))
        else:
            messages.success(request, _(
                "Your %(count)s runs are created, one a week. Each is joined separately."
            ) % {"count": len(runs)})
        return redirect(runs[0])
    return render_form(request, "runs/run_form.html", form)


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
    form = RunForm(request.POST or None, instance=run)
    if request.method == "POST" and form.is_valid():
        try:
            told = services.edit(run, form)
        except services.RunNotOpen:
            return _open_run_for_organiser(request, run_id)[1]
        messages.success(request, " ".join(
            filter(None, [_("Your changes are saved."), told.summary()])))
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
    joined = list(
        Participation.objects.filter(runner=user, run__starts_at__gte=now).with_position()
        .select_related("run").order_by("run__starts_at", "run__pk")
    )
    # With the id of the runner's own linked Strava activity, for a "View on Strava" link.
    my_link = ActivityLink.objects.filter(participation__run=OuterRef("pk"),
                                          participation__runner=user)
    past = (
        Run.objects.past(now).involving(user).for_cards()
        .annotate(my_activity_id=Subquery(my_link.values("activity_id")[:1]))
        [:PAST_RUNS_ON_MY_PAGE]
    )
    context = {
        "followed": followed,
        "organising": organising,
        "going": [p for p in joined if p.is_going],
        "waiting": [p for p in joined if not p.is_going],
        "past": past,
    }
    return render(request, "runs/my_runs.html", context)
