"""Run cards: ``{% run_card run %}`` renders one card of a run list.

A card has two parts. ``runs/includes/run_card.html`` is what every viewer sees of the run
(date, title, place, chips, how full it is): it is rendered from the run alone, never
from the viewer, and puts ``{{ mine }}`` where the viewer's own part goes.
``runs/includes/run_card_mine.html`` is that part ("You're going"), from the marks
``runs.views._mark_my_status`` set on the run (absent for a visitor).
"""

from django import template
from django.template.loader import get_template
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag
def run_card(run):
    mine = get_template("runs/includes/run_card_mine.html").render({"run": run}).strip()
    card = get_template("runs/includes/run_card.html").render({"run": run, "mine": mark_safe(mine)})  # noqa: S308 (our own template's output)
    return mark_safe(card)  # noqa: S308 (our own template's output)
