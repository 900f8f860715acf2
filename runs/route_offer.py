"""The organiser's offer to take a route's length as the run's distance ("Use 10.3 km"):
on the run page, in the message after a run is saved, and what taking it changes. A date
of a series may give the length to the later dates that have the same route too, as a
route edit goes to this and later dates."""

from django.contrib import messages
from django.template.loader import render_to_string
from django.utils.html import format_html

from .models import Route


def later_dates_with_the_route(run, route):
    """The open dates after ``run`` in its series whose route measures the same (the
    copies a new series or a "this and later dates" edit gave them)."""
    return (run.rest_of_series().upcoming().not_cancelled().exclude(pk=run.pk)
            .filter(route__distance_m=route.distance_m))


def use_distance(run, route, *, later=False):
    """Gives ``run`` (and with ``later`` the later dates with its route) the route's length
    as the distance; returns the runs that changed."""
    distance = route.offered_distance()
    if distance is None:
        return []
    runs = [run, *later_dates_with_the_route(run, route)] if later else [run]
    changed = [each for each in runs if each.distance_km != distance]
    for each in changed:
        each.distance_km = distance
        each.save(update_fields=["distance_km", "updated_at"])  # signals: the page cache
    return changed


def saved(request, run, text):
    """The organiser's "saved" message ``text``, with the offer when ``run``'s route
    measures another distance than the run says."""
    route = Route.objects.defer("gpx").filter(run=run).first()
    offered = None
    if route is not None:
        route.run = run
        offered = route.offered_distance()
    if offered is None:
        messages.success(request, text)
        return
    later = bool(run.series) and later_dates_with_the_route(run, route).exclude(
        distance_km=offered).exists()
    offer = render_to_string("runs/includes/route_offer.html",
                             {"run": run, "offered": offered, "later": later}, request=request)
    messages.success(request, format_html("<p>{}</p>{}", text, offer))
