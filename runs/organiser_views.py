"""Organiser tools that forgive mistakes: cancelling asks first and can be undone before
the start (reopen), and an organiser can take a runner off their run.

Every change is a POST; a link only ever leads to a page that asks (the removal form),
so a link preview or a prefetching browser changes nothing."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .forms import CancelForm, RemoveRunnerForm
from .models import Participation
from .views import _detail_page, _get_run_for_organiser, _open_run_for_organiser

CONFIRM = "yes"


def _confirmed(request):
    return request.POST.get("confirm") == CONFIRM


@require_POST
@login_required
def cancel(request, run_id):
    """Asks first: without ``confirm`` the answer is a page saying what will happen,
    whose button posts the same form again with it."""
    run, refusal = _open_run_for_organiser(request, run_id)
    if refusal:
        return refusal
    form = CancelForm(request.POST)
    if not form.is_valid():
        return render(request, "runs/cancel_confirm.html", {"run": run, "form": form},
                      status=400)
    runs = form.runs_of(run)
    if not _confirmed(request):
        still_open, emailed = services.cancel_preview(runs)
        return render(request, "runs/cancel_confirm.html", {
            "run": run, "form": form, "runs": still_open, "emailed": emailed,
            "later": form.cleaned_data["scope"] == CancelForm.LATER_DATES,
        })
    told = services.cancel(runs, reason=form.cleaned_data["reason"])
    if not told.runs:  # a cancel a moment earlier won
        return _open_run_for_organiser(request, run_id)[1]
    cancelled = ngettext("The run is cancelled.", "%(count)s runs are cancelled.",
                         len(told.runs)) % {"count": len(told.runs)}
    messages.success(request, f"{cancelled} {told.summary()}")
    return redirect(run)


@require_POST
@login_required
def reopen(request, run_id):
    """Undoes a cancel before the start; with scope=later, also the later dates of the
    series cancelled together with this one."""
    run = _get_run_for_organiser(request, run_id)
    try:
        told = services.reopen(run, later=request.POST.get("scope") == CancelForm.LATER_DATES)
    except services.RunNotOpen as refused:
        return _detail_page(request, run.pk, error=str(refused), status=409)
    reopened = ngettext("The run is open again.", "%(count)s runs are open again.",
                        len(told.runs)) % {"count": len(told.runs)}
    messages.success(request, f"{reopened} {told.summary()}")
    return redirect(run)


def _name(participation):
    """A runner's name as the organiser's pages show it: withheld for one who asked to
    restrict processing of their data."""
    if participation.runner.processing_restricted_at:
        return _("A runner who asked us not to show their name")
    return participation.runner.display_name


@login_required
def runners(request, run_id):
    run = _get_run_for_organiser(request, run_id)
    places = list(run.participations.select_related("runner").with_position().in_order())
    for place in places:
        place.name = _name(place)
    return render(request, "runs/runners.html", {
        "run": run,
        "going": [place for place in places if place.is_going],
        "waiting": [place for place in places if not place.is_going],
        "refused": services.removal_refused(run),
    })


@require_http_methods(["GET", "POST"])
@login_required
def remove_runner(request, run_id, participation_id):
    """GET asks (with an optional reason); POST takes the runner off."""
    run = _get_run_for_organiser(request, run_id)
    form = RemoveRunnerForm(request.POST if request.method == "POST" else None)
    context = {"run": run, "form": form}
    refused = services.removal_refused(run)
    if refused:
        return render(request, "runs/remove_runner.html", {**context, "error": refused},
                      status=409)
    place = (Participation.objects.filter(pk=participation_id, run=run)
             .select_related("runner").with_position().first())
    if place is None:
        return render(request, "runs/remove_runner.html",
                      {**context, "error": services.not_on_run_message()}, status=404)
    place.name = context["name"] = _name(place)
    context["place"] = place
    if request.method != "POST":
        return render(request, "runs/remove_runner.html", context)
    if not form.is_valid():
        return render(request, "runs/remove_runner.html", context, status=400)
    try:
        told = services.remove_runner(run, place.pk, reason=form.cleaned_data["reason"])
    except services.NotOnRun as gone:
        return render(request, "runs/remove_runner.html", {**context, "error": str(gone)},
                      status=404)
    except services.RunNotOpen as closed:
        return render(request, "runs/remove_runner.html", {**context, "error": str(closed)},
                      status=409)
    messages.success(request, _removed_message(place, told))
    return redirect("runs:runners", run.pk)


def _removed_message(place, told):
    parts = [_("%(name)s is no longer on the run.") % {"name": place.name}]
    if told.promoted:
        parts.append(ngettext("%(count)s runner moved up from the waitlist.",
                              "%(count)s runners moved up from the waitlist.",
                              told.promoted) % {"count": told.promoted})
    if told.emailed:
        parts.append(ngettext("%(count)s runner was emailed.",
                              "%(count)s runners were emailed.",
                              told.emailed) % {"count": told.emailed})
    return " ".join(parts)
