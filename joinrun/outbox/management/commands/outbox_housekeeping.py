from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from joinrun.outbox import delivery

# Task rows carry an email id, or (a password reset) an account id, registered in
# accounts/personal_data.py; kept a while for staff looking into a problem.
KEEP_TASKS = timedelta(days=7)


class Command(BaseCommand):
    help = ("Every 10 minutes from cron: requeue emails left behind by a stopped worker, "
            "delete sent emails after 7 days and failed ones after 30, and old task rows.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="Say what would be done, and change nothing.")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        with transaction.atomic():
            requeued = delivery.requeue_stalled(now=now)
            purged = delivery.purge(now=now)
            tasks = DBTaskResult.objects.filter(enqueued_at__lt=now - KEEP_TASKS).exclude(
                status="READY").delete()[0]
            if dry_run:
                transaction.set_rollback(True)
        prefix = "[dry run] would have: " if dry_run else ""
        self.stdout.write(f"{prefix}Requeued {requeued} email(s), deleted {purged} old "
                          f"email(s) and {tasks} finished task row(s).")
