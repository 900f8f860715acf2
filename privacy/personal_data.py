"""What the privacy app keeps about a person: its entries in the personal-data register."""

from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from . import services
from .models import DataRequest

TICKET_RETENTION = _("Kept as the record the law asks for; the contact email and details are "
                     "emptied 24 months after the request is closed. Deleting your account "
                     "unlinks it from the request.")


def export_requests(user):
    return [
        {
            "reference": ticket.reference,
            "right": ticket.kind,
            "law": ticket.regime,
            "status": ticket.status,
            "contact_email": ticket.contact_email,
            "details": ticket.details,
            "received_at": iso(ticket.received_at),
            "due_on": ticket.effective_due_on.isoformat(),
            "closed_at": iso(ticket.closed_at),
            "our_reply": ticket.outcome or ticket.refusal_explanation,
            "extension_reason": ticket.extension_reason,
            "how_staff_checked_your_identity": ticket.identity_check,
        }
        for ticket in DataRequest.objects.filter(user=user).order_by("received_at")
    ]


def erase_requests(user):
    """The tickets stay as the legal record of how each request was answered (the database
    sets their account to null when the account goes), but an export built for one is the
    account's data and goes with it, whichever path erases the account."""
    for ticket in DataRequest.objects.filter(user=user).exclude(export_file=""):
        # Deleted at once, not on commit: should the erasure fail, staff rebuild the
        # export; a file left behind would be data we promised to delete.
        services.delete_export_file(ticket)
        ticket.export_file, ticket.export_expires_at = "", None
        ticket.save(update_fields=["export_file", "export_expires_at"])
        ticket.log("export_deleted")


SECTIONS = [
    Section(
        name="data_requests",
        title=_("Your data requests"),
        fields=(
            PersonalField("privacy.DataRequest", "user",
                          _("Which account a request is about, to act on it."),
                          TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "contact_email",
                          _("Where we send the answer to your request, and the link to "
                            "confirm it is you."), TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "details",
                          _("What you told us about your request."), TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "outcome",
                          _("Our reply to your request, as sent to you."), TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "refusal_explanation",
                          _("Why we could not act on a request, as sent to you."),
                          TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "extension_reason",
                          _("Why we needed more time, as sent to you."), TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "identity_check",
                          _("How we made sure you hold the account a request is about, "
                            "when you wrote from another address."), TICKET_RETENTION),
            PersonalField("privacy.DataRequest", "assignee",
                          _("Which staff member answers a request (staff only)."),
                          TICKET_RETENTION),
            PersonalField("privacy.DataRequestEvent", "actor",
                          _("Which staff member took each step on a request (staff only)."),
                          TICKET_RETENTION),
        ),
        export_for=export_requests,
        erase_for=erase_requests,
    ),
]
