"""Every email the runs app sends: only to runners of that run, only when something they
must know changed. One function each, one template pair each; each queues its emails in
the caller's transaction."""

from joinrun import mail


def _send(template, users, context):
    mail.send(template, _reachable(users), context)


def _reachable(users):
    # Accounts without an email (Strava-only) or with one not yet confirmed cannot be
    # told; accounts whose owner asked to restrict processing get no emails but about
    # their request.
    return [u for u in users if u.email_confirmed and u.processing_restricted_at is None]


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
