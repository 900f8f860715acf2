"""Who came to a run: join run's own fact, marked on join run.

A runner says "I was there", or an organiser checks runners in at the meeting point.
Nothing else marks anyone: a linked Strava activity is for its runner's eyes alone
(Strava's rule), so what others see is never derived from it. Marks can be
made from the run's start until CHECK_IN_DAYS after it: long enough to catch up after a
weekend, short enough that a mark is still something somebody remembers.

Everyone on the run and its organisers see who came.
"""

import csv
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from joinrun.page_cache import pages_changed

from .models import AttendanceMarker, Participation

CHECK_IN_DAYS = 7
# Spreadsheets run a cell that starts with one of these as a formula: a display name
# such as "=HYPERLINK(...)" must stay text in the organiser's spreadsheet.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AttendanceClosed(Exception):
    """Marking outside the run's check-in window; str() says why, for the person."""


def closes_at(run):
    return run.starts_at + timedelta(days=CHECK_IN_DAYS)


def is_open(run, now=None):
    """Whether who came may be marked now: from the start until CHECK_IN_DAYS after."""
    now = now or timezone.now()
    return not run.is_cancelled and run.starts_at <= now < closes_at(run)


def refusal(run, now=None):
    """Why who came cannot be marked now, or None when it can."""
    now = now or timezone.now()
    if run.is_cancelled:
        return _("This run was cancelled, so there is nobody to check in.")
    if not run.has_started(now):
        return _("Check-in opens when the run starts.")
    if now >= closes_at(run):
        return ngettext("Check-in closed %(days)s day after the run started.",
                        "Check-in closed %(days)s days after the run started.",
                        CHECK_IN_DAYS) % {"days": CHECK_IN_DAYS}
    return None


def mark(participation, *, came, by, now=None):
    """Marks that the runner came (``came``) or takes the mark back; ``by`` is an
    AttendanceMarker. A second "came" keeps the first mark and who made it. Returns False
    when the participation is gone (the runner left or was removed meanwhile)."""
    now = now or timezone.now()
    reason = refusal(participation.run, now)
    if reason:
        raise AttendanceClosed(reason)
    if by != AttendanceMarker.RUNNER and participation.runner.processing_restricted_at:
        # GDPR Art. 18: nothing new is recorded about them but at their own request.
        raise AttendanceClosed(_("This runner asked us to restrict processing of their "
                                 "data, so only they can mark that they came."))
    with transaction.atomic():
        # Locked, so a runner leaving (or erased) at this moment is "gone", not an error.
        locked = Participation.objects.select_for_update().filter(pk=participation.pk).first()
        if locked is None:
            return False
        if came and locked.attended_at is None:
            locked.attended_at, locked.attended_by = now, by
        elif not came:
            locked.attended_at, locked.attended_by = None, ""
        Participation.objects.filter(pk=locked.pk).update(attended_at=locked.attended_at,
                                                          attended_by=locked.attended_by)
    participation.attended_at, participation.attended_by = (locked.attended_at,
                                                            locked.attended_by)
    # "N came" is on public run cards and pages.
    pages_changed()
    return True


@dataclass
class Row:
    """One runner on the check-in list and in the CSV file."""

    participation: Participation
    name: str | None  # None: the runner asked us to restrict processing of their data
    withheld_number: int | None = None  # "Runner 2 (name withheld)", to tell them apart

    @property
    def came(self):
        return self.participation.attended_at is not None

    @property
    def label(self):
        if self.name is not None:
            return self.name
        return _("Runner %(number)s (name withheld)") % {"number": self.withheld_number}


def rows_of(run, viewer):
    """Everyone on the run, going first then the waitlist in its order, each with the
    name the viewer may see: a runner who asked us to restrict processing of their data
    is listed without it (unless it is the viewer)."""
    participations = (run.participations.select_related("runner").with_position()
                      .order_by("status", "joined_at", "pk"))  # "going" < "waitlisted"
    rows, withheld = [], 0
    for participation in participations:
        runner = participation.runner
        if runner.processing_restricted_at and runner.pk != viewer.pk:
            withheld += 1
            rows.append(Row(participation, None, withheld))
        else:
            rows.append(Row(participation, runner.display_name))
    return rows


def _cell(text):
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def write_csv(rows, out):
    """The run's list for its organiser: name, status, place on the waitlist, whether
    they came. Never an email address: the organiser writes to runners through the site."""
    writer = csv.writer(out)
    writer.writerow([_("Display name"), _("Status"), _("Place on the waitlist"),
                     _("Came")])
    for row in rows:
        participation = row.participation
        writer.writerow([
            _cell(row.label),
            participation.get_status_display(),
            "" if participation.is_going else participation.position,
            _("yes") if row.came else _("no"),
        ])
