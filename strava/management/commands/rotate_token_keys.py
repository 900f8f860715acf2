from django.core.management.base import BaseCommand
from django.db import transaction

from strava.models import StravaConnection


class Command(BaseCommand):
    help = ("Re-encrypts every stored Strava token with the newest key in TOKEN_KEYS, so "
            "older keys can then be removed. Tokens no key opens are reported, not changed.")

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true",
                            help="count what would be re-encrypted, change nothing")

    def handle(self, *args, dry_run=False, **options):
        rotated = unreadable = 0
        with transaction.atomic():
            # Read decrypted with whichever key opens them (None: none does) ...
            rows = StravaConnection.objects.select_for_update().values_list(
                "pk", "access_token", "refresh_token")
            for pk, access, refresh in rows.iterator():
                if access is None or refresh is None:
                    unreadable += 1
                    continue
                rotated += 1
                if not dry_run:
                    # ... and written back encrypted with the newest key.
                    StravaConnection.objects.filter(pk=pk).update(
                        access_token=access, refresh_token=refresh)
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(f"{verb} {rotated} Strava connection(s); {unreadable} could not be "
                          "decrypted with TOKEN_KEYS (those runners must connect again).")
