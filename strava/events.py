"""Strava's webhook events: acknowledged at once, checked with Strava by the task worker.

Strava wants each event acknowledged within 2 seconds, and retries (up to three attempts)
when it is not, while asking Strava back can take up to STRAVA_TIMEOUT. So the webhook
only validates an event and queues a check; the worker asks Strava.

Strava's events are not signed and athlete ids are public: anyone can post one. So an
event is only a reason to ask Strava, and only Strava's own answer acts: a refusal of the
runner's token (401) for a revocation, "not found" (404) for a deleted activity. Anything
else (429, 5xx, a timeout) means "not now": nothing is forgotten and the check is tried
again after a pause.

Nothing Strava sends is dropped, and nothing a flood sends costs more than a few calls:
events about one connection (or one link) share a single queued check, so the task table
holds at most one per connection and link whatever arrives; Strava's resends of an event
already queued are acknowledged and left out. Each check draws on the events' own share
of Strava's rate limit (per athlete, all athletes per 15 minutes, all per day); a check
beyond it waits in the queue until its window resets, instead of being forgotten, so a
genuine revocation still acts, later, while forged ones cost nothing more.

A queued check carries only a row id (the connection's or the link's), never an athlete
or activity id, so the task table holds nothing about a person (as the outbox's tasks).
"""

import logging
import random
from datetime import UTC, datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django_tasks import task

from joinrun.ratelimit import Limiter

from . import services
from .client import StravaError
from .models import ActivityLink, StravaConnection

log = logging.getLogger(__name__)

EVENT_CHECKS_PER_ATHLETE = Limiter("strava-event-checks", limit=5, window=60 * 60)
EVENT_CHECKS_IN_ALL = Limiter("strava-event-checks-all", limit=30, window=15 * 60)
# A fifth of Strava's default 1,000 reads a day, so events never pause reads until midnight.
EVENT_CHECKS_PER_DAY = Limiter("strava-event-checks-day", limit=200, window=24 * 60 * 60)
# Strava resends an event it thinks was missed within minutes.
SEEN_SECONDS = 60 * 60
# While a check of a connection or link is queued (or waits for its window), later events
# about it join that check; one not done LOST_AFTER its time counts as lost.
PENDING_SECONDS = 2 * 24 * 60 * 60
LOST_AFTER = timedelta(minutes=15)
# A check Strava could not answer is tried again after these pauses, then given up (and
# logged); the runner's next visit finds a revoked token anyway.
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1),
                timedelta(hours=6), timedelta(hours=24))

REVOKED, DELETED = "revoked", "deleted"


def received(event):
    """Queues a check of a validated event when it may concern a runner here; returns
    what became of it ("queued", "joined", "seen" or "ignored"), for the tests."""
    object_type, aspect_type = event["object_type"], event["aspect_type"]
    owner_id = event["owner_id"]
    now = timezone.now().timestamp()
    if not now - SEEN_SECONDS <= event["event_time"] <= now + 5 * 60:
        # Strava sends an event as it happens and resends it within minutes: one from
        # another time is not Strava's, and would only fill the cache with seen marks.
        return "ignored"
    if object_type == "athlete" and str(event["updates"].get("authorized")) == "false":
        kind = REVOKED
        target = StravaConnection.objects.filter(
            athlete_id=owner_id, refresh_token__isnull=False).values_list("pk", flat=True).first()
    elif object_type == "activity" and aspect_type == "delete":
        kind = DELETED
        target = ActivityLink.objects.filter(
            activity_id=event["object_id"], participation__runner__strava__athlete_id=owner_id,
        ).values_list("pk", flat=True).first()
    else:
        return "ignored"  # events we do not use, acknowledged so Strava does not retry
    if target is None:
        return "ignored"  # not a runner of ours (any more)
    # Strava's resends of one event share its object, aspect and time. Marked seen only
    # once a check is queued, so seen marks are as few as checks (the limits bound them),
    # and a forged event cannot make Strava's own look like a resend.
    seen = f"strava:event-seen:{kind}:{target}:{event['event_time']}"
    if cache.get(seen):
        return "seen"
    if _joins_a_check(kind, target):
        return "joined"
    cache.set(seen, True, SEEN_SECONDS)
    try:
        _check_of(kind).enqueue(target)
    except Exception:
        cache.delete_many([seen, _pending_key(kind, target)])  # Strava will resend it
        raise
    return "queued"


def _pending_key(kind, target, suffix=""):
    return f"strava:check-pending:{kind}:{target}{suffix and ':' + suffix}"


def _mark_pending(kind, target, run_at):
    """A check of ``target`` is queued to run at ``run_at``: later events join it. The mark
    holds the moment after which a check not done yet counts as lost (a worker killed
    mid-task): an event then queues a new one."""
    cache.set(_pending_key(kind, target), (run_at + LOST_AFTER).timestamp(), PENDING_SECONDS)


def _joins_a_check(kind, target):
    """True when a check of ``target`` is queued and alive, so this event joins it;
    otherwise the target is marked pending and the caller queues a check."""
    key, now = _pending_key(kind, target), timezone.now()
    if cache.add(key, (now + LOST_AFTER).timestamp(), PENDING_SECONDS):
        return False
    # If that check is asking Strava right now, its answer may predate this event: it then
    # checks once more (_done reads this after taking its own mark away).
    cache.set(_pending_key(kind, target, "again"), True, PENDING_SECONDS)
    lost_after = cache.get(key)
    if lost_after is None or lost_after < now.timestamp():
        _mark_pending(kind, target, now)  # done meanwhile, or lost: a check of our own
        return False
    return True


def _window_closed(athlete_id):
    """When the events' share of the rate limit has room again for ``athlete_id``, or
    None when it has room now (and the check is counted)."""
    athlete = str(athlete_id)
    full = [window for window in (EVENT_CHECKS_PER_ATHLETE.exceeded(athlete),
                                  EVENT_CHECKS_IN_ALL.exceeded("all"),
                                  EVENT_CHECKS_PER_DAY.exceeded("all")) if window]
    if full:
        # Spread over a minute, so waiting checks do not all ask Strava at one instant.
        resets = max(window.resets_at for window in full) + random.uniform(0, 60)
        return datetime.fromtimestamp(resets, tz=UTC)
    EVENT_CHECKS_PER_ATHLETE.record(athlete)
    EVENT_CHECKS_IN_ALL.record("all")
    EVENT_CHECKS_PER_DAY.record("all")
    return None


def _check_of(kind):
    return check_revocation if kind == REVOKED else check_deletion


def _wait(kind, target, attempt, until):
    """Queues the check again to run at ``until``; the pending mark stays meanwhile."""
    _mark_pending(kind, target, until)
    _check_of(kind).using(run_after=until).enqueue(target, attempt=attempt)
    return "waiting"


def _later(kind, target, attempt, code, retry_at=None):
    """Strava busy, down or slow (or the check failed): again after a pause, or given up."""
    if attempt > len(RETRY_PAUSES):
        log.warning("A Strava webhook event could not be checked (%s) after %s attempts; "
                    "given up.", code, attempt)
        return _done(kind, target, "gave up")
    until = timezone.now() + RETRY_PAUSES[attempt - 1]
    if retry_at and retry_at > until:
        until = retry_at  # Strava's rate limit resets later than that
    return _wait(kind, target, attempt + 1, until)


def _done(kind, target, outcome):
    """The check is over: later events queue a new one. One that arrived while Strava was
    still saying "valid" gets a check of its own (through the same limits)."""
    cache.delete(_pending_key(kind, target))  # first: an event from now on queues its own
    again = cache.get(_pending_key(kind, target, "again"))
    cache.delete(_pending_key(kind, target, "again"))
    if again and outcome == "kept" and not _joins_a_check(kind, target):
        _check_of(kind).enqueue(target)
    return outcome


def _guarded(kind, target, attempt, check):
    """Runs ``check``; one that fails (the database busy, say) is tried again later, so
    its pending mark never outlives it."""
    try:
        return check(target, attempt)
    except Exception as error:
        log.warning("A Strava webhook check failed (%s); it is tried again later.",
                    type(error).__name__)
        try:
            return _later(kind, target, attempt, type(error).__name__)
        except Exception:
            _done(kind, target, "failed")
            raise


@task()
def check_revocation(connection_id, attempt=1):
    """The runner removed join run in their Strava settings: forget the connection, once
    Strava refuses its tokens."""
    return _guarded(REVOKED, connection_id, attempt, _check_revocation)


def _check_revocation(connection_id, attempt):
    connection = StravaConnection.objects.filter(
        pk=connection_id, refresh_token__isnull=False).select_related("user").first()
    if connection is None:
        return _done(REVOKED, connection_id, "gone")  # forgotten meanwhile
    until = _window_closed(connection.athlete_id)
    if until:
        return _wait(REVOKED, connection_id, attempt, until)
    try:
        # Allowed for a runner who restricted processing too: it can only end it.
        services.call(connection, "/athlete", restricted_ok=True)
    except StravaError as error:
        if error.code == StravaError.UNAUTHORIZED:  # call() has forgotten the connection
            return _done(REVOKED, connection_id, "forgotten")
        if error.code in (StravaError.UNAVAILABLE, StravaError.RATE_LIMITED):
            return _later(REVOKED, connection_id, attempt, error.code, error.retry_at)
        log.warning("A deauthorization event could not be checked with Strava (%s); the "
                    "connection stays until Strava confirms it.", error.code)
        return _done(REVOKED, connection_id, "kept")
    log.warning("A deauthorization event that Strava does not confirm was ignored.")
    return _done(REVOKED, connection_id, "kept")


@task()
def check_deletion(link_id, attempt=1):
    """The runner deleted an activity on Strava: its link goes too, once Strava says it no
    longer has it (or no longer accepts the runner's token)."""
    return _guarded(DELETED, link_id, attempt, _check_deletion)


def _check_deletion(link_id, attempt):
    link = ActivityLink.objects.filter(pk=link_id).select_related(
        "participation__runner__strava").first()
    if link is None:
        return _done(DELETED, link_id, "gone")
    connection = getattr(link.participation.runner, "strava", None)
    if connection is None or not connection.is_connected:
        # Nothing to ask Strava with (no key opens the tokens): an unconfirmed event
        # changes nothing, and the activity is not shown without a token anyway.
        return _done(DELETED, link_id, "kept")
    until = _window_closed(connection.athlete_id)
    if until:
        return _wait(DELETED, link_id, attempt, until)
    try:
        services.activity(connection, link.activity_id, use_cache=False, restricted_ok=True)
    except StravaError as error:
        if error.code in (StravaError.UNAVAILABLE, StravaError.RATE_LIMITED):
            return _later(DELETED, link_id, attempt, error.code, error.retry_at)
        if error.code not in (StravaError.NOT_FOUND, StravaError.UNAUTHORIZED):
            log.warning("An activity-deleted event could not be checked with Strava (%s); "
                        "the link stays.", error.code)
            return _done(DELETED, link_id, "kept")
    else:
        log.warning("An activity-deleted event that Strava does not confirm was ignored.")
        return _done(DELETED, link_id, "kept")
    services.unlink(link.participation)
    return _done(DELETED, link_id, "unlinked")
