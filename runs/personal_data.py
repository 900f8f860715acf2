"""What the runs app keeps about a person: its entries in the personal-data register."""

import copy

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from joinrun.mail import site_url
from joinrun.page_cache import pages_changed
from joinrun.personal_data import PersonalField, Section, iso

from . import emails, services
from .models import CalendarFeed, Participation, Route, Run


def export_organised_runs(user):
    return [
        {
            "title": run.title,
            "club": run.club.name if run.club else None,
            "starts_at": iso(run.starts_at),
            "meeting_point": run.meeting_point,
            "latitude": run.latitude,
            "longitude": run.longitude,
            "distance_km": run.distance_km,
            "pace_per_km": run.pace_range,
            "capacity": run.capacity,
            "description": run.description,
            "weekly_series": str(run.series) if run.series else None,
            "cancelled_at": iso(run.cancelled_at),
            "cancel_reason": run.cancel_reason,
            "cancelled_by_staff": run.cancelled_by_staff,
            "created_at": iso(run.created_at),
            "changed_at": iso(run.updated_at),
            "url": site_url(run.get_absolute_url()),
            "route": _route(run),
        }
        for run in Run.objects.filter(organiser=user).select_related("club", "route")
        .order_by("starts_at", "pk")
    ]


def _route(run):
    """The route's GPX as runners download it (only its line), and what the run page
    draws from it, or None."""
    route = getattr(run, "route", None)
    return route and {"gpx": route.gpx, "distance_m": route.distance_m,
                      "ascent_m": route.ascent_m, "drawing": route.drawing,
                      "uploaded_at": iso(route.uploaded_at)}


def export_participations(user):
    participations = Participation.objects.filter(runner=user).select_related("run")
    return [
        {
            "run": p.run.title,
            "starts_at": iso(p.run.starts_at),
            "status": p.status,
            "joined_at": iso(p.joined_at),
            "attended_at": iso(p.attended_at),
            "attendance_marked_by": p.attended_by or None,
            "status_changes": p.status_changes,
            "url": site_url(p.run.get_absolute_url()),
        }
        for p in participations.order_by("run__starts_at", "pk")
    ]


def _club_carries_on(run, user):
    """Whether ``run`` is a club's whose other organisers carry on without ``user``."""
    club = run.club
    return club is not None and club.is_listed and club.organisers.exclude(user=user).exists()


def erase_organised_runs(user):
    """Future runs are cancelled (their runners are told) and deleted, except a club's
    runs that the club's other organisers carry on; past runs stay for the runners who
    ran them. What stays keeps no link to the person, and no route: a watch's track
    often starts at its owner's door."""
    now = timezone.now()
    people = {}  # runner id -> (runner, [their runs that go])
    for run in Run.objects.filter(organiser=user).upcoming(now).select_related("club"):
        if _club_carries_on(run, user):
            continue
        if not run.is_cancelled:
            for runner in run.runners():
                if runner.pk != user.pk:
                    people.setdefault(runner.pk, (runner, []))[1].append(copy.copy(run))
        run.delete()
    # One email per runner and series, queued in the erasure's transaction: it goes out
    # only if all of it commits. Written now, so it needs the runs no more.
    services.send_cancellations(people.values(), deleted=True)
    Route.objects.filter(run__organiser=user).delete()
    Run.objects.filter(organiser=user).update(organiser=None, updated_at=now)
    pages_changed()


def erase_participations(user):
    now = timezone.now()
    for participation in Participation.objects.filter(runner=user).select_related("run__club"):
        run = participation.run
        # Runs that have started need no promotion; runs the person organises are
        # deleted with their other data, and their runners told once (but a club's run
        # that its other organisers carry on stays, and the next in line moves up).
        if run.has_started(now) or (run.organiser_id == user.pk
                                    and not _club_carries_on(run, user)):
            participation.delete()
            continue
        for promoted in run.leave(user, now=now):
            emails.send_promoted(promoted)


def export_calendar_feed(user):
    feed = CalendarFeed.objects.filter(user=user).first()
    # The address is yours: it is in your export, as it is on My account.
    return feed and {"address": feed.url, "created_at": iso(feed.created_at),
                     "content_changed_at": iso(feed.changed_at)}


def erase_calendar_feed(user):
    CalendarFeed.objects.filter(user=user).delete()


ROUTE_KEPT = _("With its run, until you replace or remove it or delete your account: the "
               "routes of all the runs you organised go with your account, also from the "
               "past runs and club runs that stay.")
UNTIL_LEFT = _("Until you leave the run or delete your account.")
SECTIONS = [
    Section(
        name="organised_runs",
        title=_("Runs you organise"),
        fields=(
            PersonalField(
                "runs.Run", "organiser",
                _("To show runners who organises a run (your display name), and to let only "
                  "you change or cancel it. The run's title, time, place and description are "
                  "what you wrote for runners to read."),
                _("Until you delete your account: future runs are then cancelled and "
                  "deleted (a club's runs stay with the club while it has other "
                  "organisers), past runs stay for the runners who ran them; what stays "
                  "has no link to you and no route."),
            ),
            PersonalField(
                "runs.Route", "gpx",
                _("A run's route, from the GPX file you chose: drawn on the run's page and "
                  "downloaded by runners. Only its line is kept, redrawn with a point every "
                  "10 m: the times, the pace, names, heart rate and everything else in the "
                  "file are dropped when it is read. When the form comes back with mistakes, "
                  "that line waits up to an hour in our cache, bound to your account, so you "
                  "need not choose the file again."),
                ROUTE_KEPT,
            ),
            PersonalField(
                "runs.Route", "drawing",
                _("A few hundred points of the same route and its heights, from which the "
                  "run's page draws the map and the elevation profile."),
                ROUTE_KEPT,
            ),
            PersonalField("runs.Route", "uploaded_at", _("When you chose the route's file."),
                          ROUTE_KEPT),
        ),
        export_for=export_organised_runs,
        erase_for=erase_organised_runs,
    ),
    Section(
        name="participations",
        title=_("Runs you joined"),
        fields=(
            PersonalField(
                "runs.Participation", "runner",
                _("To keep your place on a run or its waitlist, and to email you when it "
                  "changes. The organiser and the run's other runners see your display "
                  "name; everyone else sees only a count."),
                UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "status",
                _("Whether you are going or on the waitlist."), UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "joined_at",
                _("First come, first served: the waitlist's order."), UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "status_changes",
                _("How often your place moved between going and the waitlist, so your "
                  "calendar app replaces the run when it does."),
                UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "attended_at",
                _("That you came: marked by you or by the organiser at the meeting point "
                  "(never taken from Strava). The organiser and the run's other runners "
                  "see it."),
                UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "attended_by",
                _("Who marked that you came: you or an organiser."),
                UNTIL_LEFT,
            ),
        ),
        export_for=export_participations,
        erase_for=erase_participations,
    ),
    Section(
        name="calendar_feed",
        title=_("Your calendar feed"),
        fields=(
            PersonalField(
                "runs.CalendarFeed", "user",
                _("Whose private calendar feed it is: the runs you go to, wait for or "
                  "organise, for your calendar app."),
                _("Until you make a new link (the old one stops working) or delete your "
                  "account."),
            ),
            PersonalField(
                "runs.CalendarFeed", "secret",
                _("The random key in your feed's address: whoever has the address sees "
                  "your runs, so only you are shown it."),
                _("Until you make a new link or delete your account."),
            ),
            PersonalField("runs.CalendarFeed", "created_at",
                          _("When you made the link."),
                          _("Until you make a new link or delete your account.")),
            PersonalField("runs.CalendarFeed", "changed_at",
                          _("When the runs in your feed last changed, so your calendar app "
                            "downloads it again only then."),
                          _("Until you delete your account.")),
            PersonalField("runs.CalendarFeed", "fingerprint",
                          _("A checksum of your feed's runs, to notice that they changed."),
                          _("Until you delete your account."), exported=False),
        ),
        export_for=export_calendar_feed,
        erase_for=erase_calendar_feed,
    ),
]
