from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from joinrun.admin_input import FilterInputMixin

from . import services
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
    list_display = ["title", "starts_at", "organiser", "club", "meeting_point", "capacity",
                    "going", "waiting", "cancelled_at"]
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

    @admin.action(description=_("Cancel the selected runs and email their runners"),
                  permissions=["change"])
    def cancel_runs(self, request, queryset):
        told = services.cancel(list(queryset), reason=str(_("Cancelled by join run staff.")),
                               by_staff=True)
        self.message_user(request, _("%(count)s runs cancelled.") % {"count": len(told.runs)}
                          + " " + told.summary())

    def get_queryset(self, request):
        return super().get_queryset(request).with_counts()

    @admin.display(description=_("going"), ordering="going_count")
    def going(self, run):
        return run.going_count

    @admin.display(description=_("waiting"), ordering="waiting_count")
    def waiting(self, run):
        return run.waiting_count
