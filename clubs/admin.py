from django.contrib import admin
from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from joinrun.admin_input import FilterInputMixin

from . import services
from .forms import ClubForm
from .models import Club, Organiser


class StateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("listed", _("Listed")), ("closed", _("Closed")),
                ("deactivated", _("Deactivated"))]

    def queryset(self, request, queryset):
        if self.value() == "listed":
            return queryset.listed()
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        if self.value() == "deactivated":
            return queryset.filter(deactivated_at__isnull=False)
        return queryset


class OrganiserInline(admin.TabularInline):
    """Who organises the club. Read-only: organisers invite and remove each other on
    the site, which tells the people concerned."""

    model = Organiser
    fields = ["user", "since"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Club)
class ClubAdmin(FilterInputMixin, admin.ModelAdmin):
    list_display = ["name", "place", "slug", "organiser_count", "follower_count",
                    "created_at", "closed_at", "deactivated_at"]
    list_filter = [StateFilter]
    search_fields = ["name", "place", "slug"]
    readonly_fields = ["slug", "created_at", "updated_at", "closed_at", "deactivated_at"]
    fields = ["name", "place", "description", *readonly_fields]
    # The site's form: the same checks of the name and its address.
    form = ClubForm
    inlines = [OrganiserInline]
    actions = ["deactivate", "reactivate"]

    def get_queryset(self, request):
        # Counts of rows, never who follows: staff need the size, not the list.
        return super().get_queryset(request).annotate(
            organiser_total=Count("organisers", distinct=True),
            follower_total=Count("follows", distinct=True))

    def save_model(self, request, obj, form, change):
        # As on the site: a new name gives the club a new address, and the old one
        # redirects.
        services.update(obj, **{name: form.cleaned_data[name]
                                for name in ("name", "place", "description")})

    def has_add_permission(self, request):
        return False  # a club needs an organiser: people start clubs on the site

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: runs and their history point at the club

    @admin.display(description=_("organisers"), ordering="organiser_total")
    def organiser_count(self, club):
        return club.organiser_total

    @admin.display(description=_("followers"), ordering="follower_total")
    def follower_count(self, club):
        return club.follower_total

    @admin.action(description=_("Deactivate the selected clubs and tell their organisers"),
                  permissions=["change"])
    def deactivate(self, request, queryset):
        done = sum(services.deactivate(club) for club in queryset)
        self.message_user(request, ngettext(
            "%(count)s club deactivated; its organisers were emailed.",
            "%(count)s clubs deactivated; their organisers were emailed.", done)
            % {"count": done})

    @admin.action(description=_("Reactivate the selected clubs"), permissions=["change"])
    def reactivate(self, request, queryset):
        done = sum(services.reactivate(club) for club in queryset)
        self.message_user(request, ngettext("%(count)s club reactivated.",
                                            "%(count)s clubs reactivated.", done)
                          % {"count": done})
