"""Strava's webhook events: acknowledged at once, checked with Strava by the task worker.

Strava wants each event acknowledged within 2 seconds, and retries (up to three attempts)
when it is not, while asking Strava back can take up to STRAVA_TIMEOUT. So the webhook
only validates an event and queues a check; the worker asks Strava.

Strava's events are not signed and athlete ids are public: anyone can post one. So an
event is only a reason to ask Strava, and only Strava's own answer acts: a refusal of the
runner's token (401) for a revocation, "not found" (404) for a deleted activity. Anything
else (429, 5xx, a timeout) means "not now": nothing is forgotten, the check is tried again
after a pause, and Strava sends its events again anyway. Asking costs a call against join
run's shared rate limit, so an event Strava resends is checked once, each athlete's events
may ask a few times an hour, and all of them together draw on their own share of the
limit, so a flood of events never uses up what signing in needs.

A queued check carries only a row id (the connection's or the link's), never an athlete
or activity id, so the task table holds nothing about a person (as the outbox's tasks).
"""

import logging
from datetime import timedelta

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
# Strava retries an event it thinks was missed within minutes: a day covers them all.
SEEN_SECONDS = 24 * 60 * 60
# A check Strava could not answer is tried again after these pauses, then left to the
# next event Strava sends.
RETRY_PAUSES = (timedelta(minutes=1), timedelta(minutes=15), timedelta(hours=1))

REVOKED, DELETED = "revoked", "deleted"


def received(event):
    """Queues a check of a validated event when it may concern a runner here; returns
    what became of it ("queued", "ignored", "seen", "limited"), for the tests and logs."""
    object_type, aspect_type = event["object_type"], event["aspect_type"]
    owner_id = event["owner_id"]
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
    # Strava's resends of one event share its object, aspect and time.
    # Only a queued event counts as seen: forged ones turned away by the limits must not
    # make Strava's own (with the same time) look like a resend.
    seen_key = f"strava:event-seen:{kind}:{target}:{event.get('event_time')}"
    if cache.get(seen_key):
        return "seen"
    if not _may_check(owner_id):
        return "limited"
    if not cache.add(seen_key, True, SEEN_SECONDS):
        return "seen"  # the same event, queued by another worker a moment ago
    check = check_revocation if kind == REVOKED else check_deletion
    check.enqueue(target)
    return "queued"


def _may_check(athlete_id):
    """True (and counted) when an event of ``athlete_id`` may cost a call to Strava."""
    athlete = str(athlete_id)
    if EVENT_CHECKS_PER_ATHLETE.exceeded(athlete) or EVENT_CHECKS_IN_ALL.exceeded("all"):
        log.warning("A Strava webhook event was acknowledged unchecked: the events' share of "
                    "Strava's rate limit is used up for now.")
        return False
    EVENT_CHECKS_PER_ATHLETE.record(athlete)
    EVENT_CHECKS_IN_ALL.record("all")
    return True


def _later(check, target, attempt, error):
    """Queues ``check`` again after a pause (Strava busy, down or slow), or gives up."""
    if attempt > len(RETRY_PAUSES):
        log.warning("A Strava webhook event could not be checked (%s) after %s attempts; "
                    "left for Strava's next event.", error.code, attempt)
        return "gave up"
    run_after = timezone.now() + RETRY_PAUSES[attempt - 1]
    if error.retry_at and error.retry_at > run_after:
        run_after = error.retry_at  # Strava's rate limit resets later than that
    check.using(run_after=run_after).enqueue(target, attempt=attempt + 1)
    return "retry"


@task()
def check_revocation(connection_id, attempt=1):
    """The runner removed join run in their Strava settings: forget the connection, once
    Strava refuses its tokens."""
    connection = StravaConnection.objects.filter(
        pk=connection_id, refresh_token__isnull=False).select_related("user").first()
    if connection is None:
        return "gone"  # forgotten meanwhile: a resend, or the runner disconnected
    try:
        services.call(connection, "/athlete")
    except StravaError as error:
        if error.code == StravaError.UNAUTHORIZED:  # call() has forgotten the connection
            return "forgotten"
        if error.code in (StravaError.UNAVAILABLE, StravaError.RATE_LIMITED):
            return _later(check_revocation, connection_id, attempt, error)
        log.warning("A deauthorization event could not be checked with Strava (%s); the "
                    "connection stays until Strava confirms it.", error.code)
        return "kept"
    log.warning("A deauthorization event that Strava does not confirm was ignored.")
    return "kept"


@task()
def check_deletion(link_id, attempt=1):
    """The runner deleted an activity on Strava: its link goes too, once Strava says it no
    longer has it (or no longer accepts the runner's token)."""
    link = ActivityLink.objects.filter(pk=link_id).select_related(
        "participation__runner__strava").first()
    if link is None:
        return "gone"
    connection = getattr(link.participation.runner, "strava", None)
    if connection is not None and connection.is_connected:
        try:
            services.activity(connection, link.activity_id, use_cache=False)
        except StravaError as error:
            if error.code in (StravaError.UNAVAILABLE, StravaError.RATE_LIMITED):
                return _later(check_deletion, link_id, attempt, error)
            if error.code not in (StravaError.NOT_FOUND, StravaError.UNAUTHORIZED):
                log.warning("An activity-deleted event could not be checked with Strava "
                            "(%s); the link stays.", error.code)
                return "kept"
        else:
            log.warning("An activity-deleted event that Strava does not confirm was ignored.")
            return "kept"
    services.unlink(link.participation)
    return "unlinked"
