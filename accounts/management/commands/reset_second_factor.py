"""Removes a person's second factors (authenticator app, recovery codes and passkeys), for
someone who lost them all: `manage.py reset_second_factor ana@example.com --by boss@example.com`."""

import getpass

from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts import emails, second_factor
from accounts.models import Session, User, normalize_email

AUDIT_MESSAGE = "Second factor reset by manage.py reset_second_factor"


class Command(BaseCommand):
    help = ("Removes an account's authenticator app, recovery codes and passkeys and signs "
            "it out everywhere; the staff pages' history records who did it.")

    def add_arguments(self, parser):
        parser.add_argument("email", help="the account whose second factors are removed")
        parser.add_argument("--by", required=True,
                            help="the email of the superuser doing this, for the audit trail")

    def handle(self, *args, email, by, **options):
        superuser = User.objects.filter(email=normalize_email(by), is_active=True,
                                        is_superuser=True).first()
        if superuser is None:
            raise CommandError(f"--by must be an active superuser's email; {by!r} is not.")
        person = User.objects.filter(email=normalize_email(email)).first()
        if person is None:
            raise CommandError(f"No account has the email {email!r}.")
        with transaction.atomic():
            removed = second_factor.remove_every_factor(person)
            if not removed:
                self.stdout.write(f"Nothing to remove: {email} has no second factor.")
                return
            emails.send_second_factor_off(person, reset=True)
            # Whoever holds a session from before is signed out and starts again.
            ended, _by_model = Session.objects.filter(user=person).delete()
            # --by is whom the operator names; the system account says who typed it.
            LogEntry.objects.create(
                user=superuser, content_type=ContentType.objects.get_for_model(User),
                object_id=str(person.pk), object_repr=str(person)[:200], action_flag=CHANGE,
                change_message=f"{AUDIT_MESSAGE} (run as {_system_user()})",
            )
        self.stdout.write(f"Second factors removed; {ended} sessions ended.")


def _system_user():
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a bare container)
        return "an unknown system user"
