from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from joinrun.admin_input import FilterInputMixin

from . import delivery
from .models import Email


@admin.register(Email)
class EmailAdmin(FilterInputMixin, admin.ModelAdmin):
    """What staff need to see that email flows: never the address or the text."""

    list_display = ("kind", "status", "attempts", "created_at", "next_attempt_at", "sent_at",
                    "last_error")
    list_filter = ("status", "kind")
    fields = list_display
    readonly_fields = list_display
    actions = ["try_again_now"]
    list_per_page = 50

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_retry_permission(self, request):
        return request.user.has_perm("outbox.retry_email")

    @admin.action(description=_("Try again now"), permissions=["retry"])
    def try_again_now(self, request, queryset):
        count = delivery.try_again_now(queryset)
        self.message_user(request, ngettext(
            "%(count)s email will be tried again now.",
            "%(count)s emails will be tried again now.", count) % {"count": count},
            messages.SUCCESS if count else messages.WARNING)

