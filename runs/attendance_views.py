"""Attendance: the organisers' check-in list, a runner's "I was there", the list as CSV.

Check-in works without JavaScript (each tap posts a form and comes back to the runner's
row); static/js/check-in.js posts the same form with fetch and swaps the row in place,
asking for JSON with its Accept header.
"""

import io

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from . import attendance
from .models import AttendanceMarker
from .views import _detail_page, _get_run, _get_run_for_organiser


def _came(request):
    """The POST's "came" as True or False, or None when it is neither "1" nor "0"."""
    return {"1": True, "0": False}.get(request.POST.get("came"))


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _summary(rows):
    going = [row for row in rows if row.participation.is_going]
    came = sum(row.came for row in going)
    return ngettext("%(came)s of %(count)s runner came.", "%(came)s of %(count)s runners came.",
                    len(going)) % {"came": came, "count": len(going)}


def _check_in_page(request, run, *, error=None, status=200):
    now = timezone.now()
    refusal = attendance.refusal(run, now)
    # Before the start there is nobody to check in; after the window the list stays
    # readable (who came), without buttons.
    rows = attendance.rows_of(run, request.user) if run.has_started(now) else []
    context = {
        "run": run,
        "going": [row for row in rows if row.participation.is_going],
        "waiting": [row for row in rows if not row.participation.is_going],
        "summary": _summary(rows),
        "open": refusal is None,
        "refusal": refusal,
        "error": error,
    }
    return render(request, "runs/check_in.html", context, status=status)


@require_GET
@login_required
def check_in(request, run_id):
    run = _get_run_for_organiser(request, run_id)
    if run.is_cancelled or not run.has_started():
        return _check_in_page(request, run, error=attendance.refusal(run), status=409)
    return _check_in_page(request, run)


@require_POST
@login_required
def mark(request, run_id, participation_id):
    run = _get_run_for_organiser(request, run_id)
    participation = get_object_or_404(run.participations.select_related("runner"),
                                      pk=participation_id)
    came = _came(request)
    if came is None:
        return _check_in_page(request, run, status=400,
                              error=_("Choose whether the runner came or not."))
    try:
        found = attendance.mark(participation, came=came, by=AttendanceMarker.ORGANISER)
    except attendance.AttendanceClosed as closed:
        if _wants_json(request):
            return JsonResponse({"error": str(closed)}, status=409)
        return _check_in_page(request, run, error=str(closed), status=409)
    if not found:
        error = _("That runner is no longer on this run.")
        if _wants_json(request):
            return JsonResponse({"error": error}, status=404)
        return _check_in_page(request, run, error=error, status=404)
    if _wants_json(request):
        return _row_as_json(request, run, participation)
    # Back at the runner's row, so the next tap is where the thumb already is.
    return redirect(f"{reverse('runs:check_in', args=[run.pk])}#runner-{participation.pk}")


def _row_as_json(request, run, participation):
    rows = attendance.rows_of(run, request.user)
    row = next((row for row in rows if row.participation.pk == participation.pk), None)
    if row is None:  # gone a moment after the mark
        return JsonResponse({"error": _("That runner is no longer on this run.")}, status=404)
    html = render_to_string("runs/includes/check_in_row.html",
                            {"run": run, "row": row, "open": True}, request=request)
    said = _("%(name)s came.") if row.came else _("%(name)s did not come.")
    return JsonResponse({"row": html, "summary": _summary(rows),
                         "said": said % {"name": row.label}})


@require_POST
@login_required
def i_was_there(request, run_id):
    run = _get_run(run_id)
    mine = run.participation_of(request.user)
    if mine is None or not mine.is_going:
        return _detail_page(request, run.pk, status=403, error=_(
            "Only runners who had a place on this run can say they were there."))
    came = _came(request)
    if came is None:
        return _detail_page(request, run.pk, status=400, error=_(
            "Say whether you were there."))
    try:
        attendance.mark(mine, came=came, by=AttendanceMarker.RUNNER)
    except attendance.AttendanceClosed as closed:
        return _detail_page(request, run.pk, error=str(closed), status=409)
    if came:
        messages.success(request, _("Thanks: you're marked as having come."))
    else:
        messages.success(request, _("Done: you're no longer marked as having come."))
    return redirect(run)


@require_GET
@login_required
def runners_csv(request, run_id):
    run = _get_run_for_organiser(request, run_id)
    out = io.StringIO()
    # A byte order mark, so spreadsheet programs read the names' č, š and ž right.
    out.write("\ufeff")
    attendance.write_csv(attendance.rows_of(run, request.user), out)
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="join-run-{run.pk}-runners.csv"'
    # Names of people: for the organiser's own computer, not for caches on the way.
    response["Cache-Control"] = "private, no-store"
    return response
