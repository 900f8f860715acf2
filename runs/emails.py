"""Every email the runs app sends: only to runners of that run, only when something they
must know changed. One function each, one template pair each; each queues its emails in
the caller's transaction."""

from django.urls import reverse

from accounts.unsubscribe import (
    ORGANISER_MESSAGES,
    REMINDERS,
    one_click_headers,
    unsubscribe_url,
)
from joinrun import mail


def _send(template, users, context):
    """Returns how many were emailed."""
    return mail.send(template, mail.reachable(users), context)


def _context(run, **extra):
    return {"run": run, "run_url": mail.site_url(run.get_absolute_url()), **extra}


def send_promoted(participation):
    run = participation.run
    return _send("run_promoted", [participation.runner], _context(run))


def send_moved_back(participation, position):
    run = participation.run
    return _send("run_moved_back", [participation.runner], _context(run, position=position))


def send_changed(run, runners, *, before, time_changed, place_changed, spot_moved=False,
                 promoted=False, position=None):
    """The run's new time or place, with the old one (``spot_moved``: the same words, a
    new spot on the map, so its link instead); for a runner it also moved up from the
    waitlist (``promoted``) or back onto it (``position``), that too."""
    return _send("run_changed", runners, _context(
        run, before=before, time_changed=time_changed, place_changed=place_changed,
        spot_moved=spot_moved, promoted=promoted, position=position))


def send_cancelled(runs, runners, *, deleted=False):
    """One email listing every cancelled date of ``runs`` (dates of one series, or one
    run). ``deleted``: the runs are gone with their organiser's account, so no link."""
    one_place = len({run.meeting_point for run in runs}) == 1
    return _send("run_cancelled", runners,
                 _context(runs[0], runs=runs, one_place=one_place, deleted=deleted))


# The two kinds a runner may turn off ("Emails I get"): each carries RFC 8058's one-click
# unsubscribe headers, and its body links to the page with the button. Sent one account
# at a time, since the link in the body is that account's own.

def _send_optional(template, users, context, *, kind, wanted):
    emailed = 0
    for user in mail.reachable(u for u in users if getattr(u, wanted)):
        url = unsubscribe_url(user, kind)  # one link, in the text and in the header
        emailed += mail.send(template, [user], {**context, "unsubscribe_url": url},
                             headers=one_click_headers(url))
    return emailed


def send_reminder(run, runners):
    """The reminder a day before ``run``; returns how many were emailed."""
    context = _context(
        run, calendar_url=mail.site_url(reverse("runs:calendar", args=[run.pk])))
    return _send_optional("run_reminder", runners, context, kind=REMINDERS,
                          wanted="reminder_emails")


def send_organiser_message(run, runners, *, text, sender):
    """``sender``'s ``text`` to ``runners`` (the sender organises the run, or its club);
    returns how many were emailed. The text lives only in the queued emails, which the
    outbox blanks once sent."""
    context = _context(run, text=text, organiser_name=sender.display_name)
    return _send_optional("organiser_message", runners, context, kind=ORGANISER_MESSAGES,
                          wanted="organiser_emails")


def send_reopened(runner, places):
    """One email to ``runner``: the runs of ``places`` (their participations, loaded
    ``with_position()``) are on again, with their place on each."""
    places = sorted(places, key=lambda place: place.run.starts_at)
    run = places[0].run
    one_place = len({place.run.meeting_point for place in places}) == 1
    context = _context(run, places=places, one_place=one_place)
    if len(places) > 1 and run.series:
        context["series_url"] = mail.site_url(reverse("runs:series", args=[run.series]))
    return _send("run_reopened", [runner], context)


def send_removed(participation, *, reason=""):
    """The organiser took ``participation``'s runner off its run, saying ``reason``."""
    run = participation.run
    return _send("run_removed", [participation.runner], _context(
        run, reason=reason, was_waiting=not participation.is_going))
