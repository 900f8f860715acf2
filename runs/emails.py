"""Every email the runs app sends: only to runners of that run, only when something they
must know changed. One function each, one template pair each."""

from django.conf import settings
from django.utils import translation

from joinrun import mail


def _send(template, users, context):
    # These go to other people than the one who made the change, and we keep no language
    # preference, so they are in the site's language, not the sender's.
    with translation.override(settings.LANGUAGE_CODE):
        mail.send(template, _addresses(users), context)


def _addresses(users):
    # Accounts without an email (Strava-only) cannot be told; accounts whose owner asked
    # to restrict processing get no emails but about their request.
    return [u.email for u in users if u.email and u.processing_restricted_at is None]


def _context(run, **extra):
    return {"run": run, "run_url": mail.site_url(run.get_absolute_url()), **extra}


def send_promoted(participation):
    run = participation.run
    _send("run_promoted", [participation.runner], _context(run))


def send_moved_back(participation, position):
    run = participation.run
    _send("run_moved_back", [participation.runner], _context(run, position=position))


def send_changed(run, runners, *, time_changed, place_changed):
    _send("run_changed", runners,
          _context(run, time_changed=time_changed, place_changed=place_changed))


def send_cancelled(run, runners, *, deleted=False):
    """``deleted``: the run is gone with its organiser's account, so no link to it."""
    _send("run_cancelled", runners, _context(run, deleted=deleted))
