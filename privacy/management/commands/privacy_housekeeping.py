"""Daily (cron): what keeps data requests on time and data no longer than promised.
Idempotent: running it twice in a day changes nothing the second time but a reminder,
which is sent at most once a day."""

from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from privacy import emails, services
from privacy.models import DataRequest

REMIND_DAYS = 3
PURGE_AFTER = timedelta(days=730)  # 24 months after closing


class Command(BaseCommand):
    help = ("Close requests never confirmed within 7 days, remind staff of data requests "
            "due within 3 days or overdue, delete expired "
            "export files, purge contact details from requests closed over 24 months ago, "
            "and remove expired sessions.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="say what would be done, change and send nothing")

    def handle(self, *args, dry_run=False, **options):
        now = timezone.now()
        self.dry_run = dry_run
        closed = services.close_unverified(now=now, dry_run=dry_run)
        self.say(f"close {closed} request(s) never confirmed within "
                 f"{services.UNVERIFIED_DAYS} days")
        self.remind(now)
        self.delete_expired_exports(now)
        self.purge_old_tickets(now)
        self.clear_sessions()

    def say(self, text):
        self.stdout.write(("[dry run] would: " if self.dry_run else "") + text)

    def remind(self, now):
        today = timezone.localdate(now)
        due = list(DataRequest.objects.due_by(today + timedelta(days=REMIND_DAYS))
                   .order_by("due_on"))
        # Once a day per ticket, so a second run that day sends nothing.
        due = [t for t in due if not t.events.filter(action="reminder_sent",
                                                    at__date=today).exists()]
        self.say(f"remind staff of {len(due)} data request(s) due soon or overdue")
        if due and not self.dry_run:
            with transaction.atomic():
                emails.send_staff_reminder(due, today)
                for ticket in due:
                    ticket.log("reminder_sent")

    def delete_expired_exports(self, now):
        expired = DataRequest.objects.exclude(export_file="").filter(export_expires_at__lte=now)
        self.say(f"delete {expired.count()} expired export file(s)")
        if self.dry_run:
            return
        for ticket in expired:
            services.delete_export_file(ticket)
            ticket.export_file = ""
            ticket.save(update_fields=["export_file"])
            ticket.log("export_deleted")

    def purge_old_tickets(self, now):
        old = DataRequest.objects.filter(closed_at__lte=now - PURGE_AFTER,
                                         pii_purged_at__isnull=True)
        self.say(f"purge contact details from {old.count()} request(s) closed over 24 "
                 "months ago")
        if self.dry_run:
            return
        for ticket in old:
            with transaction.atomic():
                ticket.contact_email = ""
                ticket.details = ""
                ticket.identity_check = ""
                ticket.outcome = ""
                ticket.refusal_explanation = ""
                ticket.extension_reason = ""
                ticket.pii_purged_at = now
                ticket.save()
                ticket.log("contact_details_purged")

    def clear_sessions(self):
        self.say("remove expired sessions")
        if not self.dry_run:
            call_command("clearsessions")
