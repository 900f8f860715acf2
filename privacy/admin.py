"""The staff's tool for data requests: an overdue-first list, each ticket with its
requester's account and history, and actions that do the work (privacy/services.py)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.models import normalize_email
from joinrun.admin_input import FilterInputMixin

from . import services
from .forms import CompleteForm, DataRequestAdminForm, ExtendForm, RefuseForm
from .models import OPEN_STATUSES, DataRequest, DataRequestEvent, Status, Verification


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


class EventInline(admin.TabularInline):
    """The ticket's history: append-only, so read-only and never deleted."""

    model = DataRequestEvent
    fields = ["at", "actor_label", "actor", "action", "from_status", "to_status", "message"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


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
    list_display = ["reference", "kind", "status", "received_at", "due", "days_left_shown",
                    "assignee"]
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
                                  "pii_purged_at"]}),
    ]
    readonly_fields = ["reference", "regime", "status", "account_summary", "earlier_requests",
                       "verified_at", "verification", "target_on", "due_on", "extended_until",
                       "extension_reason", "extension_notified_at", "outcome",
                       "refusal_basis", "refusal_explanation", "response_sent_at",
                       "closed_at", "export_expires_at", "pii_purged_at"]
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

    @admin.display(description=_("Account"))
    def account_summary(self, ticket):
        user = ticket.user
        if user is None:
            return _("No account linked (none with this email, or it was erased).")
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

    # Actions on the selected tickets

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
