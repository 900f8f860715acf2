"""The run page's link to its weekly series ("Every Tuesday, 6 more dates")."""

from django import template
from django.urls import reverse
from django.utils import timezone

from runs.models import Run
from runs.series import every_weekday

register = template.Library()


@register.simple_tag
def series_of(run):
    """For a date of a weekly series: its page's address, "Every Tuesday", and how many
    dates are still to come after this one (not cancelled); None for a lone run."""
    if run.series is None:
        return None
    later = Run.objects.filter(series=run.series, starts_at__gt=run.starts_at)
    return {
        "url": reverse("runs:series", args=[run.series]),
        "every": every_weekday(run.starts_at),
        "more": later.upcoming(timezone.now()).not_cancelled().count(),
    }
