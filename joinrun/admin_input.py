"""Admin lists that answer odd filters with a 400 and a message instead of a 500.

Django's admin turns unknown filters into a page blaming the database, and a year past
what Python's dates hold (``?starts_at__year=-99999999999999999999``, or 9999 whose next
year does not exist) raises OverflowError, and PostgreSQL refuses a NUL character in any
string with a ValueError. Both come from the query string, so they are the client's
mistake: staff see what was wrong and the list stays one click away.
"""

from django.contrib.admin.options import IncorrectLookupParameters
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _


class BadFilter(Exception):
    """A filter value the list cannot use; str() says why, for staff."""


def _has_nul(query):
    return any("\x00" in key or any("\x00" in value for value in values)
               for key, values in query.lists())


class FilterInputMixin:
    """For a ModelAdmin: refuse NUL characters and out-of-range dates in list filters."""

    def get_changelist_instance(self, request):
        if _has_nul(request.GET):
            raise BadFilter(_("A filter holds a NUL character, which no field can hold."))
        try:
            # Builds the filters and runs the query: where both errors are raised.
            return super().get_changelist_instance(request)
        # ValueError too: the year after 9999 that a date hierarchy reaches for.
        except (OverflowError, ValueError) as error:
            raise BadFilter(_("A filter holds a date or number out of range.")) from error
        except IncorrectLookupParameters as error:
            # Django would redirect to a page blaming the database installation.
            raise BadFilter(_("A filter is not one this list offers, or its value is not "
                              "one it understands.")) from error

    def changelist_view(self, request, extra_context=None):
        try:
            return super().changelist_view(request, extra_context)
        except BadFilter as problem:
            context = {**self.admin_site.each_context(request),
                       "title": _("That filter cannot be used"),
                       "subtitle": str(problem), "opts": self.model._meta}
            return TemplateResponse(request, "admin/base_site.html", context, status=400)
