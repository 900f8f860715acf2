"""The run page's route drawings ({% route_map route %}, {% route_profile route %}): SVG
drawn at each render from the route's stored points (runs/routes.py), so the labels are
in the reader's language."""

from django import template
from django.utils.safestring import mark_safe

from runs import routes

register = template.Library()


# mark_safe: the SVG is numbers and words passed through escape() (runs/routes.py).
@register.simple_tag
def route_map(route):
    return mark_safe(routes.map_svg(route.drawing, route.distance_m))  # noqa: S308


@register.simple_tag
def route_profile(route):
    if not route.drawing["profile"]:
        return ""
    return mark_safe(routes.profile_svg(route.drawing, route.distance_m, route.ascent_m))  # noqa: S308
