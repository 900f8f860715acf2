"""What the runs app keeps about a person: its entries in the personal-data register."""

import copy
import functools

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from joinrun.mail import site_url
from joinrun.personal_data import PersonalField, Section, iso

from . import emails
from .models import Participation, Run
from .page_cache import runs_changed


def export_organised_runs(user):
    return [
        {
            "title": run.title,
            "starts_at": iso(run.starts_at),
            "meeting_point": run.meeting_point,
            "latitude": run.latitude,
            "longitude": run.longitude,
            "distance_km": run.distance_km,
            "pace_per_km": run.pace_range,
            "capacity": run.capacity,
            "description": run.description,
            "weekly_series": str(run.series) if run.series else None,
            "cancelled_at": iso(run.cancelled_at),
            "cancel_reason": run.cancel_reason,
            "created_at": iso(run.created_at),
            "url": site_url(run.get_absolute_url()),
        }
        for run in Run.objects.filter(organiser=user).order_by("starts_at", "pk")
    ]


def export_participations(user):
    participations = Participation.objects.filter(runner=user).select_related("run")
    return [
        {
            "run": p.run.title,
            "starts_at": iso(p.run.starts_at),
            "status": p.status,
            "joined_at": iso(p.joined_at),
            "attended_at": iso(p.attended_at),
            "url": site_url(p.run.get_absolute_url()),
        }
        for p in participations.order_by("run__starts_at", "pk")
    ]


def erase_organised_runs(user):
    """Future runs are cancelled (their runners are told) and deleted; past runs stay for
    the runners who ran them, without a link to the person."""
    now = timezone.now()
    for run in Run.objects.filter(organiser=user).upcoming(now):
        runners = [runner for runner in run.runners() if runner.pk != user.pk]
        if not run.is_cancelled and runners:
            # In the site's language, like the email it goes into.
            with translation.override(settings.LANGUAGE_CODE):
                run.cancel_reason = str(_("The organiser closed their account."))
            # The email goes out only if the whole erasure commits.
            transaction.on_commit(
                functools.partial(emails.send_cancelled, copy.copy(run), runners, deleted=True)
            )
        run.delete()
    Run.objects.filter(organiser=user).update(organiser=None, updated_at=now)
    runs_changed()


def erase_participations(user):
    now = timezone.now()
    for participation in Participation.objects.filter(runner=user).select_related("run"):
        run = participation.run
        # Runs that have started need no promotion; runs the person organises are
        # deleted with their other data, and their runners told once.
        if run.has_started(now) or run.organiser_id == user.pk:
            participation.delete()
            continue
        for promoted in run.leave(user, now=now):
            transaction.on_commit(functools.partial(emails.send_promoted, promoted))


UNTIL_LEFT = _("Until you leave the run or delete your account.")

SECTIONS = [
    Section(
        name="organised_runs",
        title=_("Runs you organise"),
        fields=(
            PersonalField(
                "runs.Run", "organiser",
                _("To show runners who organises a run (your display name), and to let only "
                  "you change or cancel it. The run's title, time, place and description are "
                  "what you wrote for runners to read."),
                _("Until you delete your account: future runs are then cancelled and "
                  "deleted, past runs stay for the runners who ran them without a link to "
                  "you."),
            ),
        ),
        export_for=export_organised_runs,
        erase_for=erase_organised_runs,
    ),
    Section(
        name="participations",
        title=_("Runs you joined"),
        fields=(
            PersonalField(
                "runs.Participation", "runner",
                _("To keep your place on a run or its waitlist, and to email you when it "
                  "changes. The organiser and the run's other runners see your display "
                  "name; everyone else sees only a count."),
                UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "status",
                _("Whether you are going or on the waitlist."), UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "joined_at",
                _("First come, first served: the waitlist's order."), UNTIL_LEFT,
            ),
            PersonalField(
                "runs.Participation", "attended_at",
                _("That you ran it, when you link your own Strava activity to the run."),
                UNTIL_LEFT,
            ),
        ),
        export_for=export_participations,
        erase_for=erase_participations,
    ),
]
