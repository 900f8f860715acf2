"""The run form's route (issue 13): a GPX file that runs/routes.py reads, the meeting
point's coordinates and the run's distance taken from it, removing it, keeping a good file
while the rest of the form is corrected, and "Organise again" copying the earlier run's
route. The view calls save_route() once the runs are saved."""

import re
import secrets
from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import routes
from .models import MAX_DISTANCE_KM, MIN_DISTANCE_KM, Route

# A good file on a form that comes back with errors waits this long in the cache (its
# cleaned points only, under a random token bound to the account), so the organiser need
# not choose it again; it goes as soon as the run is saved.
KEPT_SECONDS = 60 * 60
KEPT_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")

KEPT_GONE = _("The route you chose earlier is no longer kept (we keep it for an hour). "
              "Choose the file again.")
NO_DISTANCE = _("Give the distance in km, or choose a route (GPX) and leave this empty to "
                "use its length.")


def kilometres(metres):
    """A route's length as a run's distance: km to 0.1, halves up."""
    return (Decimal(metres) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)


def start_of(route):
    """(latitude, longitude) of the start of ``route``: a routes.Track, or a saved Route
    (its drawing always keeps the first point), as the run's coordinates keep them."""
    if isinstance(route, routes.Track):
        return route.start
    latitude, longitude = route.drawing["line"][0][0]
    return routes.coordinate(latitude), routes.coordinate(longitude)


def _kept_key(user, token):
    return f"runs:kept-route:{user.pk}:{token}"


class RouteFields(forms.Form):
    """The route's fields of the run form (a mixin of RunForm, which has the distance and
    the coordinates). ``user``: the organiser, whose good file is kept across a form with
    errors (without one, they are asked to choose it again)."""

    # Set by the new-run form: "Organise again" may copy the earlier run's route.
    copies_routes = False

    route = forms.FileField(
        # No ``accept``: phones grey out files of a type they do not know, as .gpx often is.
        label=_("Route (GPX)"), required=False, widget=forms.FileInput,
        help_text=_("Optional: a .gpx file of at most 5 MB from your watch or route planner. "
                    "The run page draws it and runners can download it. We keep only the "
                    "line, with a point every 10 m: no times, names, heart rate or pace."),
    )
    route_kept = forms.CharField(required=False, widget=forms.HiddenInput)
    route_from = forms.CharField(required=False, widget=forms.HiddenInput)
    keep_route = forms.BooleanField(required=False, initial=True)
    route_start = forms.BooleanField(
        label=_("Take the coordinates from the route's start"), required=False,
        help_text=_("Without coordinates typed, a new route's start is taken anyway; tick "
                    "this to replace the coordinates typed under “More”."),
    )
    remove_route = forms.BooleanField(label=_("Remove the route"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.kept_track = None  # a good file from before, read back from the cache
        self.new_route = None  # what save_route gives the runs: a Track or a Route to copy
        self.distance_from_route = False
        run = getattr(self, "instance", None)
        self.saved_route = run and run.pk and Route.objects.defer("gpx").filter(run=run).first()
        if self.saved_route:
            self.fields["route"].help_text = _(
                "The run has a route of %(distance)s. A new .gpx file (at most 5 MB) "
                "replaces it.") % {"distance": routes.km_text(self.saved_route.distance_m)}
        elif not self.data.get("route_kept"):
            del self.fields["remove_route"]
        if run and run.pk and run.participations.exists():
            self.fields["route_start"].help_text = format_html(
                "{} {}", self.fields["route_start"].help_text,
                _("Everyone going or waiting is emailed if the meeting spot moves."))
        self.route_source = self._route_source()

    # "Organise again"

    def _route_source(self):
        """The earlier run's Route that "Organise again" offers to copy (gpx deferred), or
        None. Its checkbox stays on a posted form whose run can no longer give its route,
        so that is said rather than the route silently left out."""
        posted = self.is_bound and "route_from" in self.data
        run_id = str(self.data.get("route_from") if posted else
                     self.initial.get("route_from") or "")
        source = None
        if self.copies_routes and run_id.isascii() and run_id.isdigit() and len(run_id) < 19:
            source = (Route.objects.defer("gpx").select_related("run__club")
                      .filter(run_id=int(run_id)).first())
            if source and not (self.user and source.run.is_managed_by(self.user)):
                source = None
        if not self.copies_routes or (source is None and not posted):
            del self.fields["route_from"], self.fields["keep_route"]
            return None
        title = source.run.title if source else _("the earlier run")
        self.fields["keep_route"].label = _("Keep the route of “%(title)s”") % {"title": title}
        if source:
            self.fields["keep_route"].help_text = _(
                "Its route of %(distance)s goes with the new run. Untick this to leave it "
                "out; a file chosen above replaces it."
            ) % {"distance": routes.km_text(source.distance_m)}
        return source

    def _copied_route(self, cleaned):
        if not cleaned.get("keep_route") or cleaned.get("remove_route"):
            return None
        if self.route_source is None:
            self.add_error("keep_route", _("That run's route can no longer be copied: choose "
                                           "its file under “Route (GPX)”, or untick this."))
        return self.route_source

    # Validation

    def clean_route(self):
        upload = self.cleaned_data["route"]
        if not upload:
            return None
        try:
            return routes.read(upload)  # read, cleaned and drawn here, outside any transaction
        except routes.RouteRefused as refused:
            raise ValidationError(str(refused)) from refused

    def clean(self):
        cleaned = super().clean()
        uploaded, removing = cleaned.get("route"), cleaned.get("remove_route")
        if uploaded and removing:
            self.add_error("remove_route", _("Choose a new file or remove the route, not "
                                             "both."))
        token = cleaned.get("route_kept")
        if token and not uploaded:
            self.kept_track = self._kept(token)
            if self.kept_track is None and not removing and "route" not in self._errors:
                self.add_error("route", KEPT_GONE)
        new = uploaded or (None if removing else self.kept_track)
        if not new and "route" not in self._errors and self.copies_routes:
            new = self._copied_route(cleaned)
        self.new_route = new
        route = new or (None if removing else self.saved_route)
        self._take_the_start(cleaned, new, route)
        self._take_the_distance(cleaned, route)
        return cleaned

    def _take_the_start(self, cleaned, new, route):
        """The route's start as the meeting point's coordinates: when asked, or when a new
        route comes and none were typed (so the run links to the map and sorts near me)."""
        typed = cleaned.get("latitude") is not None or cleaned.get("longitude") is not None
        untyped = not typed and not {"latitude", "longitude"} & set(self._errors)
        if cleaned.get("route_start"):
            if route:
                cleaned["latitude"], cleaned["longitude"] = start_of(route)
            elif "route" not in self._errors:
                self.add_error("route_start", _("Choose a GPX file: the coordinates come "
                                                "from the start of its route."))
        elif new and untyped:
            cleaned["latitude"], cleaned["longitude"] = start_of(new)

    def _take_the_distance(self, cleaned, route):
        """An empty distance is the route's length; without a route it is required."""
        if "distance_km" not in self.fields or "distance_km" in self._errors or (
                cleaned.get("distance_km") is not None):
            return
        if route is None:
            if "route" not in self._errors:
                self.add_error("distance_km", NO_DISTANCE)
            return
        km = kilometres(route.distance_m)
        if MIN_DISTANCE_KM <= km <= MAX_DISTANCE_KM:
            cleaned["distance_km"], self.distance_from_route = km, True
        else:
            self.add_error("distance_km", _(
                "The route measures %(distance)s, and a run is %(least)s to %(most)s km: "
                "type the run's distance.") % {"distance": routes.km_text(route.distance_m),
                                               "least": MIN_DISTANCE_KM,
                                               "most": MAX_DISTANCE_KM})

    def full_clean(self):
        super().full_clean()
        if self.is_bound and self._errors:
            self._keep_a_good_file()

    # Keeping a good file while the form is corrected

    def _kept(self, token):
        if self.user is None or not KEPT_TOKEN.match(token):
            return None
        segments = cache.get(_kept_key(self.user, token))
        return routes.Track(segments) if segments else None

    def _keep_a_good_file(self):
        """A browser cannot show a chosen file again: a good one waits in the cache, named
        by a token in the page's hidden field, and the route field says so."""
        cleaned = self.cleaned_data
        track = cleaned.get("route") or (
            None if cleaned.get("remove_route") else self.kept_track)
        token = ""
        if track and self.user is None:
            self.add_error("route", _("Your file was fine, but the form has mistakes: "
                                      "choose the file again once they are corrected."))
        elif track:
            token = cleaned.get("route_kept") if track is self.kept_track else (
                secrets.token_urlsafe(24))
            earlier = cleaned.get("route_kept") or ""
            if track is not self.kept_track and KEPT_TOKEN.match(earlier):  # a new file
                cache.delete(_kept_key(self.user, earlier))
            cache.set(_kept_key(self.user, token), track.segments, KEPT_SECONDS)
            # The bound field copied the help text when validation made it.
            self.fields["route"].help_text = self["route"].help_text = format_html(
                "<strong>{}</strong> {}",
                _("Route: %(distance)s kept — choose another file to replace it.")
                % {"distance": routes.km_text(track.distance_m)},
                _("We keep it for an hour while you correct the form."))
        self.data = self.data.copy()
        self.data["route_kept"] = token

    def save_route(self, runs):
        """Gives ``runs`` the new route (a file's, or the earlier run's copied), or takes
        theirs away; returns how many changed."""
        token = self.cleaned_data.get("route_kept")
        if token and self.user is not None and KEPT_TOKEN.match(token):
            key = _kept_key(self.user, token)
            transaction.on_commit(lambda: cache.delete(key))
        if self.new_route:
            # A Route copied from another run has a Track's gpx, distance_m, ascent_m and
            # drawing (its gpx read now, from the database).
            Route.attach(self.new_route, runs)
            return len(runs)
        if self.cleaned_data.get("remove_route"):
            return Route.objects.filter(run__in=runs).delete()[1].get(Route._meta.label, 0)
        return 0

    @property
    def route_left_behind(self):
        """The title of the earlier run whose route "Organise again" did not copy, or ""."""
        if self.route_source and not self.cleaned_data.get("keep_route") and (
                not self.new_route):
            return self.route_source.run.title
        return ""

