from datetime import datetime, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from clubs import digests
from clubs.models import INVITATION_DAYS, Invitation

# The register promises an invitation is deleted at most two weeks after it goes stale.
INVITATIONS_KEPT = timedelta(days=2 * INVITATION_DAYS)


class Command(BaseCommand):
    help = ("Hourly from cron, beside the worker: writes the \"New runs from <club>\" "
            "digests that are due and were not sent by their own task (runs added in the "
            "admin, a task lost with a worker), and deletes invitations to co-organise "
            "two weeks after they went stale.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="pretend it is this ISO time (with its zone)")
        parser.add_argument("--dry-run", action="store_true",
                            help="say what would be done, change and send nothing")

    def handle(self, *args, now=None, dry_run=False, **options):
        now = _parse_now(now) if now else timezone.now()
        old_invitations = Invitation.objects.filter(created_at__lt=now - INVITATIONS_KEPT)
        if dry_run:
            self.stdout.write(f"[dry run] would: write the digests of "
                              f"{len(digests.due(now=now))} club(s)")
            self.stdout.write(f"[dry run] would: delete {old_invitations.count()} "
                              "stale invitation(s)")
            return
        written = digests.send_due(now=now)
        deleted = old_invitations.delete()[0]
        self.stdout.write(f"Wrote the digests of {written} club(s).")
        self.stdout.write(f"Deleted {deleted} stale invitation(s).")


def _parse_now(text):
    try:
        now = datetime.fromisoformat(text)
    except ValueError:
        raise CommandError("--now takes an ISO time, like 2026-12-01T18:00+01:00") from None
    return timezone.make_aware(now) if timezone.is_naive(now) else now
