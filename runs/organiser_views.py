"""Organiser tools that forgive mistakes (being written for the series issue)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from . import services
from .forms import CancelForm, RunForm
from .views import _open_run_for_organiser


@require_POST
@login_required
def cancel(request, run_id):
    run, refusal = _open_run_for_organiser(request, run_id)
    if refusal:
        return refusal
    form = CancelForm(request.POST)
    if not form.is_valid():
        return render(request, "runs/run_edit.html",
                      {"form": RunForm(instance=run), "run": run, "cancel_form": form},
                      status=400)
    runs = run.rest_of_series() if form.cleaned_data["whole_series"] else [run]
    told = services.cancel(runs, reason=form.cleaned_data["reason"])
    if not told.runs:  # a cancel a moment earlier won
        return _open_run_for_organiser(request, run_id)[1]
    cancelled = ngettext("The run is cancelled.", "%(count)s runs are cancelled.",
                         len(told.runs)) % {"count": len(told.runs)}
    messages.success(request, f"{cancelled} {told.summary()}")
    return redirect(run)



def reopen(request, run_id):
    raise Http404


def runners(request, run_id):
    raise Http404


def remove_runner(request, run_id, participation_id):
    raise Http404
