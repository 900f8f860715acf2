"""``{{ moment|html_datetime }}``: a moment as a `<time datetime>` attribute wants it.

A built-in filter of every template (settings.TEMPLATES' ``builtins``), so no template
loads it. Django's ``|date:"c"`` writes microseconds when a time has them (a ticket's
history, a run saved by a script), and HTML allows at most three digits of a second:
this writes ISO 8601 to the whole second, in the site's time zone with its offset,
"2026-12-02T18:30:00+01:00". A date alone is "2026-12-02".
"""

from datetime import date, datetime

from django import template

register = template.Library()


@register.filter(expects_localtime=True)
def html_datetime(value):
    if isinstance(value, datetime):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return ""
