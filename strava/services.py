"""Strava for one runner: their connection and fresh tokens, their activities around a run,
links between the two, and forgetting all of it.

Strava's rule is that a runner's Strava data is shown only to that runner. So the only
things stored are ids (athlete, activity) and tokens; an activity's name, distance and
times are fetched when its owner looks, kept a few minutes at most, and never put on a
page anyone else can see. Everything here takes the runner's connection explicitly.
"""

import functools
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from runs.models import Participation, format_pace

from . import client
from .client import StravaError
from .models import ActivityLink, StravaConnection, strava_activity_url

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(minutes=5)
# Activities from 3 hours before a run's start to 6 hours after it can be linked to it,
# for 14 days after the start.
WINDOW_BEFORE = timedelta(hours=3)
WINDOW_AFTER = timedelta(hours=6)
LINK_DAYS = 14
# Strava allows a cache of 7 days at most; a few minutes saves the app-wide rate limit
# when a runner reloads, and an edit on Strava shows soon.
ACTIVITY_CACHE_SECONDS = 10 * 60
RUN_SPORTS = {"Run", "TrailRun", "VirtualRun"}
ACTIVITY_SCOPES = {"activity:read", "activity:read_all"}


def enabled():
    """Strava features are shown only when the site has a Strava app configured."""
    return client.is_configured()


def at_capacity():
    """Whether join run has connected as many athletes as its Strava app may connect
    (STRAVA_ATHLETE_CAPACITY, the capacity on the app's page at Strava). Strava refuses the
    next new athlete on its own consent page, where join run cannot say why, so a runner who
    never connected is told here instead (strava/views.py); the operator gets an error in
    the log, at most once an hour."""
    connected = StravaConnection.objects.filter(refresh_token__isnull=False).count()
    full = connected >= settings.STRAVA_ATHLETE_CAPACITY
    if full and cache.add(CAPACITY_LOGGED_KEY, True, 60 * 60):
        log.error("Strava: join run's app has connected %s athletes, its capacity "
                  "(STRAVA_ATHLETE_CAPACITY=%s), so new runners cannot connect. Apply for "
                  "more on the app's page at Strava (Settings, My API Application), then "
                  "raise STRAVA_ATHLETE_CAPACITY.", connected, settings.STRAVA_ATHLETE_CAPACITY)
    return full


def connection_of(user):
    """The runner's working Strava connection, or None."""
    if not user.is_authenticated:
        return None
    return StravaConnection.objects.filter(user=user, refresh_token__isnull=False).select_related(
        "user").first()


def signs_in_only_with_strava(user):
    return not (user.email and user.has_usable_password())


def may_use(user):
    # A runner who asked us to restrict processing of their data is not sent to Strava.
    return user.processing_restricted_at is None


CAPACITY_LOGGED_KEY = "strava:capacity-logged"
RESTRICTED = "restricted"  # a StravaError code of ours: we chose not to call


class LinkRefused(Exception):
    """An activity that cannot be linked to this run; str() says why, for the runner."""


# Messages for the runner: what happened and what to do.

def problem_message(error):
    if error.code == StravaError.RATE_LIMITED and error.retry_at:
        moment = timezone.localtime(error.retry_at)
        return _("Strava is busy; try again after %(time)s.") % {
            "time": formats.time_format(moment, "TIME_FORMAT")
        }
    return {
        StravaError.UNAVAILABLE: _(
            "Strava is not answering right now. Try again in a few minutes; nothing you "
            "saved here is lost."
        ),
        StravaError.RATE_LIMITED: _("Strava is busy; try again in 15 minutes."),
        StravaError.UNAUTHORIZED: _(
            "Strava no longer accepts join run's access to your account, so we have "
            "disconnected it. Connect Strava again to link your activities."
        ),
        StravaError.APP_REFUSED: _(
            "Strava is not accepting join run's requests right now. That is on our side, not "
            "your account; try again later."
        ),
        StravaError.NOT_FOUND: _(
            "Strava no longer shows us this activity: it was deleted, or made visible only "
            "to you. Unlink it, or link another."
        ),
        RESTRICTED: _(
            "You asked us to restrict processing of your data, so join run does not contact "
            "Strava for you until that is lifted."
        ),
    }.get(error.code, _("Strava sent an answer we could not read. Try again later."))


# Connections and tokens

def save_connection(user, tokens, scope, *, now=None):
    """Connects ``user`` to the athlete in ``tokens`` (from the code exchange), replacing
    their tokens. A different athlete they had connected before is replaced: their links
    are deleted, and Strava is told to end join run's access to them."""
    with transaction.atomic():
        connection = StravaConnection.objects.select_for_update().filter(user=user).first()
        if connection is None or connection.athlete_id != tokens["athlete_id"]:
            if connection is not None:
                _delete_links(user)
                revoke_later(connection)
            connection = connection or StravaConnection(user=user)
            connection.athlete_id = tokens["athlete_id"]
            connection.connected_at = now or timezone.now()
        elif not connection.is_connected:
            connection.connected_at = now or timezone.now()
        connection.scope = scope
        _copy_tokens(tokens, connection)
        connection.save()
    return connection


def keep_newest_tokens(connection, tokens, scope):
    """Tokens Strava just issued for this connection's athlete through an attempt join run
    refused (someone else connecting it, a staff or switched-off account signing in):
    issuing them killed the stored refresh token, so a connection that holds tokens keeps
    the new ones. One whose access has ended (or is gone meanwhile) keeps none, and
    Strava is told to end the access the new ones grant."""
    with transaction.atomic():
        locked = StravaConnection.objects.select_for_update().filter(
            pk=connection.pk, athlete_id=tokens["athlete_id"],
            refresh_token__isnull=False).first()
        if locked is not None:
            locked.scope = scope
            _copy_tokens(tokens, locked)
            locked.save(update_fields=["access_token", "refresh_token", "expires_at", "scope"])
            return
    _revoke_quietly(tokens["refresh_token"])


def access_token(connection, *, now=None, stale=None):
    """A working access token for ``connection``.

    One expiring within five minutes (or ``stale``, the one Strava just refused) is
    refreshed first, under the connection's row lock: Strava kills a refresh token as
    soon as it issues the next, so two requests refreshing at once would otherwise leave
    one of them holding a dead token. The one that waited finds the fresh token and uses
    it. A refresh Strava refuses forgets the connection.
    """
    now = now or timezone.now()
    if stale is None and connection.access_token and connection.expires_at > now + REFRESH_MARGIN:
        return connection.access_token
    refused = None
    with transaction.atomic():
        locked = StravaConnection.objects.select_for_update().filter(pk=connection.pk).first()
        if locked is None:
            raise StravaError(StravaError.UNAUTHORIZED, "disconnected meanwhile")
        still_fresh = locked.access_token and locked.expires_at > now + REFRESH_MARGIN
        if still_fresh and locked.access_token != stale:
            _copy_tokens(locked, connection)
            return locked.access_token
        if locked.refresh_token is None:  # no key in TOKEN_KEYS opens it
            refused = StravaError(StravaError.UNAUTHORIZED, "undecryptable")
        else:
            try:
                tokens = client.refresh(locked.refresh_token)
            except StravaError as error:
                if error.code != StravaError.UNAUTHORIZED:
                    raise
                refused = error
            else:
                _copy_tokens(tokens, locked)
                locked.save(update_fields=["access_token", "refresh_token", "expires_at"])
                _copy_tokens(locked, connection)
                return locked.access_token
    forget(connection)
    raise refused


def _copy_tokens(source, target):
    """From a token answer (a dict) or another connection."""
    for name in ("access_token", "refresh_token", "expires_at"):
        setattr(target, name, source[name] if isinstance(source, dict) else getattr(source, name))


def call(connection, path, params=None, *, restricted_ok=False):
    """GET ``path`` from Strava's API as this runner. A 401 gets one refresh and one
    retry; a token Strava refuses even then forgets the connection. ``restricted_ok``: a
    call that can only end processing (confirming a revocation or a deletion) goes out
    for a runner who restricted processing too."""
    if not (restricted_ok or may_use(connection.user)):
        raise StravaError(RESTRICTED)
    token = access_token(connection)
    try:
        return client.get(path, token, params)
    except StravaError as error:
        if error.code != StravaError.UNAUTHORIZED:
            raise
    token = access_token(connection, stale=token)
    try:
        return client.get(path, token, params)
    except StravaError as error:
        if error.code == StravaError.UNAUTHORIZED:
            forget(connection)
        raise


def _delete_links(user):
    """Every activity link of ``user``."""
    links = ActivityLink.objects.filter(participation__runner=user)
    for activity_id in links.values_list("activity_id", flat=True):
        cache.delete(_cache_key(user.pk, activity_id))
    links.delete()


def forget(connection, *, erasing=False):
    """Deletes the tokens and every activity link from them, without telling Strava (it
    already knows: it refused the token, or the runner revoked access there).

    The athlete id goes too, unless the account signs in only with Strava: then it stays,
    so "Sign in with Strava" finds this account again instead of making a second one.
    """
    user = connection.user
    with transaction.atomic():
        _delete_links(user)
        rows = StravaConnection.objects.filter(pk=connection.pk)
        if signs_in_only_with_strava(user) and not erasing:
            rows.update(access_token=None, refresh_token=None, expires_at=None)
        else:
            rows.delete()
    connection.access_token = connection.refresh_token = connection.expires_at = None


def disconnect(connection):
    """Tells Strava to end our access (best effort: Strava being down must not keep a
    runner connected here), then forgets the connection."""
    _revoke_quietly(connection.refresh_token)
    forget(connection)


def revoke_later(connection):
    """Strava is told to end our access once the transaction has committed (erasure, a
    different athlete replacing this one); the token is held in memory only until then."""
    transaction.on_commit(functools.partial(_revoke_quietly, connection.refresh_token))


def _revoke_quietly(refresh_token):
    if not refresh_token:
        return  # refused by Strava already, or no key opens it: nothing to tell Strava with
    try:
        client.revoke(refresh_token)
    except StravaError as error:
        # Logged for the operator, who can remove the app's access at Strava; the runner
        # can too, in their Strava settings.
        log.warning("Telling Strava to end join run's access failed (%s); forgotten here "
                    "anyway.", error.code)


# Activities

@dataclass(frozen=True)
class Activity:
    id: int
    athlete_id: int
    name: str
    sport_type: str
    start: datetime | None  # None when the runner hides start times on Strava
    distance_m: float
    moving_time: int

    @property
    def is_run(self):
        return self.sport_type in RUN_SPORTS

    @property
    def distance_km(self):
        return self.distance_m / 1000

    @property
    def moving_time_text(self):
        minutes, seconds = divmod(self.moving_time, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    @property
    def pace(self):
        """ "5:12" per km, or "" without a distance."""
        if self.distance_m < 10 or not self.moving_time:
            return ""
        return format_pace(self.moving_time / self.distance_km)

    @property
    def strava_url(self):
        return strava_activity_url(self.id)

    def as_cached(self):
        return {**self.__dict__, "start": self.start.isoformat() if self.start else None}

    @classmethod
    def from_cached(cls, data):
        return cls(**{**data, "start": datetime.fromisoformat(data["start"])
                      if data["start"] else None})


def _activity(data):
    """An Activity from Strava's JSON; StravaError(BAD_RESPONSE) if it is not one."""
    try:
        activity_id, athlete_id = data["id"], data["athlete"]["id"]
        if not (client.is_strava_id(activity_id) and client.is_strava_id(athlete_id)):
            raise ValueError("ids")
        start = datetime.strptime(data["start_date"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        # Strava writes a hidden start time as one second past midnight.
        if (start.hour, start.minute, start.second) == (0, 0, 1):
            start = None
        return Activity(
            id=activity_id,
            athlete_id=athlete_id,
            name=str(data.get("name") or "")[:200],
            sport_type=str(data.get("sport_type") or data.get("type") or "")[:50],
            start=start,
            distance_m=max(float(data.get("distance") or 0), 0.0),
            moving_time=max(int(data.get("moving_time") or 0), 0),
        )
    except (KeyError, TypeError, ValueError, OverflowError) as error:
        raise StravaError(StravaError.BAD_RESPONSE, "activity fields") from error


def link_window_message():
    return _("Activities can be linked from the start of a run until %(days)s days after "
             "it.") % {"days": LINK_DAYS}


def link_window_open(run, now=None):
    now = now or timezone.now()
    return (not run.is_cancelled and run.has_started(now)
            and now <= run.starts_at + timedelta(days=LINK_DAYS))


def activities_around(connection, run):
    """The runner's activities from 3 hours before the run's start to 6 hours after it:
    runs first, then the others, each nearest the start first; those whose start time the
    runner hides on Strava last (they cannot be matched to the run, so cannot be linked)."""
    data = call(connection, "/athlete/activities", {
        "after": int((run.starts_at - WINDOW_BEFORE).timestamp()),
        "before": int((run.starts_at + WINDOW_AFTER).timestamp()),
        "per_page": 50,
    })
    if not isinstance(data, list):
        raise StravaError(StravaError.BAD_RESPONSE, "not a list")
    activities = [_activity(item) for item in data]

    def order(activity):
        if activity.start is None:
            return (True, True, timedelta(0))
        return (False, not activity.is_run, abs(activity.start - run.starts_at))

    return sorted(activities, key=order)


def _cache_key(user_id, activity_id):
    # v1: the shape of Activity.as_cached(); a new shape gets a new key.
    return f"strava:activity:v1:{user_id}:{activity_id}"


def activity(connection, activity_id, *, use_cache=True, restricted_ok=False):
    """One of the runner's own activities, fetched from Strava (or from the last few
    minutes' cache). StravaError(NOT_FOUND) if it is not theirs or is gone."""
    key = _cache_key(connection.user_id, activity_id)
    cached = cache.get(key) if use_cache else None
    if cached:
        return Activity.from_cached(cached)
    found = _activity(call(connection, f"/activities/{int(activity_id)}",
                           restricted_ok=restricted_ok))
    # Strava shows other athletes' public activities too; only the runner's own count.
    if found.athlete_id != connection.athlete_id or found.id != int(activity_id):
        raise StravaError(StravaError.NOT_FOUND, "not theirs")
    cache.set(key, found.as_cached(), ACTIVITY_CACHE_SECONDS)
    return found


def link(participation, connection, activity_id, *, now=None):
    """Links the runner's own activity to the run they joined (for them alone to see).
    Raises LinkRefused with the reason, or StravaError when Strava cannot answer."""
    now = now or timezone.now()
    run = participation.run
    if not link_window_open(run, now):
        raise LinkRefused(link_window_message())
    try:
        found = activity(connection, activity_id, use_cache=False)
    except StravaError as error:
        if error.code == StravaError.NOT_FOUND:
            raise LinkRefused(_("That activity is not one of yours on Strava.")) from error
        raise
    if found.start is None or not (
        run.starts_at - WINDOW_BEFORE <= found.start <= run.starts_at + WINDOW_AFTER
    ):
        raise LinkRefused(_("That activity did not start within 3 hours before to 6 hours "
                            "after this run's start."))
    elsewhere = ActivityLink.objects.filter(activity_id=found.id).exclude(
        participation=participation
    ).select_related("participation__run").first()
    if elsewhere:
        raise LinkRefused(_("That activity is already linked to “%(run)s”.")
                          % {"run": elsewhere.participation.run.title})
    try:
        with transaction.atomic():
            # Locked: the runner may be leaving the run at this moment. The link marks
            # nothing others see: "was there" is join run's own fact (runs/attendance.py),
            # and Strava's data is for its owner alone.
            if not Participation.objects.select_for_update().filter(pk=participation.pk).exists():
                raise IntegrityError("participation gone")
            ActivityLink.objects.update_or_create(participation=participation,
                                                  defaults={"activity_id": found.id})
    except IntegrityError as error:
        # The same activity linked from another tab a moment ago (its id is unique), or the
        # runner's place is gone.
        raise LinkRefused(_("That activity could not be linked: it was linked elsewhere "
                            "meanwhile, or you are no longer on this run.")) from error
    return found


def unlink(participation):
    with transaction.atomic():
        link_ = ActivityLink.objects.filter(participation=participation).first()
        if link_ is None:
            return
        cache.delete(_cache_key(participation.runner_id, link_.activity_id))
        link_.delete()
