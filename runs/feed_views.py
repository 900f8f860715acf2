"""Calendar feeds that calendar apps subscribe to: each club's public one, and each
person's private one, found by the secret in its address.

Apps poll every few minutes, so an answer starts from a fingerprint of the feed's rows,
taken without rendering anything: a reader whose ETag or Last-Modified still holds gets a
304. Last-Modified is when that fingerprint was last seen to change, kept on the club's
or the feed's row, because a run leaving a feed (its runner left, the 30 days moved on)
changes no run's ``updated_at``.
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.db.models import BooleanField, ExpressionWrapper, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.gzip import gzip_page
from django.views.decorators.http import require_POST, require_safe

from clubs.models import Club, ClubSlug

from . import calendar
from .models import CalendarFeed, Participation, Run

# What secrets.token_urlsafe() makes. Anything else is no key and never reaches the
# database (PostgreSQL refuses a NUL in a query: a 500 instead of a 404).
TOKEN = re.compile(r"[A-Za-z0-9_-]{32,64}")
# Calendar apps and caches may reuse an answer this long before asking again; a 304
# makes asking cheap, and the feed says to refresh hourly.
MAX_AGE = 5 * 60


@require_safe
@gzip_page
def club_calendar(request, slug):
    club = Club.objects.filter(slug=slug, deactivated_at__isnull=True).first()
    if club is None:
        return _renamed_club(slug)
    runs = club.runs.filter(starts_at__gte=timezone.now() - calendar.FEED_PAST)
    rows = runs.values_list("pk", "updated_at", "sequence")
    fingerprint = _fingerprint("club", club.pk, club.name, rows=rows)
    changed_at = _last_change(club, fingerprint, "feed_fingerprint", "feed_changed_at")
    language = translation.get_language()
    response = _answer(
        request, fingerprint, changed_at, language,
        render=lambda: _stored(f"club-feed:{fingerprint}:{language}", lambda: calendar.feed_ics(
            runs.order_by("starts_at", "pk"), name=club.name)),
    )
    # The same for everyone who reads it in one language (LocaleMiddleware adds the Vary).
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    response["Content-Disposition"] = f'attachment; filename="{club.slug}.ics"'
    return response


def _stored(key, render):
    """A public feed's bytes, kept in this worker's memory under its fingerprint: a new
    subscriber, or an app that never asks conditionally, costs no rendering (about 100 ms
    for 500 events). A change makes a new fingerprint, so nothing stale is served."""
    pages = caches["pages"]
    body = pages.get(key)
    if body is None:
        body = render()
        pages.set(key, body, timeout=60 * 60)
    return body


def _renamed_club(slug):
    """A subscription made before the club was renamed follows it, as its page does."""
    old = ClubSlug.objects.filter(slug=slug, club__deactivated_at__isnull=True).select_related(
        "club").first()
    if old is None:
        raise Http404
    return redirect("runs:club_calendar", old.club.slug, permanent=True)


@require_safe
@gzip_page
def my_calendar(request):
    feed = _feed_for(request.GET.get("token", ""))
    user = feed.user
    runs = _runs_of(user, timezone.now() - calendar.FEED_PAST)
    rows = runs.values_list("pk", "updated_at", "sequence", "my_status", "my_moves",
                            "managing")
    fingerprint = _fingerprint("person", user.pk, rows=rows)
    changed_at = _last_change(feed, fingerprint, "fingerprint", "changed_at")
    # In the account's language: the calendar app that reads it sends none of its own.
    with translation.override(user.language):
        response = _answer(request, fingerprint, changed_at, user.language,
                           render=lambda: _personal_ics(runs))
    # Whoever has the address sees the runs: no shared cache keeps them, and a link in
    # an event opened from the feed does not send the address on.
    patch_cache_control(response, private=True, max_age=MAX_AGE)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _feed_for(token):
    """The feed ``token`` opens, with its owner; 404, the same for every wrong token."""
    if not TOKEN.fullmatch(token):
        raise Http404
    feed = CalendarFeed.objects.select_related("user").filter(
        secret=token, user__is_active=True).first()
    if feed is None:
        raise Http404
    return feed


def _runs_of(user, since):
    """The runs ``user`` goes to, waits for or organises, from ``since`` on, with
    ``my_status`` (their participation's, or None), ``my_moves`` (how often that place
    moved between going and the waitlist) and ``managing``."""
    mine = Participation.objects.filter(run=OuterRef("pk"), runner=user)
    managing = Q(pk__in=Run.objects.managed_by(user).values("pk"))
    return (
        Run.objects.filter(starts_at__gte=since)
        .annotate(my_status=Subquery(mine.values("status")[:1]),
                  my_moves=Subquery(mine.values("status_changes")[:1]),
                  managing=ExpressionWrapper(managing, output_field=BooleanField()))
        .filter(managing | Q(my_status__isnull=False))
        .order_by("starts_at", "pk")
    )


def _personal_ics(runs):
    runs = list(runs)
    # An organiser on their own run's waitlist is there all the same.
    waitlisted = {run.pk for run in runs
                  if run.my_status == Participation.Status.WAITLISTED and not run.managing}
    moves = {run.pk: run.my_moves or 0 for run in runs}
    return calendar.feed_ics(runs, name=_("join run: my runs"), waitlisted=waitlisted,
                             moves=moves)


def _fingerprint(*about, rows):
    """What a feed's bytes depend on, besides the language: the rows' identities and
    versions, what ``about`` names, the site's address and the format."""
    content = repr((calendar.FORMAT_VERSION, settings.SITE_URL, about, list(rows)))
    return hashlib.sha256(content.encode()).hexdigest()[:32]


def _last_change(row, fingerprint, fingerprint_field, changed_field, now=None):
    """When the feed's content last changed: ``row`` keeps the fingerprint and the
    moment it was first seen. A new fingerprint is stored with one conditional UPDATE;
    an unchanged one costs no query."""
    previous = getattr(row, changed_field)
    if getattr(row, fingerprint_field) == fingerprint and previous is not None:
        return previous
    now = now or timezone.now()
    # Last-Modified has whole seconds: a change must reach the next one, or a reader
    # who fetched earlier in the same second would be told nothing changed.
    changed_at = now if previous is None else max(
        now, previous.replace(microsecond=0) + timedelta(seconds=1))
    stored = type(row).objects.filter(pk=row.pk).exclude(**{fingerprint_field: fingerprint})
    if not stored.update(**{fingerprint_field: fingerprint, changed_field: changed_at}):
        # Another request stored this fingerprint a moment ago: its moment stands.
        stored_at = type(row).objects.filter(pk=row.pk).values_list(changed_field, flat=True)
        changed_at = stored_at.first() or changed_at
    return changed_at


def _answer(request, fingerprint, changed_at, language, *, render):
    """The feed, or a 304 when the reader's copy is current: ``render`` runs only then."""
    response = HttpResponse(content_type="text/calendar; charset=utf-8")
    # Weak: the same feed is sent gzipped or not. Nothing secret is in a feed's body, so
    # compressing it gives nothing away (BREACH needs a secret beside the attacker's text).
    response["ETag"] = f'W/"{fingerprint}-{language}"'
    response["Last-Modified"] = http_date(changed_at.timestamp())
    answer = get_conditional_response(request, etag=response["ETag"],
                                      last_modified=int(changed_at.timestamp()),
                                      response=response)
    if answer is response:
        response.content = render()
    return answer


@require_POST
@login_required
def new_link(request):
    """Makes the person's feed address, or replaces it: the old one stops working now."""
    replacing = CalendarFeed.objects.filter(user=request.user).exists()
    CalendarFeed.objects.update_or_create(
        user=request.user,
        defaults={"secret": secrets.token_urlsafe(32), "created_at": timezone.now()},
    )
    if replacing:
        messages.success(request, _(
            "Your calendar has a new link. The old link has stopped working: calendar apps "
            "subscribed to it get no more updates, so subscribe again with the new one."))
    else:
        messages.success(request, _(
            "Your calendar link is ready. Subscribe to it in your calendar app."))
    return redirect("accounts:profile")
