"""The organiser's message to a run's runners, from the run page.

Each runner gets their own email (the outbox sends one per address), so nobody sees
another's address; the text lives only in those queued emails, which the outbox blanks
once sent, and is never logged. Five messages per run a day at most, counted in the
shared cache (joinrun.ratelimit), so a run's runners are not flooded.
"""

from datetime import UTC, datetime

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from joinrun.ratelimit import Limiter
from joinrun.views import too_many

from . import emails
from .forms import OrganiserMessageForm
from .models import Participation, Run

MESSAGES_PER_DAY = 5
message_limit = Limiter("organiser-message", limit=MESSAGES_PER_DAY, window=24 * 60 * 60)
TEMPLATE = "runs/message.html"


def _run_for_organiser(request, run_id):
    run = get_object_or_404(Run.objects.select_related("organiser", "club"), pk=run_id)
    if not run.is_managed_by(request.user):
        raise PermissionDenied
    return run


def _why_closed(run, now):
    """Why no message can be sent about ``run`` now, or None."""
    if run.is_cancelled:
        return _("This run is cancelled, so its runners can no longer be messaged.")
    if run.has_started(now):
        return _("This run has started, so its runners can no longer be messaged.")
    return None


@login_required
def message_runners(request, run_id):
    run = _run_for_organiser(request, run_id)
    form = OrganiserMessageForm(request.POST if request.method == "POST" else None)
    closed = _why_closed(run, timezone.now())
    if closed:
        return render(request, TEMPLATE, {"run": run, "form": form, "error": closed},
                      status=409)
    if request.method != "POST":
        return render(request, TEMPLATE, {"run": run, "form": form})
    if not form.is_valid():
        return render(request, TEMPLATE, {"run": run, "form": form}, status=400)
    with transaction.atomic():
        # Under the run's lock: a cancel that committed while the form was checked wins,
        # and messages sent at the same moment are counted one after the other.
        locked = Run.objects.select_for_update().get(pk=run.pk)
        closed = _why_closed(locked, timezone.now())
        if closed:
            return render(request, TEMPLATE, {"run": run, "form": form, "error": closed},
                          status=409)
        window = message_limit.exceeded(str(run.pk))
        if window:
            until = datetime.fromtimestamp(window.resets_at, tz=UTC)
            return too_many(request, TEMPLATE, until, run=run, form=form, limited=True)
        audience = _audience(run, form.cleaned_data["audience"])
        emailed = emails.send_organiser_message(run, audience, text=form.cleaned_data["text"],
                                               sender=request.user)
        if emailed:
            message_limit.record(str(run.pk))
    messages.success(request, _told(form.cleaned_data["audience"], len(audience), emailed))
    return redirect(run)


def _audience(run, audience):
    statuses = [Participation.Status.GOING]
    if audience == OrganiserMessageForm.GOING_AND_WAITING:
        statuses.append(Participation.Status.WAITLISTED)
    return list(get_user_model().objects.filter(
        participations__run=run, participations__status__in=statuses).order_by("pk"))


def _told(audience, runners, emailed):
    """The organiser's confirmation: who was told."""
    if not runners:
        if audience == OrganiserMessageForm.GOING:
            return _("Nobody is going, so nobody was emailed.")
        return _("Nobody is going or waiting, so nobody was emailed.")
    told = ngettext("%(count)s runner was emailed.", "%(count)s runners were emailed.",
                    emailed) % {"count": emailed}
    if emailed < runners:
        # A count only: who turned messages off is theirs to know.
        told += " " + ngettext(
            "%(count)s runner can't get messages from organisers (turned off, or no "
            "confirmed email).",
            "%(count)s runners can't get messages from organisers (turned off, or no "
            "confirmed email).", runners - emailed) % {"count": runners - emailed}
    return told
