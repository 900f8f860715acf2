"""Dates in emails: a whole sentence's worth ("Tuesday 1 December 2026, 18:30, Ljubljana
time") in the language the email is written in, naming the zone, since an email is read
anywhere and forwarded to anyone. The date and time are the pages' DATETIME_FORMAT
(joinrun/formats), so a run's time reads the same on its page and in its emails."""

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

register = template.Library()


def zone_name():
    if settings.TIME_ZONE == "Europe/Ljubljana":
        return _("Ljubljana time")
    city = settings.TIME_ZONE.rsplit("/", 1)[-1].replace("_", " ")
    return _("%(city)s time") % {"city": city}


@register.filter
def when(moment):
    """ "Tuesday 1 December 2026, 18:30, Ljubljana time" in the active language."""
    local = timezone.localtime(moment)
    # Translators: a run's day and time, then the time zone ("Ljubljana time").
    return _("%(datetime)s, %(zone)s") % {
        "datetime": formats.date_format(local, "DATETIME_FORMAT"),
        "zone": zone_name(),
    }
