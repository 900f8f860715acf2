"""Runs as iCalendar (RFC 5545), built with the icalendar library: one run's file, and the
feeds calendar apps subscribe to (a club's, and each person's private one).

An event says the same wherever it comes from, so an app holding a run from one source
updates it from another: the same UID; SEQUENCE from the run, so a moved or cancelled run
replaces the copy; DTSTAMP from the run's last change, so the bytes change only when the
data does (a feed's ETag relies on it). No METHOD: with one, a file is an iTIP message
(RFC 5546) that would need an ORGANIZER and replies.
"""

from datetime import UTC, timedelta

from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration, vGeo

from joinrun.mail import site_url

PRODID = "-//join run//join.run//EN"
# Not SITE_URL's host: a UID must outlive a move of the site to another address.
UID_DOMAIN = "join.run"
# Feeds carry the runs of the last 30 days, so a run stays in the calendar after it.
FEED_PAST = timedelta(days=30)
# How often a calendar app should fetch a feed again (RFC 7986, and Outlook's older name).
REFRESH = timedelta(hours=1)
# Part of every feed's fingerprint: bump it when what an event says changes, so calendar
# apps fetch every feed anew instead of keeping the old wording.
FORMAT_VERSION = 1


def ics_for(run):
    """One run as a calendar file, for download."""
    calendar = _calendar()
    calendar.add_component(_event(run))
    return calendar.to_ical()


def feed_ics(runs, *, name, waitlisted=frozenset(), moves=None):
    """A feed named ``name`` with ``runs``; the pks in ``waitlisted`` are the reader's
    places on a waitlist, shown as tentative; ``moves`` (pk -> count) how often the
    reader's place moved between going and the waitlist, added to the SEQUENCE."""
    moves = moves or {}
    calendar = _calendar()
    calendar.add("x-wr-calname", name)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # an X- name: no type known
    for run in runs:
        calendar.add_component(_event(run, waitlisted=run.pk in waitlisted,
                                      moves=moves.get(run.pk, 0)))
    return calendar.to_ical()


def _calendar():
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    return calendar


def _event(run, *, waitlisted=False, moves=0):
    event = Event()
    event.add("uid", f"run-{run.pk}@{UID_DOMAIN}")
    event.add("dtstamp", run.updated_at.astimezone(UTC))
    # Both only grow, so a status change of the reader's own place raises it too.
    event.add("sequence", run.sequence + moves)
    event.add("dtstart", run.starts_at.astimezone(UTC))
    event.add("dtend", run.estimated_end().astimezone(UTC))
    event.add("last-modified", run.updated_at.astimezone(UTC))
    if run.is_cancelled:
        # Apps that ignore STATUS (many do) still show the word.
        event.add("summary", _("Cancelled: %(title)s") % {"title": run.title})
        event.add("status", "CANCELLED")
    else:
        event.add("summary", run.title)
        event.add("status", "TENTATIVE" if waitlisted else "CONFIRMED")
    event.add("location", run.meeting_point)
    if run.has_coordinates:
        event.add("geo", vGeo((float(run.latitude), float(run.longitude))))
    event.add("description", _description(run, waitlisted=waitlisted))
    event.add("url", site_url(run.get_absolute_url()))
    return event


def _description(run, *, waitlisted):
    description = f"{run.distance_text} km"
    if run.pace_range:
        description += f", {run.pace_range} /km"
    if run.description:
        description += f"\n\n{run.description}"
    if waitlisted and not run.is_cancelled:
        description = _("You're on the waitlist") + "\n\n" + description
    return description
