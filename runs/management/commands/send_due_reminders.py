from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from runs import reminders


class Command(BaseCommand):
    help = ("Hourly from cron, beside the worker: sends the reminders that are due and were "
            "not sent by their own task (runs older than reminders, a task lost with a "
            "worker). A run's reminder goes out once, whoever sends it.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="pretend it is this ISO time (with its zone)")

    def handle(self, *args, now=None, **options):
        if now:
            try:
                now = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    "--now takes an ISO time, like 2026-12-01T18:00+01:00") from None
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        sent = reminders.send_due(now=now)
        self.stdout.write(f"Sent the reminders of {sent} run(s).")
