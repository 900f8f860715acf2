"""The outbox in the personal-data register: queued emails hold an address and a text."""

from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from .models import Email

# Sent to the address after the account is gone: erasure keeps it.
GOODBYE = "goodbye"
RETENTION = _("Until the email is sent (30 days when it cannot be sent); the row without "
              "address or text is kept 7 days after sending.")


def _to_person(user):
    emails = Email.objects.filter(user=user)
    if user.email:
        emails = emails | Email.objects.filter(to=user.email)
    return emails


def export_emails(user):
    # The address and text are emptied once the mail server has them, so they show only
    # for emails still waiting; the queue's bookkeeping (attempts, which worker) is not
    # about you.
    return [
        {"kind": e.kind, "to": e.to, "language": e.language, "subject": e.subject,
         "body": e.body, "headers": e.headers, "status": e.status,
         "queued_at": iso(e.created_at), "sent_at": iso(e.sent_at),
         "delivery_error": e.last_error}
        for e in _to_person(user).order_by("created_at", "pk")
    ]


def erase_emails(user):
    _to_person(user).exclude(kind=GOODBYE).delete()


SECTION = Section(
    name="emails",
    title=_("Emails to you"),
    fields=(
        PersonalField("outbox.Email", "to", _("The address an email goes to, until it is "
                      "sent."), RETENTION),
        PersonalField("outbox.Email", "subject", _("The email's subject, until it is sent."),
                      RETENTION),
        PersonalField("outbox.Email", "body", _("The email's text, until it is sent."),
                      RETENTION),
        PersonalField("outbox.Email", "headers", _("The email's own unsubscribe link, "
                      "until it is sent."), RETENTION),
        PersonalField("outbox.Email", "language", _("The language the email is written "
                      "in."), RETENTION),
        PersonalField("outbox.Email", "user", _("The account the email is for, so erasing "
                      "the account removes it."), RETENTION),
    ),
    export_for=export_emails,
    erase_for=erase_emails,
)
