"""Group runs and who is going.

Capacity is the one rule many people touch at once: every change to who is going happens
inside ``transaction.atomic()`` after locking the run's row (``select_for_update`` on
PostgreSQL; on SQLite the IMMEDIATE transaction mode already serialises writers). That is
why the methods below re-read the run under the lock instead of trusting ``self``.
"""

import math
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, F, Max, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clubs.models import Club
from joinrun.mail import webcal
from joinrun.page_cache import pages_changed
from joinrun.text import one_line

MIN_DISTANCE_KM = 0.5
MAX_DISTANCE_KM = 250
FASTEST_PACE = 2 * 60  # seconds per km
SLOWEST_PACE = 15 * 60
MAX_CAPACITY = 1000
MAX_REPEAT_WEEKS = 12
MAX_DAYS_AHEAD = 2 * 365
# For the calendar's end time when a run gives no pace: an easy group pace.
ASSUMED_PACE = 6 * 60 + 30


class RunClosed(Exception):
    """Joining or leaving a run that has started or been cancelled, or reopening one that
    has started or is not cancelled; str() says which."""


def format_pace(seconds):
    """300 -> "5:00"."""
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes}:{seconds:02d}"


def _count_of(status):
    participations = (
        Participation.objects.filter(run=models.OuterRef("pk"), status=status)
        .order_by().values("run").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(models.Subquery(participations), 0)


def _came_count():
    came = (
        Participation.objects.filter(run=models.OuterRef("pk"), attended_at__isnull=False)
        .order_by().values("run").annotate(n=Count("pk")).values("n")
    )
    return Coalesce(models.Subquery(came), 0)


class RunQuerySet(models.QuerySet):
    def upcoming(self, now=None):
        return self.filter(starts_at__gte=now or timezone.now()).order_by("starts_at", "pk")

    def past(self, now=None):
        return self.filter(starts_at__lt=now or timezone.now()).order_by("-starts_at", "-pk")

    def involving(self, user):
        """Runs ``user`` organises or has joined."""
        joined = Participation.objects.filter(runner=user).values("run_id")
        return self.filter(Q(organiser=user) | Q(pk__in=joined))

    def not_cancelled(self):
        return self.filter(cancelled_at__isnull=True)

    def from_clubs_followed_by(self, user):
        return self.filter(club__follows__user=user, club__closed_at__isnull=True,
                           club__deactivated_at__isnull=True)

    def managed_by(self, user):
        """The runs Run.is_managed_by() lets ``user`` change: their own runs outside
        clubs, and the runs of the clubs they organise."""
        return self.filter(Q(organiser=user, club__isnull=True)
                           | Q(club__organisers__user=user)).distinct()

    def marked_for(self, user):
        """Adds what run cards say about the signed-in ``user``: ``my_status`` ("going",
        "waitlisted" or None), ``my_attended`` (they came) and ``managing`` (they organise
        it)."""
        mine = Participation.objects.filter(run=models.OuterRef("pk"), runner=user)
        return self.annotate(
            my_status=models.Subquery(mine.values("status")[:1]),
            my_attended=models.Exists(mine.filter(attended_at__isnull=False)),
            managing=models.Exists(Run.objects.managed_by(user).filter(
                pk=models.OuterRef("pk"))),
        )

    def for_cards(self):
        """What a run card shows: counts and the club's name."""
        return self.with_counts().select_related("club")

    def with_counts(self):
        """Adds going_count and waiting_count. Correlated subqueries, not a join with
        GROUP BY: the paginator's COUNT(*) then leaves them out, and each page row's
        counts come straight from the participation index."""
        return self.annotate(going_count=_count_of("going"), waiting_count=_count_of("waitlisted"),
                             came_count=_came_count())


class Run(models.Model):
    # Null once the organiser deleted their account: a past run stays in the archive for
    # the runners who ran it, a club's future run stays with the club's other organisers;
    # neither keeps a link to the person.
    organiser = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
        related_name="organised_runs",
    )
    # A club's run: every organiser of the club may change it, and it is on the club's
    # page, feed and digest. Clubs are closed, never deleted.
    club = models.ForeignKey(Club, null=True, blank=True, on_delete=models.PROTECT,
                             related_name="runs", verbose_name=_("Club"))
    title = models.CharField(_("Title"), max_length=100, validators=[one_line])
    description = models.TextField(_("Description"), max_length=2000, blank=True)
    starts_at = models.DateTimeField(_("Starts at"))
    meeting_point = models.CharField(_("Meeting point"), max_length=200, validators=[one_line])
    latitude = models.DecimalField(
        _("Latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("Longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    distance_km = models.DecimalField(_("Distance (km)"), max_digits=4, decimal_places=1)
    # Pace in seconds per km; min is the faster end. Both empty: every pace is welcome.
    pace_min = models.PositiveSmallIntegerField(
        _("Fastest pace (seconds per km)"), null=True, blank=True
    )
    pace_max = models.PositiveSmallIntegerField(
        _("Slowest pace (seconds per km)"), null=True, blank=True
    )
    capacity = models.PositiveSmallIntegerField(_("Capacity"), null=True, blank=True)
    series = models.UUIDField(_("Weekly series"), null=True, blank=True, editable=False)
    cancelled_at = models.DateTimeField(_("Cancelled at"), null=True, blank=True,
                                        editable=False)
    cancel_reason = models.CharField(_("Reason for cancelling"), max_length=200, blank=True,
                                     editable=False)
    # Staff cancelled it (the admin's action): its organisers cannot reopen it.
    cancelled_by_staff = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(_("Created at"), auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The start time whose reminder went out (runs/reminders.py): a second task or the
    # cron sweep for the same start sends nothing; a moved run's new start gets its own.
    reminder_sent_for = models.DateTimeField(null=True, blank=True, editable=False)
    # Calendar files' SEQUENCE (RFC 5545 3.8.7.4): one more with every change of time,
    # place or status, so a calendar app replaces the copy it has.
    sequence = models.PositiveIntegerField(default=0, editable=False)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            # The run list: upcoming runs in start order, and the archive newest first.
            models.Index(fields=["starts_at"], name="run_starts_at"),
            # "Cancel the rest of this series".
            models.Index(fields=["series", "starts_at"], name="run_series"),
            # A club's page and feed: its runs in start order.
            models.Index(fields=["club", "starts_at"], name="run_club"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(distance_km__gte=MIN_DISTANCE_KM, distance_km__lte=MAX_DISTANCE_KM),
                name="run_distance_in_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True)
                | Q(capacity__gte=1, capacity__lte=MAX_CAPACITY),
                name="run_capacity_in_range",
            ),
            models.CheckConstraint(
                # Both ends or neither: a comparison with one NULL would pass a check.
                condition=Q(pace_min__isnull=True, pace_max__isnull=True)
                | Q(
                    pace_min__isnull=False,
                    pace_max__isnull=False,
                    pace_min__gte=FASTEST_PACE,
                    pace_max__lte=SLOWEST_PACE,
                    pace_min__lte=models.F("pace_max"),
                ),
                name="run_pace_in_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False, latitude__gte=-90,
                    latitude__lte=90, longitude__gte=-180, longitude__lte=180),
                name="run_coordinates_in_range",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("runs:detail", args=[self.pk])

    def clean(self):
        # Here rather than on the form, so runs added in the admin obey it too.
        if self.starts_at and self.starts_at > timezone.now() + timedelta(
            days=MAX_DAYS_AHEAD
        ):
            raise ValidationError(
                {"starts_at": _("Runs can be planned at most two years ahead.")}
            )

    # Reading

    def has_started(self, now=None):
        return self.starts_at <= (now or timezone.now())

    def has_ended(self, now=None):
        """Past its estimated end: a card then says it took place rather than started."""
        return self.estimated_end() <= (now or timezone.now())

    @property
    def is_cancelled(self):
        return self.cancelled_at is not None

    @property
    def pace_range(self):
        """ "5:30–6:00", "5:30", or "" when every pace is welcome."""
        if self.pace_min is None or self.pace_max is None:
            return ""
        if self.pace_min == self.pace_max:
            return format_pace(self.pace_min)
        return f"{format_pace(self.pace_min)}–{format_pace(self.pace_max)}"

    @property
    def distance_text(self):
        """ "10" or "10.5", as the calendar and export write it."""
        return f"{self.distance_km:f}".removesuffix(".0")

    @property
    def has_coordinates(self):
        return self.latitude is not None and self.longitude is not None

    @property
    def openstreetmap_url(self):
        lat, lon = self.latitude, self.longitude
        return f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=16/{lat}/{lon}"

    def estimated_end(self):
        """Start plus the distance at the slowest pace, rounded up to 5 minutes."""
        pace = self.pace_max or ASSUMED_PACE
        minutes = math.ceil(float(self.distance_km) * pace / 60 / 5) * 5
        return self.starts_at + timedelta(minutes=max(minutes, 15))

    @property
    def places_left(self):
        """Free places, on a run loaded ``with_counts()``; None when there is no limit."""
        return None if self.capacity is None else max(self.capacity - self.going_count, 0)

    def runners(self):
        """Everyone going or waiting: the people to tell when the run changes."""
        return list(get_user_model().objects.filter(participations__run=self))

    def is_managed_by(self, user):
        """Whether ``user`` may change, cancel and message this run: for a club's run,
        whoever organises the club now (one removed from it no longer may); else its
        organiser."""
        if not user.is_authenticated:
            return False
        if self.club_id is not None:
            # Staff took a deactivated club down: its organisers no longer act for it.
            return (self.club.deactivated_at is None
                    and self.club.organisers.filter(user=user).exists())
        return self.organiser_id == user.pk

    def participation_of(self, user):
        if not user.is_authenticated:
            return None
        return self.participations.filter(runner=user).select_related("activity_link").first()

    # Changing who is going. leave() and apply_capacity() return the participations whose
    # status changed for someone other than the caller, so the view can tell those people.

    def _locked(self):
        return Run.objects.select_for_update().get(pk=self.pk)

    def join(self, user, *, now=None):
        """Puts ``user`` on the run, or on its waitlist when it is full."""
        with transaction.atomic():
            run = self._locked()
            # Read the clock under the lock: joined_at orders the waitlist, so it must
            # follow the order in which joins got the lock.
            now = now or timezone.now()
            if run.is_cancelled:
                raise RunClosed(_("This run has been cancelled."))
            if run.has_started(now):
                raise RunClosed(_("This run has already started."))
            existing = run.participations.filter(runner=user).first()
            if existing:
                return existing
            going = run.participations.filter(status=Participation.Status.GOING).count()
            full = run.capacity is not None and going >= run.capacity
            status = Participation.Status.WAITLISTED if full else Participation.Status.GOING
            # After everyone already in line, even if this server's clock is behind the
            # one that served the last join.
            latest = run.participations.aggregate(latest=Max("joined_at"))["latest"]
            joined_at = max(now, latest + timedelta(microseconds=1)) if latest else now
            return Participation.objects.create(run=run, runner=user, status=status,
                                                joined_at=joined_at)

    def leave(self, user, *, now=None):
        """Takes ``user`` off the run; returns the participations promoted to going."""
        now = now or timezone.now()
        with transaction.atomic():
            run = self._locked()
            if run.has_started(now):
                raise RunClosed(_("This run has already started."))
            participation = run.participations.filter(runner=user).first()
            if participation is None:
                return []
            participation.delete()
            if participation.status != Participation.Status.GOING or run.is_cancelled:
                return []
            return run._fill_places()

    def apply_capacity(self):
        """After the capacity changed: promotes from the waitlist, or moves the latest
        joiners back to it. Returns (promoted, moved_back)."""
        with transaction.atomic():
            run = self._locked()
            going = list(run.participations.filter(status=Participation.Status.GOING)
                         .order_by("-joined_at", "-pk"))
            if run.capacity is None or len(going) <= run.capacity:
                return run._fill_places(), []
            moved_back = going[: len(going) - run.capacity]
            Participation.objects.filter(pk__in=[p.pk for p in moved_back]).update(
                status=Participation.Status.WAITLISTED, status_changes=F("status_changes") + 1
            )
            pages_changed()
            return [], list(reversed(moved_back))

    def _fill_places(self):
        """Promotes the first on the waitlist into free places. Call under the lock."""
        waiting = self.participations.filter(status=Participation.Status.WAITLISTED)
        if self.capacity is not None:
            going = self.participations.filter(status=Participation.Status.GOING).count()
            waiting = waiting[: max(self.capacity - going, 0)]
        promoted = list(waiting)
        Participation.objects.filter(pk__in=[p.pk for p in promoted]).update(
            status=Participation.Status.GOING, status_changes=F("status_changes") + 1
        )
        if promoted:
            pages_changed()
        return promoted

    def cancel(self, *, reason="", now=None, by_staff=False):
        """Cancels this run unless it is cancelled or has started; the run and its list
        of runners stay, marked cancelled. True when this call cancelled it."""
        now = now or timezone.now()
        with transaction.atomic():
            run = self._locked()  # two cancels at once: one wins, one email each
            if run.is_cancelled or run.has_started(now):
                return False
            self.cancelled_at, self.cancel_reason = now, reason
            self.cancelled_by_staff = by_staff
            self.sequence = run.sequence + 1
            self.save(update_fields=["cancelled_at", "cancel_reason", "cancelled_by_staff",
                                     "sequence", "updated_at"])
        return True

    def reopen(self, *, now=None):
        """Undoes a cancel before the start: the runners it had keep their places (a
        cancel keeps them), and places freed while it was cancelled go to the waitlist.
        Returns the participations promoted; raises RunClosed when it cannot."""
        now = now or timezone.now()
        with transaction.atomic():
            run = self._locked()  # two reopens at once: one wins, one email each
            if run.has_started(now):
                raise RunClosed(_("This run has started, so it can no longer be reopened."))
            if not run.is_cancelled:
                raise RunClosed(_("This run is not cancelled, so there is nothing to "
                                  "reopen."))
            if run.cancelled_by_staff:
                raise RunClosed(_("join run's staff cancelled this run, so only they can "
                                  "reopen it. Write to us if you think it was a mistake."))
            self.cancelled_at, self.cancel_reason = None, ""
            self.sequence = run.sequence + 1
            self.save(update_fields=["cancelled_at", "cancel_reason", "sequence", "updated_at"])
            # Leaving a cancelled run promotes nobody (there is no run to go to).
            return run._fill_places()

    def cancelled_together_after(self):
        """The later dates of this run's series cancelled by the same action as this one
        (a cancel gives the dates it cancels one moment), to reopen them together."""
        if self.series is None or self.cancelled_at is None:
            return Run.objects.none()
        return Run.objects.filter(series=self.series, starts_at__gt=self.starts_at,
                                  cancelled_at=self.cancelled_at).order_by("starts_at")

    def rest_of_series(self):
        """This run and the later runs of its series."""
        if self.series is None:
            return Run.objects.filter(pk=self.pk)
        return Run.objects.filter(series=self.series, starts_at__gte=self.starts_at)


class Route(models.Model):
    """A run's route from the organiser's GPX file, read, cleaned and drawn by
    runs/routes.py. Removed with the run, and from every run of an organiser who deletes
    their account."""

    run = models.OneToOneField(Run, primary_key=True, on_delete=models.CASCADE,
                               related_name="route")
    # The cleaned GPX 1.1 runners download: the line only, a point every 10 m along it
    # (routes.SPACING_M), so no times, names, heart rate, pace or stops.
    gpx = models.TextField(_("Route (GPX)"))
    # Read once from the points, for the page and to offer the run this distance.
    distance_m = models.PositiveIntegerField(_("Route length (m)"))
    ascent_m = models.PositiveIntegerField(_("Total ascent (m)"), null=True)  # no heights
    # A few hundred points of the line and the height profile: the page draws its SVGs
    # from them, in each reader's language, without reading the GPX.
    drawing = models.JSONField(_("Route drawing"))
    uploaded_at = models.DateTimeField(_("Route uploaded at"), default=timezone.now)

    def __str__(self):
        return f"Route of run {self.run_id}"

    @classmethod
    def attach(cls, track, runs):
        """Gives each of ``runs`` the route ``track`` (a routes.Track, read and drawn in
        the form's validation: nothing slow happens here, in the caller's transaction),
        replacing any."""
        values = {"gpx": track.gpx, "distance_m": track.distance_m,
                  "ascent_m": track.ascent_m, "drawing": track.drawing,
                  "uploaded_at": timezone.now()}
        for run in runs:
            cls.objects.update_or_create(run=run, defaults=values)

    @property
    def distance_km(self):
        return (Decimal(self.distance_m) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)

    def offered_distance(self):
        """The route's length, when the run says another one it could say instead."""
        km = self.distance_km
        in_range = MIN_DISTANCE_KM <= km <= MAX_DISTANCE_KM
        return km if in_range and km != self.run.distance_km else None


class ParticipationQuerySet(models.QuerySet):
    def in_order(self):
        return self.order_by("joined_at", "pk")

    def with_position(self):
        """Adds ``position``: the place on the run's waitlist (for waitlisted ones)."""
        ahead = (
            Participation.objects.filter(
                run=models.OuterRef("run"), status=Participation.Status.WAITLISTED,
            )
            .filter(Q(joined_at__lt=models.OuterRef("joined_at"))
                    | Q(joined_at=models.OuterRef("joined_at"), pk__lt=models.OuterRef("pk")))
            .order_by().values("run").annotate(n=Count("pk")).values("n")
        )
        return self.annotate(position=Coalesce(models.Subquery(ahead), 0) + 1)


class AttendanceMarker(models.TextChoices):
    RUNNER = "runner", _("The runner")
    ORGANISER = "organiser", _("An organiser")


class Participation(models.Model):
    class Status(models.TextChoices):
        GOING = "going", _("Going")
        WAITLISTED = "waitlisted", _("On the waitlist")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="participations")
    runner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="participations"
    )
    status = models.CharField(_("Status"), max_length=10, choices=Status.choices)
    # When the runner joined: first come, first served on the waitlist.
    joined_at = models.DateTimeField(_("Joined at"), default=timezone.now)
    # That the runner came: marked by the runner ("I was there") or by an organiser at
    # the check-in. Join run's own fact, never derived from Strava (Strava's rule: what
    # others see about a runner comes from no Strava data; a linked activity is the
    # runner's alone).
    attended_at = models.DateTimeField(_("Attended at"), null=True, blank=True)
    # Who made that mark: a runner may take back their own "I was there", not an
    # organiser's check-in.
    attended_by = models.CharField(_("Attendance marked by"), max_length=10, blank=True,
                                   choices=AttendanceMarker.choices, editable=False)
    # How often the place moved between going and the waitlist: added to the run's
    # SEQUENCE in the runner's own calendar feed, so their calendar app replaces the
    # event when it turns from tentative to confirmed (or back).
    status_changes = models.PositiveIntegerField(default=0, editable=False)

    objects = ParticipationQuerySet.as_manager()

    class Meta:
        ordering = ["joined_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["run", "runner"], name="one_participation_per_runner"),
        ]
        indexes = [
            # Counting and ordering a run's going and waiting runners.
            models.Index(fields=["run", "status", "joined_at"], name="participation_run_status"),
        ]

    def __str__(self):
        return f"{self.runner} → {self.run}"

    @property
    def is_going(self):
        return self.status == self.Status.GOING

    def waitlist_position(self):
        """1 for the first in line; None when going."""
        if self.is_going:
            return None
        ahead = Participation.objects.filter(
            run_id=self.run_id, status=self.Status.WAITLISTED
        ).filter(Q(joined_at__lt=self.joined_at) | Q(joined_at=self.joined_at, pk__lt=self.pk))
        return ahead.count() + 1


class CalendarFeed(models.Model):
    """A person's private calendar feed: the runs they go to, wait for or organise, for
    their calendar app to poll. The secret in its address is the only key to it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="calendar_feed")
    # 256 random bits (secrets.token_urlsafe(32)); "Make a new link" replaces it, and
    # the old address stops working at once. Unique: the feed is found by it.
    secret = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("Created at"), default=timezone.now)
    # The feed's Last-Modified: when its content was last seen to change (leaving a run
    # changes no run's updated_at).
    fingerprint = models.CharField(max_length=64, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"Calendar feed of {self.user}"

    @property
    def url(self):
        """The feed's full address, secret and all: for its owner's eyes only."""
        return f"{settings.SITE_URL}{reverse('runs:my_calendar')}?token={self.secret}"

    @property
    def webcal_url(self):
        """The same address as webcal://, which calendar apps open to subscribe."""
        return webcal(self.url)
