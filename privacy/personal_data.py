"""What the privacy app keeps about a person: its entries in the personal-data register."""

from django.utils.translation import gettext_lazy as _

from joinrun.personal_data import PersonalField, Section, iso

from . import services
from .models import DataRequest, DataRequestEvent

TICKET_RETENTION = _("Kept as the record the law asks for; the contact email and details are "
                     "emptied 24 months after the request is closed. Deleting your account "
                     "unlinks it from the request.")


def export_requests(user):
    tickets = DataRequest.objects.filter(user=user).prefetch_related("events")
    return [
        {
            "reference": ticket.reference,
            "right": ticket.kind,
            "law": ticket.regime,
            "status": ticket.status,
            "how_it_reached_us": ticket.channel,
            "contact_email": ticket.contact_email,
            "details": ticket.details,
            "received_at": iso(ticket.received_at),
            "verified_at": iso(ticket.verified_at),
            "verified_how": ticket.verification,
            "how_staff_checked_your_identity": ticket.identity_check,
            "our_target_date": ticket.target_on.isoformat(),
            "due_on": ticket.due_on.isoformat(),
            "extended_until": ticket.extended_until and ticket.extended_until.isoformat(),
            "extension_reason": ticket.extension_reason,
            "extension_told_at": iso(ticket.extension_notified_at),
            "our_reply": ticket.outcome,
            "refusal_basis": ticket.refusal_basis,
            "refusal_explanation": ticket.refusal_explanation,
            "answer_sent_at": iso(ticket.response_sent_at),
            "closed_at": iso(ticket.closed_at),
            "export_link_works_until": iso(ticket.export_expires_at),
            "contact_details_purged_at": iso(ticket.pii_purged_at),
            "history": [_step(event) for event in ticket.events.all()],
        }
        for ticket in tickets.order_by("received_at", "pk")
    ]


def _step(event):
    # In the status page's terms: who acted as staff, the requester or the system, never
    # which member of staff (that is theirs: see export_request_steps).
    return {"at": iso(event.at), "step": event.action, "by": event.actor_label,
            "from_status": event.from_status, "to_status": event.to_status,
            "note": event.message}


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


def export_request_steps(user):
    """A member of staff's own work on requests: which they answer and each step they
    took. Only the references: the requests themselves are their requesters' data. A
    request filed while signed in names its requester as the one who took its first
    step, so theirs is here too."""
    assigned = DataRequest.objects.filter(assignee=user).order_by("received_at", "pk")
    steps = DataRequestEvent.objects.filter(actor=user).select_related("request")
    return {
        "requests_assigned_to_you": [ticket.reference for ticket in assigned],
        "steps_you_took": [
            {"request": event.request.reference, **_step(event)}
            for event in steps.order_by("at", "pk")
        ],
    }


def keep_request_steps(user):
    """Nothing to do: when the account goes, the database empties both links (SET_NULL)
    and the steps stay in each request's history as taken by "staff"."""


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
            PersonalField("privacy.DataRequest", "verification",
                          _("How you confirmed that a request is yours: signed in, with the "
                            "link we emailed, or by a check staff made."), TICKET_RETENTION),
            PersonalField("privacy.DataRequestEvent", "action",
                          _("Each step taken on your request and when, as its status page "
                            "shows them."), TICKET_RETENTION),
        ),
        export_for=export_requests,
        erase_for=erase_requests,
    ),
    Section(
        name="request_steps",
        title=_("Your work on data requests"),
        fields=(
            PersonalField("privacy.DataRequest", "assignee",
                          _("Which staff member answers a request (staff only)."),
                          TICKET_RETENTION),
            PersonalField("privacy.DataRequestEvent", "actor",
                          _("Who took each step on a request: the member of staff, or you "
                            "when you asked while signed in."),
                          TICKET_RETENTION),
        ),
        export_for=export_request_steps,
        erase_for=keep_request_steps,
    ),
]
