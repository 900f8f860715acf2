from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm
from django.utils.translation import gettext_lazy as _

from joinrun import personal_data
from joinrun.admin_input import FilterInputMixin

from . import second_factor, views
from .models import User

# Staff log in on the site's own login page, with its attempt limits.
admin.site.login = views.admin_login
# ... and every staff page needs a second factor given in this session.
admin.site.has_permission = second_factor.admin_has_permission


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "display_name")


@admin.register(User)
class UserAdmin(FilterInputMixin, DjangoUserAdmin):
    add_form = UserCreationForm
    list_display = ("email", "display_name", "is_staff", "is_active", "date_joined", "last_login")
    list_filter = ("is_staff", "is_superuser", "is_active")
    search_fields = ("email", "display_name")
    ordering = ("-date_joined",)
    readonly_fields = ("date_joined", "last_login", "processing_restricted_at")
    fieldsets = (
        (None, {"fields": ("email", "display_name", "password")}),
        (_("Permissions"), {
            "fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions"),
        }),
        (_("Dates"), {"fields": ("date_joined", "last_login", "processing_restricted_at")}),
    )
    # Deleting goes through the personal-data register, as self-service deletion does:
    # runs let the next runner in, future runs they organise are cancelled and their
    # runners told.
    def delete_model(self, request, obj):
        personal_data.erase_for(obj)

    def delete_queryset(self, request, queryset):
        for user in queryset:
            personal_data.erase_for(user)

    add_fieldsets = (
        (None, {
            "classes": ("wide",),
            "fields": ("email", "display_name", "usable_password", "password1", "password2"),
        }),
    )
