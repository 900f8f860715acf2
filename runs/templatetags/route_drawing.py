"""The run page's route drawings ({% route_map route %}, {% route_profile route %}): SVG
drawn at each render from the route's stored points (runs/routes.py), so the labels are
in the reader's language. Only presentation attributes and classes: no style, no links."""

from django import template
from django.utils import formats
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from runs.routes import km_text, metres_between, projected

register = template.Library()


# mark_safe: the SVG is numbers and words passed through escape() below.
@register.simple_tag
def route_map(route):
    return mark_safe(map_svg(route.drawing, route.distance_m))  # noqa: S308


@register.simple_tag
def route_profile(route):
    if not route.drawing["profile"]:
        return ""
    return mark_safe(profile_svg(route.drawing, route.distance_m, route.ascent_m))  # noqa: S308


# "Start and finish at the same place": closer than this.
LOOP_M = 200
MAP_WIDTH, MAP_MAX_HEIGHT, MAP_MIN_DRAWN = 400, 400, 120
PAD = 20
BAND = 34  # under the route: the scale bar and the north arrow
SCALE_LENGTHS = [m * 10 ** e for e in range(7) for m in (1, 2, 5)]
PROFILE_WIDTH, PROFILE_HEIGHT = 400, 150
PROFILE_LEFT, PROFILE_RIGHT, PROFILE_TOP, PROFILE_BOTTOM = 52, 12, 12, 30
FLATTEST_RANGE_M = 20  # a flat route's profile is not blown up into mountains


def _scale_length(metres_per_unit, room):
    fitting = [m for m in SCALE_LENGTHS if m / metres_per_unit <= room]
    return fitting[-1] if fitting else SCALE_LENGTHS[0]


def _length_text(metres):
    if metres < 1000:
        return _("%(count)s m") % {"count": metres}
    return _("%(count)s km") % {"count": metres // 1000}


def _svg(width, height, css_class, title_id, title, body):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="{css_class}" '
            f'viewBox="0 0 {width} {height:.0f}" role="img" aria-labelledby="{title_id}">'
            f'<title id="{title_id}">{escape(title)}</title>{body}</svg>')


def _polyline(points, css_class, **attributes):
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = "".join(f' {name.replace("_", "-")}="{value}"'
                    for name, value in attributes.items())
    return f'<polyline class="{css_class}" points="{coordinates}"{extra}/>'


def is_loop(drawing):
    start, finish = drawing["line"][0][0], drawing["line"][-1][-1]
    return metres_between(start, finish) < LOOP_M


def map_svg(drawing, distance_m):
    """The route north up, with its start (a dot), finish (a square) and a scale bar."""
    lines = drawing["line"]
    xy_lines, offset = [], 0
    everything = projected([point for line in lines for point in line])
    for line in lines:
        xy_lines.append(everything[offset:offset + len(line)])
        offset += len(line)
    xs, ys = [x for x, _y in everything], [y for _x, y in everything]
    width_m, height_m = max(max(xs) - min(xs), 1.0), max(max(ys) - min(ys), 1.0)
    inner_width = MAP_WIDTH - 2 * PAD
    scale = min(inner_width / width_m, (MAP_MAX_HEIGHT - 2 * PAD - BAND) / height_m)
    drawn_height = max(height_m * scale, MAP_MIN_DRAWN)
    height = drawn_height + 2 * PAD + BAND
    left = PAD + (inner_width - width_m * scale) / 2 - min(xs) * scale
    top = PAD + (drawn_height - height_m * scale) / 2 + max(ys) * scale

    def on_map(x, y):
        return left + x * scale, top - y * scale

    body = [_polyline([on_map(x, y) for x, y in line], "route-line", fill="none",
                      stroke="currentColor", stroke_width="3", stroke_linejoin="round",
                      stroke_linecap="round")
            for line in xy_lines]
    (start_x, start_y), (finish_x, finish_y) = on_map(*xy_lines[0][0]), on_map(*xy_lines[-1][-1])
    # The finish a hollow square, the start a dot: both show when they are one place.
    body.append(f'<rect class="route-finish" x="{finish_x - 8:.1f}" y="{finish_y - 8:.1f}" '
                f'width="16" height="16" fill="none" stroke="currentColor" stroke-width="3"/>')
    body.append(f'<circle class="route-start" cx="{start_x:.1f}" cy="{start_y:.1f}" r="6" '
                f'fill="currentColor"/>')
    bar_m = _scale_length(1 / scale, inner_width * 0.4)
    bar_px, bar_y = bar_m * scale, height - 12
    body.append(_polyline([(PAD, bar_y - 6), (PAD, bar_y), (PAD + bar_px, bar_y),
                           (PAD + bar_px, bar_y - 6)], "route-scale", fill="none",
                          stroke="currentColor", stroke_width="2"))
    body.append(f'<text class="route-label" x="{PAD + 4}" y="{bar_y - 6}" font-size="13" '
                f'fill="currentColor">{escape(_length_text(bar_m))}</text>')
    north_x = MAP_WIDTH - PAD - 6
    body.append(f'<path class="route-north" d="M{north_x} {bar_y - 20} l6 16 h-12 z" '
                f'fill="currentColor"/>')
    north = pgettext("compass point", "N")  # outside the f-string, where makemessages finds it
    body.append(f'<text class="route-label" x="{north_x - 12}" y="{bar_y}" font-size="13" '
                f'text-anchor="end" fill="currentColor">{escape(north)}</text>')
    if is_loop(drawing):
        title = _("The route drawn north up: a loop of %(distance)s that starts and "
                  "finishes at the same place (a dot in a square).")
    else:
        title = _("The route drawn north up: %(distance)s from the start (a dot) to the "
                  "finish (a square).")
    return _svg(MAP_WIDTH, height, "route-map", "route-map-title",
                title % {"distance": km_text(distance_m)}, "".join(body))


def profile_svg(drawing, distance_m, ascent_m):
    """Height (y) along the way (x), with the lowest and highest heights written."""
    samples, low, high = drawing["profile"], drawing["low"], drawing["high"]
    middle = (low + high) / 2
    bottom_m = min(low, middle - FLATTEST_RANGE_M / 2)
    top_m = max(high, middle + FLATTEST_RANGE_M / 2)
    plot_width = PROFILE_WIDTH - PROFILE_LEFT - PROFILE_RIGHT
    plot_height = PROFILE_HEIGHT - PROFILE_TOP - PROFILE_BOTTOM
    length = max(distance_m, samples[-1][0], 1)
    base = PROFILE_TOP + plot_height

    def on_plot(metres, height):
        return (PROFILE_LEFT + metres / length * plot_width,
                PROFILE_TOP + (top_m - height) / (top_m - bottom_m) * plot_height)

    points = [on_plot(d, height) for d, height in samples]
    area = [*points, (points[-1][0], base), (points[0][0], base)]
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in area)
    body = [f'<polygon class="route-profile-area" points="{coordinates}" fill="currentColor" '
            f'fill-opacity="0.15"/>',
            _polyline(points, "route-profile-line", fill="none", stroke="currentColor",
                      stroke_width="2", stroke_linejoin="round"),
            _polyline([(PROFILE_LEFT, PROFILE_TOP), (PROFILE_LEFT, base),
                       (PROFILE_WIDTH - PROFILE_RIGHT, base)], "route-axis", fill="none",
                      stroke="currentColor", stroke_width="1")]

    def label(x, y, text, anchor):
        return (f'<text class="route-label" x="{x:.1f}" y="{y:.1f}" font-size="13" '
                f'text-anchor="{anchor}" fill="currentColor">{escape(text)}</text>')

    # Each height written level with it, never one on top of the other.
    high_y = on_plot(0, high)[1] + 4
    low_y = min(max(on_plot(0, low)[1] + 4, high_y + 15), base)
    body += [label(PROFILE_LEFT - 6, high_y, _metres_text(high), "end"),
             label(PROFILE_LEFT - 6, low_y, _metres_text(low), "end"),
             label(PROFILE_LEFT, PROFILE_HEIGHT - 8, km_text(0), "start"),
             label(PROFILE_WIDTH - PROFILE_RIGHT, PROFILE_HEIGHT - 8, km_text(distance_m),
                   "end")]
    title = _("Elevation profile: between %(low)s and %(high)s, %(ascent)s of climbing "
              "over %(distance)s.") % {
        "low": _metres_text(low), "high": _metres_text(high),
        "ascent": _metres_text(ascent_m or 0), "distance": km_text(distance_m)}
    return _svg(PROFILE_WIDTH, PROFILE_HEIGHT, "route-profile", "route-profile-title", title,
                "".join(body))


def _metres_text(metres):
    return _("%(count)s m") % {"count": formats.number_format(round(metres))}
