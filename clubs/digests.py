"""'New runs from <club>': one email a day at most per club, to each of its followers.

Publishing a club's run (or a weekly series of them) calls ``schedule(club)`` in the
transaction that creates the runs. It queues one task in the database's task queue
(django-tasks), due as soon as the club may send again: at once, or a day after its last
digest. The task and the hourly sweep (``send_club_digests``, for runs added in the admin
and tasks lost with a worker) share ``send_digest()``, which under the club's row lock
lists the runs published since the last digest that are still to come and not
cancelled, and emails whoever follows the club at that moment. So a second run the same
day waits for the next day's digest, a run cancelled before the email goes is not in
it, and an unfollow stops the very next one.

``Club.digest_covered_until`` moves on whenever a digest is written, even when nobody
follows the club yet: runs published before a runner followed never flood their first
digest. ``Club.digest_sent_at`` moves only when emails went out: it is the daily limit.

The clubs app reaches runs only through the reverse relation ``club.runs``: runs imports
clubs, never the other way round.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_tasks import task

from accounts.unsubscribe import one_click_headers
from joinrun import mail

from . import unsubscribe
from .models import DIGEST_EVERY, Club


def schedule(club, *, now=None):
    """A club published a run: its digest goes out as soon as the daily limit allows.
    Call it in the transaction that creates the run(s). Returns the task result."""
    now = now or timezone.now()
    # Read afresh: the caller's club may be older than a digest sent meanwhile.
    sent_at = Club.objects.filter(pk=club.pk).values_list("digest_sent_at", flat=True).first()
    if sent_at is None or sent_at + DIGEST_EVERY <= now:
        return send_club_digest.enqueue(club.pk)
    # Several runs published within the day each queue one; the first sends them all.
    return send_club_digest.using(run_after=sent_at + DIGEST_EVERY).enqueue(club.pk)


@task()
def send_club_digest(club_id):
    return send_digest(club_id)


def send_digest(club_id, *, now=None):
    """Emails the club's followers the runs published since its last digest, unless the
    club is closed or deactivated, or a digest went out less than a day ago (a later
    task is due then). Returns what happened, for the task table and the sweep."""
    now = now or timezone.now()
    with transaction.atomic():
        # Locked, so a task and the sweep running together send one digest, not two.
        club = Club.objects.select_for_update().filter(pk=club_id).first()
        if club is None or not club.is_listed:
            return "not listed"
        if club.digest_sent_at is not None and now - club.digest_sent_at < DIGEST_EVERY:
            return "sent recently"
        runs = list(_new_runs(club, now))
        emailed = _email_followers(club, _entries(runs)) if runs else 0
        # .update(), not save(): updated_at means "an organiser changed the club".
        changes = {"digest_covered_until": now}
        if emailed:
            changes["digest_sent_at"] = now
        Club.objects.filter(pk=club.pk).update(**changes)
    return f"emailed {emailed}"


def _new_runs(club, now):
    """Runs published since the last digest (and not after ``now``: a run created while
    this one is written waits for the next), still to come and not cancelled."""
    runs = club.runs.upcoming(now).not_cancelled().filter(created_at__lte=now)
    if club.digest_covered_until is not None:
        runs = runs.filter(created_at__gt=club.digest_covered_until)
    return runs


def _entries(runs):
    """One entry per lone run and one per weekly series (its first listed date and how
    many dates are listed), in start order."""
    entries, by_series = [], {}
    for run in runs:
        if run.series is not None and run.series in by_series:
            by_series[run.series]["dates"] += 1
            continue
        entry = {"run": run, "dates": 1, "url": mail.site_url(run.get_absolute_url())}
        entries.append(entry)
        if run.series is not None:
            by_series[run.series] = entry
    return entries


def _email_followers(club, entries):
    """One email per follower, since each carries that follower's own unfollow link;
    in the follower's language. Returns how many were queued."""
    followers = get_user_model().objects.filter(follows__club=club).order_by("pk")
    context = {"club": club, "club_url": mail.site_url(club.get_absolute_url()),
               "entries": entries}
    emailed = 0
    for user in mail.reachable(followers):
        url = unsubscribe.unsubscribe_url(user, club)  # one link, in the text and header
        emailed += mail.send("club_digest", [user], {**context, "unsubscribe_url": url},
                             headers=one_click_headers(url))
    return emailed


def due(*, now=None):
    """Ids of the clubs whose digest is due: listed, their daily limit passed, with runs
    to come published since their last digest."""
    now = now or timezone.now()
    return list(
        Club.objects.listed()
        .filter(Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lte=now - DIGEST_EVERY))
        # One filter() call, so every condition holds for the same run.
        .filter(Q(digest_covered_until__isnull=True)
                | Q(runs__created_at__gt=F("digest_covered_until")),
                runs__created_at__lte=now, runs__starts_at__gte=now,
                runs__cancelled_at__isnull=True)
        .distinct()
        .values_list("pk", flat=True)
    )


def send_due(*, now=None):
    """The sweep: writes every digest that is due and that no task wrote. Returns how
    many clubs' digests were written (to their followers, or to nobody for a club
    nobody follows)."""
    now = now or timezone.now()
    written = 0
    for club_id in due(now=now):
        if send_digest(club_id, now=now).startswith("emailed"):
            written += 1
    return written
