"""The staff's tool for data requests: an overdue-first list, each ticket with its
requester's account and history, and actions that do the work (privacy/services.py)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import User, normalize_email
from joinrun.admin_input import FilterInputMixin

from . import services
from .forms import CompleteForm, DataRequestAdminForm, ExtendForm, RefuseForm
from .models import (
    ACTION_LABELS,
    OPEN_STATUSES,
    Channel,
    DataRequest,
    DataRequestEvent,
    Kind,
    Status,
    Verification,
)


class DueFilter(admin.SimpleListFilter):
    title = _("due")
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue")), ("week", _("Due within 7 days")),
                ("unverified", _("Awaiting verification"))]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "overdue":
            return queryset.due_by(today - timedelta(days=1))
        if self.value() == "week":
            return queryset.due_by(today + timedelta(days=7))
        if self.value() == "unverified":
            return queryset.filter(status=Status.AWAITING_VERIFICATION)
        return queryset


# How each verification reads in the ticket's history.
VERIFIED_HOW = {
    Verification.EMAIL_LINK: _("Verified by email link"),
    Verification.STAFF: _("Verified by staff"),
    Verification.SESSION: _("Verified by the signed-in account"),
    Verification.NOT_NEEDED: _("No verification needed (opt-out)"),
}
# Staff's words where the requester's (ACTION_LABELS) say less than staff need.
STAFF_WORDS = {
    "export_built": _("Export built and its link emailed"),
    "identity_checked": _("Identity checked by staff (how: see the ticket)"),
}
WHO = {"staff": _("Staff"), "requester": _("Requester"), "system": _("join run (automatic)")}


class EventInline(admin.TabularInline):
    """The ticket's history in words: append-only, so read-only and never deleted."""

    model = DataRequestEvent
    verbose_name_plural = _("History")
    fields = ["at", "who", "what", "status_change", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("request", "actor")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("Who"))
    def who(self, event):
        label = WHO.get(event.actor_label, event.actor_label)
        return f"{label}: {event.actor.display_name}" if event.actor else label

    @admin.display(description=_("What"))
    def what(self, event):
        if event.action == "verified":
            # A ticket is verified once, so its verification is this event's.
            return VERIFIED_HOW.get(event.request.verification, ACTION_LABELS["verified"])
        return STAFF_WORDS.get(event.action) or ACTION_LABELS.get(event.action, event.action)

    @admin.display(description=_("Status"))
    def status_change(self, event):
        if not event.from_status or event.from_status == event.to_status:
            return ""
        return f"{_status_label(event.from_status)} → {_status_label(event.to_status)}"


def _status_label(value):
    return Status(value).label if value in Status.values else value


# Short names for the list's narrow column; the ticket shows the full one.
KIND_SHORT = {
    Kind.ACCESS: _("Access"), Kind.RECTIFICATION: _("Rectification"),
    Kind.ERASURE: _("Erasure"), Kind.RESTRICTION: _("Restriction"),
    Kind.OBJECTION: _("Objection"), Kind.PORTABILITY: _("Portability"),
    Kind.CCPA_KNOW: _("Know (CCPA)"), Kind.CCPA_DELETE: _("Delete (CCPA)"),
    Kind.CCPA_CORRECT: _("Correct (CCPA)"), Kind.CCPA_OPT_OUT: _("Opt-out (CCPA)"),
}


def _run(step, request, tickets, done_message, **kwargs):
    """Runs a service step on each selected ticket; a step that does not apply to a ticket
    is reported for that ticket and the others go on."""
    done = 0
    for ticket in tickets:
        try:
            step(ticket, actor=request.user, **kwargs)
            done += 1
        except services.NotPossible as reason:
            messages.error(request, f"{ticket.reference}: {reason}")
    if done:
        messages.success(request, done_message % {"count": done})


@admin.register(DataRequest)
class DataRequestAdmin(FilterInputMixin, admin.ModelAdmin):
    # Narrow enough for a 1280 px screen with the filters beside it; the deadline first.
    list_display = ["due", "days_left_shown", "reference", "right", "status", "assignee_shown"]
    list_display_links = ["reference"]
    list_filter = ["status", "kind", DueFilter, "regime", "channel"]
    search_fields = ["reference", "contact_email"]
    list_select_related = ["assignee"]
    inlines = [EventInline]
    actions = ["mark_verified", "build_export", "restrict", "lift_restriction",
               "record_objection"]
    form = DataRequestAdminForm
    raw_id_fields = ["user"]
    fieldsets = [
        (None, {"fields": ["reference", "kind", "regime", "status", "channel", "assignee"]}),
        (_("Requester"), {"fields": ["user", "account_summary", "earlier_requests",
                                     "contact_email", "details", "identity_check"]}),
        (_("Dates"), {"fields": ["received_at", "verified_at", "verification", "target_on",
                                 "due_on", "extended_until", "extension_reason",
                                 "extension_notified_at"]}),
        (_("Answer"), {"fields": ["outcome", "refusal_basis", "refusal_explanation",
                                  "response_sent_at", "closed_at", "export_expires_at",
                                  "contact_details_purged_at"]}),
    ]
    readonly_fields = ["reference", "regime", "status", "account_summary", "earlier_requests",
                       "verified_at", "verification", "target_on", "due_on", "extended_until",
                       "extension_reason", "extension_notified_at", "outcome",
                       "refusal_basis", "refusal_explanation", "response_sent_at",
                       "closed_at", "export_expires_at", "contact_details_purged_at"]
    change_form_template = "admin/privacy/datarequest/change_form.html"
    # Open tickets first, the most overdue (counting extensions) at the top.
    ordering = [
        Case(When(status__in=OPEN_STATUSES, then=Value(0)), default=Value(1),
             output_field=IntegerField()).asc(),
        Coalesce("extended_until", "due_on").asc(),
        "received_at",
    ]

    class Media:
        css = {"all": ["css/admin-privacy.css"]}


    def get_readonly_fields(self, request, obj=None):
        if obj is None:  # staff enter requests that came by email or post
            return ["reference", "regime", "status"]
        # The clocks start at receipt: once saved, it is not moved.
        fixed = [*self.readonly_fields, "kind", "received_at", "channel", "contact_email",
                 "details", "user"]
        if obj.identity_check or not obj.is_open:
            fixed.append("identity_check")  # the record of a check is not rewritten
        return fixed

    def get_changeform_initial_data(self, request):
        # Staff enter the requests that came by email most often.
        return {"channel": Channel.EMAIL, **super().get_changeform_initial_data(request)}

    def get_inlines(self, request, obj=None):
        return self.inlines if obj else []  # a new ticket has no history yet

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["kind", "channel", "received_at", "user",
                                       "contact_email", "details", "assignee"]})]
        return self.fieldsets

    def render_change_form(self, request, context, *args, **kwargs):
        response = super().render_change_form(request, context, *args, **kwargs)
        if request.method == "POST":  # shown again after a POST: the form has errors
            response.status_code = 400
        return response

    def save_model(self, request, obj, form, change):
        if change:
            checked = "identity_check" in form.changed_data and obj.identity_check
            super().save_model(request, obj, form, change)
            if checked:
                services.record_identity_check(obj, actor=request.user,
                                               how=obj.identity_check)
            return
        # Acknowledged and sent the confirmation link like any request from the form;
        # staff may instead verify it themselves (the action) when they know the sender.
        obj.contact_email = normalize_email(obj.contact_email) or ""
        services.file_request(obj, staff=request.user)

    def has_delete_permission(self, request, obj=None):
        return False  # tickets are the record of how we answered

    # Columns

    @admin.display(description=_("Due"), ordering=Coalesce("extended_until", "due_on"))
    def due(self, ticket):
        return ticket.effective_due_on

    @admin.display(description=_("Days left"))
    def days_left_shown(self, ticket):
        if not ticket.is_open:
            return "–"
        days = ticket.days_left()
        level = "overdue" if days < 0 else "soon" if days < 5 else "fine"
        label = _("%(days)s overdue") % {"days": -days} if days < 0 else days
        return format_html('<span class="days-left days-left-{}">{}</span>', level, label)

    @admin.display(description=_("Right"), ordering="kind")
    def right(self, ticket):
        return KIND_SHORT.get(ticket.kind, ticket.get_kind_display())

    @admin.display(description=_("Assignee"), ordering="assignee")
    def assignee_shown(self, ticket):
        return ticket.assignee.display_name if ticket.assignee else "–"

    @admin.display(description=_("Contact details purged at"))
    def contact_details_purged_at(self, ticket):
        return display_for_value(ticket.pii_purged_at, self.get_empty_value_display())

    @admin.display(description=_("Account"))
    def account_summary(self, ticket):
        user = ticket.user
        if user is None:
            return _no_account_summary(ticket)
        since = user.processing_restricted_at
        restricted = (_("processing restricted since %(when)s")
                      % {"when": timezone.localdate(since).isoformat()}
                      if since else _("not restricted"))
        url = reverse("admin:accounts_user_change", args=[user.pk])
        return format_html(
            '<a href="{}">{}</a> · {} · {} {} · {} {} · {}', url, user.display_name,
            user.email or _("no email"), _("joined"), f"{user.date_joined:%Y-%m-%d}",
            user.participations.count(), _("runs joined"), restricted,
        )

    @admin.display(description=_("Earlier requests"))
    def earlier_requests(self, ticket):
        same_person = Q(contact_email=ticket.contact_email) if ticket.contact_email else Q()
        if ticket.user_id:
            same_person |= Q(user_id=ticket.user_id)
        if not same_person:
            return 0
        return DataRequest.objects.filter(same_person, received_at__lt=ticket.received_at) \
            .exclude(pk=ticket.pk).count()

    # Actions on the selected tickets (the ticket page has the first two as buttons)

    @admin.action(description=_("Mark verified (checked by staff)"), permissions=["change"])
    def mark_verified(self, request, queryset):
        def verify(ticket, actor):
            services.mark_verified(ticket, how=Verification.STAFF, actor=actor)
        _run(verify, request, queryset, _("%(count)s request(s) verified."))

    @admin.action(description=_("Build the data export and email its link"),
                  permissions=["change"])
    def build_export(self, request, queryset):
        _run(services.build_export, request, queryset,
             _("%(count)s export(s) built and emailed."))

    @admin.action(description=_("Restrict processing of the linked account"),
                  permissions=["change"])
    def restrict(self, request, queryset):
        _run(services.restrict, request, queryset, _("%(count)s account(s) restricted."))

    @admin.action(description=_("Lift the restriction of the linked account"),
                  permissions=["change"])
    def lift_restriction(self, request, queryset):
        _run(services.lift_restriction, request, queryset,
             _("%(count)s restriction(s) lifted."))

    @admin.action(description=_("Record an objection"), permissions=["change"])
    def record_objection(self, request, queryset):
        _run(services.record_objection, request, queryset,
             _("%(count)s objection(s) recorded."))

    # Steps that need words from staff: a page each, linked from the ticket

    def get_urls(self):
        steps = [
            ("extend", self.extend_view), ("refuse", self.refuse_view),
            ("complete", self.complete_view), ("erase", self.erase_view),
            ("verify", self.verify_view), ("export", self.export_view),
        ]
        return [
            path(f"<int:pk>/{name}/", self.admin_site.admin_view(view),
                 name=f"privacy_datarequest_{name}")
            for name, view in steps
        ] + super().get_urls()

    def _ticket_for_step(self, request, pk):
        ticket = get_object_or_404(DataRequest, pk=pk)
        if not self.has_change_permission(request, ticket):
            raise PermissionDenied
        return ticket

    def _step_page(self, request, ticket, *, title, form, submit, intro=""):
        context = {
            **self.admin_site.each_context(request), "title": title, "ticket": ticket,
            "form": form, "submit": submit, "intro": intro, "opts": self.model._meta,
            "original": ticket,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/privacy/datarequest/step.html", context,
                                status=status)

    def _do_step(self, request, ticket, step, done, **kwargs):
        try:
            step(ticket, actor=request.user, **kwargs)
        except services.NotPossible as reason:
            messages.error(request, str(reason))
        else:
            messages.success(request, done)
        return redirect("admin:privacy_datarequest_change", ticket.pk)

    def verify_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self._do_step(request, ticket, services.mark_verified,
                             _("Verified; work on the request can start."),
                             how=Verification.STAFF)

    def export_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        return self._do_step(request, ticket, services.build_export,
                             _("Export built; its link has been emailed."))

    def extend_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        form = ExtendForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            return self._do_step(request, ticket, services.extend,
                                 _("Extended; the requester has been emailed the reason."),
                                 reason=form.cleaned_data["reason"])
        return self._step_page(request, ticket, title=_("Extend the deadline"), form=form,
                               submit=_("Extend and email the requester"),
                               intro=_("Only before the due date, for complex requests or "
                                       "many at once."))

    def refuse_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        form = RefuseForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            return self._do_step(request, ticket, services.refuse,
                                 _("Refused; the requester has been emailed."),
                                 basis=form.cleaned_data["basis"],
                                 explanation=form.cleaned_data["explanation"])
        return self._step_page(request, ticket, title=_("Refuse the request"), form=form,
                               submit=_("Refuse and email the requester"))

    def complete_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        form = CompleteForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            return self._do_step(request, ticket, services.complete,
                                 _("Completed; the reply has been emailed."),
                                 reply=form.cleaned_data["reply"])
        return self._step_page(request, ticket, title=_("Complete with a reply"), form=form,
                               submit=_("Complete and email the reply"))

    def erase_view(self, request, pk):
        ticket = self._ticket_for_step(request, pk)
        if request.method == "POST":
            return self._do_step(request, ticket, services.erase_account,
                                 _("The account is erased."))
        return self._step_page(request, ticket, title=_("Erase the linked account"),
                               form=None, submit=_("Erase the account for good"),
                               intro=_("This erases the account and everything about it, "
                                       "exactly as deleting it on its account page does. It "
                                       "cannot be undone."))


def _no_account_summary(ticket):
    """Before verification no account is linked, even one with the request's email: the
    link is made when the sender proves the address is theirs (services.mark_verified)."""
    unverified = ticket.is_open and not ticket.verification
    if unverified and ticket.contact_email and User.objects.filter(
            email=ticket.contact_email).exists():
        return _("An account has this email; it will be linked once the request is "
                 "verified.")
    return _("No account linked (none with this email, or it was erased).")
