"""A run as an iCalendar file, built with the icalendar library."""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vGeo

from joinrun.mail import site_url


def ics_for(run, *, now=None):
    calendar = Calendar()
    calendar.add("prodid", "-//join run//join.run//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")

    event = Event()
    # Stable across downloads and edits, so a calendar updates the event it already has.
    event.add("uid", f"run-{run.pk}@{urlsplit(settings.SITE_URL).hostname}")
    event.add("dtstamp", now or timezone.now())
    event.add("dtstart", run.starts_at.astimezone(UTC))
    event.add("dtend", run.estimated_end().astimezone(UTC))
    event.add("last-modified", run.updated_at.astimezone(UTC))
    event.add("summary", run.title)
    event.add("location", run.meeting_point)
    if run.has_coordinates:
        event.add("geo", vGeo((float(run.latitude), float(run.longitude))))
    description = f"{run.distance_text} km"
    if run.pace_range:
        description += f", {run.pace_range} /km"
    if run.description:
        description += f"\n\n{run.description}"
    event.add("description", description)
    event.add("url", site_url(run.get_absolute_url()))
    event.add("status", "CANCELLED" if run.is_cancelled else "CONFIRMED")
    calendar.add_component(event)
    return calendar.to_ical()
