"""Dates in emails: a whole sentence's worth ("Tuesday 1 December 2026, 18:30, Ljubljana
time") in the language the email is written in, naming the zone, since an email is read
anywhere and forwarded to anyone."""

from django import template
from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

register = template.Library()


def _month(number):
    # Slovenian dates take the month in the genitive ("1. decembra"), which Django's
    # Slovenian month names are not: our own names, translated in that form.
    return [
        pgettext("month in a date", "January"), pgettext("month in a date", "February"),
        pgettext("month in a date", "March"), pgettext("month in a date", "April"),
        pgettext("month in a date", "May"), pgettext("month in a date", "June"),
        pgettext("month in a date", "July"), pgettext("month in a date", "August"),
        pgettext("month in a date", "September"), pgettext("month in a date", "October"),
        pgettext("month in a date", "November"), pgettext("month in a date", "December"),
    ][number - 1]


def zone_name():
    if settings.TIME_ZONE == "Europe/Ljubljana":
        return _("Ljubljana time")
    city = settings.TIME_ZONE.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(city)s time") % {"city": city}


@register.filter
def when(moment):
    """ "Tuesday 1 December 2026, 18:30, Ljubljana time" in the active language."""
    local = timezone.localtime(moment)
    return _("%(weekday)s %(day)s %(month)s %(year)s, %(time)s, %(zone)s") % {
        "weekday": dateformat.format(local, "l"),
        "day": local.day,
        "month": _month(local.month),
        "year": local.year,
        "time": local.strftime("%H:%M"),
        "zone": zone_name(),
    }
