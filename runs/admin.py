from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from joinrun.admin_input import FilterInputMixin

from . import services
from .forms import PaceField, StaffCancelForm
from .models import Participation, Run


class WhenFilter(admin.SimpleListFilter):
    title = _("when")
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", _("Upcoming")), ("past", _("Past"))]

    def queryset(self, request, queryset):
        now = timezone.now()
        if self.value() == "upcoming":
            return queryset.filter(starts_at__gte=now)
        if self.value() == "past":
            return queryset.filter(starts_at__lt=now)
        return queryset


class CancelledFilter(admin.SimpleListFilter):
    title = _("cancelled")
    parameter_name = "cancelled"

    def lookups(self, request, model_admin):
        return [("yes", _("Cancelled")), ("no", _("Not cancelled"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(cancelled_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(cancelled_at__isnull=True)
        return queryset


class ParticipationInline(admin.TabularInline):
    """Who is going and who is waiting, in order. Read-only: joining and leaving go
    through the site, which keeps capacity and the waitlist right and tells people."""

    model = Participation
    fields = ["runner", "status", "joined_at", "attended_at"]
    readonly_fields = fields
    ordering = ["status", "joined_at", "pk"]
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Run)
class RunAdmin(FilterInputMixin, admin.ModelAdmin):
    # Few and narrow, so the list fits a 1280 px screen beside the filters; the meeting
    # point and the club are on the run's page.
    list_display = ["title", "starts", "organised_by", "pace", "going",
                    "waiting", "cancelled"]
    list_filter = [WhenFilter, CancelledFilter]
    search_fields = ["title", "meeting_point", "organiser__display_name", "organiser__email"]
    date_hierarchy = "starts_at"
    list_select_related = ["organiser", "club"]
    raw_id_fields = ["organiser", "club"]
    readonly_fields = ["series", "sequence", "cancelled_at", "cancel_reason", "created_at",
                       "updated_at"]
    inlines = [ParticipationInline]
    actions = ["cancel_runs"]

    # What runners rely on (time, place, places, organiser) changes only through the site
    # or the cancel action, which keep the waitlist right and tell the runners.
    def get_readonly_fields(self, request, obj=None):
        told_to_runners = ["organiser", "club", "starts_at", "meeting_point", "latitude",
                           "longitude", "capacity"]
        return self.readonly_fields + (told_to_runners if obj else [])

    def has_delete_permission(self, request, obj=None):
        return False

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Staff read and type a pace as runners do (5:30), not as stored (330 seconds).
        if db_field.name == "pace_min":
            return PaceField(label=_("Fastest pace (min/km)"), placeholder="5:30")
        if db_field.name == "pace_max":
            return PaceField(label=_("Slowest pace (min/km)"), placeholder="6:00",
                             help_text=_("Leave both empty if every pace is welcome."))
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def render_change_form(self, request, context, *args, **kwargs):
        response = super().render_change_form(request, context, *args, **kwargs)
        if request.method == "POST":  # shown again after a POST: the form has errors
            response.status_code = 400
        return response

    @admin.action(description=_("Cancel the selected runs and email their runners"),
                  permissions=["change"])
    def cancel_runs(self, request, queryset):
        """First a page to type the reason the runners will read; its "apply" cancels."""
        runs = list(queryset.order_by("starts_at", "pk"))
        still_open, reachable = services.cancel_preview(runs)
        if not still_open:
            self.message_user(request, _("None of the selected runs can be cancelled: they "
                                         "are cancelled already or have started."),
                              messages.WARNING)
            return None
        applying = "apply" in request.POST
        form = StaffCancelForm(request.POST if applying else None)
        if applying and form.is_valid():
            told = services.cancel(still_open, reason=form.cleaned_data["reason"],
                                   by_staff=True)
            self.message_user(request, _("%(count)s runs cancelled.")
                              % {"count": len(told.runs)} + " " + told.summary())
            return None
        return self._cancel_page(request, form, still_open, reachable,
                                 skipped=len(runs) - len(still_open))

    def _cancel_page(self, request, form, runs, reachable, *, skipped):
        context = {
            **self.admin_site.each_context(request),
            "title": _("Cancel runs"), "opts": self.model._meta, "form": form,
            "runs": runs, "skipped": skipped, "action_checkbox_name": ACTION_CHECKBOX_NAME,
            "emailed": ngettext("%(count)s runner will be emailed.",
                                "%(count)s runners will be emailed.",
                                reachable) % {"count": reachable},
        }
        return TemplateResponse(request, "admin/runs/run/cancel_runs.html", context,
                                status=400 if form.is_bound else 200)

    # Not the fields themselves: the admin keeps dates and people on one line, which
    # alone would push the list past the screen's edge.
    @admin.display(description=_("starts"), ordering="starts_at")
    def starts(self, run):
        return date_format(timezone.localtime(run.starts_at), "DATETIME_FORMAT")

    @admin.display(description=_("organiser"), ordering="organiser__display_name")
    def organised_by(self, run):
        return run.organiser

    @admin.display(description=_("pace"))
    def pace(self, run):
        return f"{run.pace_range} /km" if run.pace_range else _("any")

    # Words, not the admin's icons: a green tick for "cancelled" reads as "all fine".
    @admin.display(description=_("cancelled"), ordering="cancelled_at")
    def cancelled(self, run):
        return _("yes") if run.is_cancelled else ""

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description=_("going"), ordering="going_count")
    def going(self, run):
        """ "12 / 20", or "12" when there is no limit: one column for two numbers."""
        if run.capacity is None:
            return run.going_count
        return f"{run.going_count} / {run.capacity}"

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, run):
        return run.waiting_count
