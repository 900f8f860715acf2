"""A run's route: its GPX for anyone who can see the run, and "Use 10.3 km" for its
organisers when the route and the run disagree on the distance (the run page and the
message after saving offer it: runs/route_offer.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import formats
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from . import route_offer
from .models import Route
from .views import _open_run_for_organiser


@require_safe
def download(request, run_id):
    """The cleaned GPX (only the points), also for a cancelled or past run: as public as
    the run page."""
    # run__pk, not run_id: Django answers an id past 64 bits with no row only on the
    # run's own key (run_id reached SQLite as an OverflowError, a 500).
    route = get_object_or_404(Route.objects.select_related("run"), run__pk=run_id)
    response = HttpResponse(route.gpx, content_type="application/gpx+xml; charset=utf-8")
    name = slugify(route.run.title) or f"join-run-{run_id}"
    response["Content-Disposition"] = f'attachment; filename="{name}.gpx"'
    return response


@require_POST
@login_required
def use_distance(request, run_id):
    """The run takes the route's length as its distance: this date, or with
    ``dates=later`` this and the later dates of its series that have the same route."""
    run, refusal = _open_run_for_organiser(request, run_id)
    if refusal:
        return refusal
    route = get_object_or_404(Route.objects.defer("gpx"), run=run)
    route.run = run
    distance = route.offered_distance()
    changed = route_offer.use_distance(run, route, later=request.POST.get("dates") == "later")
    if not changed:  # taken already (another tab), or beyond what a run may be
        messages.info(request, _("The run's distance stays %(distance)s km.")
                      % {"distance": formats.number_format(run.distance_km, 1)})
    elif len(changed) == 1:
        messages.success(request, _("The run's distance is now %(distance)s km, as its "
                                    "route measures.")
                         % {"distance": formats.number_format(distance, 1)})
    else:
        messages.success(request, ngettext(
            "The distance is now %(distance)s km on %(count)s date, as its route measures.",
            "The distance is now %(distance)s km on %(count)s dates, as its route measures.",
            len(changed)) % {"distance": formats.number_format(distance, 1),
                             "count": len(changed)})
    return redirect(run)
