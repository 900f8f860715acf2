"""Admin lists that answer odd filters with a 400 and a message instead of a 500.

Django's admin turns unknown filters into a page blaming the database, and a year past
what Python's dates hold (``?starts_at__year=-99999999999999999999``, or 9999 whose next
year does not exist) raises OverflowError, and PostgreSQL refuses a NUL character in any
string with a ValueError. Both come from the query string, so they are the client's
mistake: staff see what was wrong and the list stays one click away.

The same goes for a search longer than SQLite's LIKE can take, a date filter without its
time zone, rows picked for an action by ids that are not ids, and ids past 64 bits in a
form's many-to-many choices (Django answers those with no row for ``pk=``, not for
``pk__in=``). Every list gets this, also Django's and the packages' own (guard_every_list).
"""

import warnings

from django import forms
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import SEARCH_VAR
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

# Longer than any name or address staff look for; SQLite refuses LIKE patterns past 50 000.
SEARCH_MAX_LENGTH = 200
BIGGEST_ID = 2**63 - 1


class BadFilter(Exception):
    """A filter value the list cannot use; str() says why, for staff."""


def _has_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in query.lists())


def _is_id(field, value):
    """Whether ``value`` can be a value of primary key ``field``."""
    try:
        value = field.to_python(value)
    except ValidationError:
        return False
    return not isinstance(field, models.IntegerField) or -BIGGEST_ID <= value <= BIGGEST_ID


class IdsInRange(forms.ModelMultipleChoiceField):
    """A many-to-many choice that refuses ids past 64 bits as it refuses any other id
    that is not one of its choices."""

    def _check_values(self, value):
        key = self.to_field_name or "pk"
        field = self.queryset.model._meta.get_field(key) if key != "pk" \
            else self.queryset.model._meta.pk
        for item in value:
            if not _is_id(field, str(item)):
                raise ValidationError(self.error_messages["invalid_pk_value"],
                                      code="invalid_pk_value", params={"pk": item})
        return super()._check_values(value)


class FilterInputMixin:
    """For a ModelAdmin: refuse NUL characters and out-of-range dates in list filters."""

    def get_changelist_instance(self, request):
        if _has_nul(request.GET):
            raise BadFilter(_("A filter holds a NUL character, which no field can hold."))
        if len(request.GET.get(SEARCH_VAR, "")) > SEARCH_MAX_LENGTH:
            raise BadFilter(_("A search is at most %(count)s characters long.")
                            % {"count": SEARCH_MAX_LENGTH})
        if request.method == "POST" and not all(
                _is_id(self.model._meta.pk, value)
                for value in request.POST.getlist(ACTION_CHECKBOX_NAME)):
            raise BadFilter(_("The rows chosen for the action are not rows of this list."))
        try:
            # Builds the filters and runs the query: where these errors are raised. The
            # workers are single-threaded, so the warnings filter changes for this only.
            with warnings.catch_warnings():
                warnings.simplefilter("error", RuntimeWarning)
                return super().get_changelist_instance(request)
        except RuntimeWarning as error:  # "received a naive datetime"
            raise BadFilter(_("A date filter needs its time zone, as the list's own links "
                              "give it.")) from error
        # ValueError too: the year after 9999 that a date hierarchy reaches for.
        except (OverflowError, ValueError) as error:
            raise BadFilter(_("A filter holds a date or number out of range.")) from error
        except IncorrectLookupParameters as error:
            # Django would redirect to a page blaming the database installation.
            raise BadFilter(_("A filter is not one this list offers, or its value is not "
                              "one it understands.")) from error

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        kwargs.setdefault("form_class", IdsInRange)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except BadFilter as problem:
            context = {**self.admin_site.each_context(request),
                       "title": _("That filter cannot be used"),
                       "subtitle": str(problem), "opts": self.model._meta}
            return TemplateResponse(request, "admin/base_site.html", context, status=400)


def guard_every_list(site=None):
    """Gives every ModelAdmin on ``site`` that lacks it (Django's groups, the task queue's
    and the second factors' lists) FilterInputMixin, so no list of the admin answers odd
    input with a 500."""
    from django.contrib import admin

    site = site or admin.site
    for model, model_admin in list(site._registry.items()):
        if isinstance(model_admin, FilterInputMixin):
            continue
        base = type(model_admin)
        guarded = type(base.__name__, (FilterInputMixin, base), {"__module__": base.__module__})
        site.unregister(model)
        site.register(model, guarded)
