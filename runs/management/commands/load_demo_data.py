"""Demo data for a local run: `make run` calls this every time; it creates what is
missing and leaves the rest alone."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.models import User

DEMO_PASSWORD = "run-together-demo"
DEMO_ACCOUNTS = [
    ("runner@demo.join.run", "Demo runner"),
    ("organiser@demo.join.run", "Demo organiser"),
]


class Command(BaseCommand):
    help = "Create demo accounts (idempotent). Never for production: the password is public."

    def handle(self, *args, **options):
        if settings.HTTPS:
            raise CommandError("Refusing to load demo data with HTTPS=true (production).")
        created = 0
        for email, display_name in DEMO_ACCOUNTS:
            if not User.objects.filter(email=email).exists():
                User.objects.create_user(email, DEMO_PASSWORD, display_name=display_name)
                created += 1
        self.stdout.write(
            f"Demo data: {created} account(s) created, {len(DEMO_ACCOUNTS) - created} already "
            f"there. Log in as {DEMO_ACCOUNTS[0][0]} with the password {DEMO_PASSWORD}."
        )
