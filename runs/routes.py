"""A run's route from the organiser's GPX file, drawn on the server.

``read(upload)`` checks and cleans an uploaded file and returns a ``Track``: only the
points (latitude, longitude, elevation) of its tracks, or of its routes when it has no
track. Times, names, descriptions, waypoints, the author and every extension (heart rate,
cadence) are dropped: a GPX from a watch says when and how fast someone ran. The Track
gives the cleaned GPX 1.1 that runners download, the distance, the total ascent and a
small ``drawing`` (a few hundred points) from which ``map_svg`` and ``profile_svg`` draw
the route in the reader's language at each page view. No map tiles and no request to
anyone else.

The file is untrusted XML. Before gpxpy (and the standard library's expat beneath it)
builds anything, one streaming pass refuses a document type or entity declarations (so no
"billion laughs"), mistakes in the XML, nesting too deep, too many points and unusual
namespaces; it also disarms a pattern that makes gpxpy's namespace regex quadratic.
"""

import bisect
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from xml.parsers import expat

import gpxpy
import gpxpy.geo
from django.utils import formats
from django.utils.html import escape
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from joinrun.uploads import MAX_FILE_BYTES

MAX_POINTS = 50_000  # a 1-second watch track of 14 hours; 5 MB from a watch holds fewer
MAX_DEPTH = 32  # gpx > trk > trkseg > trkpt > extensions > ... is about 7 deep
MAX_NAMESPACES = 30  # gpxpy registers each globally, for the life of the process
MAX_ROUTE_M = 1_000_000
# Heights outside these are a device's "unknown" (-9999) or garbage: the point keeps its
# place on the map, without a height.
LOWEST_M, HIGHEST_M = -500, 9_000
# Rises and falls smaller than this are GPS noise, not climbing.
NOISE_M = 2
DRAWN_POINTS = 500
PROFILE_SAMPLES = 200
METRES_PER_DEGREE = 111_195  # of latitude, on a sphere of the Earth's mean radius
# "Start and finish at the same place": closer than this.
LOOP_M = 200

TOO_BIG = gettext_lazy("The file is larger than 5 MB, the most a route may be. Export the "
                       "route again without extras such as heart rate, or with fewer points.")
NOT_GPX = gettext_lazy("This is not a GPX file. Export the route as GPX from your watch's "
                       "app or your route planner, and choose that file.")
BROKEN = gettext_lazy("This GPX file is damaged or incomplete, so it cannot be read. Export "
                      "it again and choose the new file.")
UNUSUAL = gettext_lazy("This GPX file is written in a way we do not read (with a document "
                       "type, entities or many namespaces). Export it again from your app "
                       "and choose the new file.")
TOO_FEW = gettext_lazy("This GPX file has no route in it: it needs a track or a route with "
                       "at least two points.")
TOO_MANY = gettext_lazy("This route has more than 50,000 points. Export it with fewer "
                        "(route planners call it simplifying) and choose it again.")
OFF_THE_MAP = gettext_lazy("A point in this GPX file has a latitude or longitude that is not "
                           "on the map, so the file cannot be used.")
TOO_LONG = gettext_lazy("This route is more than 1,000 km long. Is it the right file?")


class RouteRefused(Exception):
    """The upload cannot be a route; str() says why, in words for the organiser."""


# Reading a file

def read(upload):
    """The Track in ``upload`` (an UploadedFile); raises RouteRefused."""
    if upload.size > MAX_FILE_BYTES:
        raise RouteRefused(TOO_BIG)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise RouteRefused(TOO_BIG)
    text = _checked_xml(_decoded(data))
    try:
        parsed = gpxpy.parse(text)
    except Exception as error:  # any failure of a third-party parser on untrusted input
        raise RouteRefused(BROKEN) from error
    return Track(_segments(parsed))


DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding=["']([A-Za-z0-9._-]{1,40})["']""")


def _decoded(data):
    """The file's text: UTF-8 (nearly every GPX), UTF-16 with its byte-order mark, or
    the encoding its XML declaration names."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        declared = DECLARED_ENCODING.match(data)
        try:
            return data.decode(declared[1].decode("ascii"))
        except (TypeError, LookupError, UnicodeDecodeError):
            raise RouteRefused(NOT_GPX) from error


# gpxpy finds namespaces with r'\sxmlns:?[^=]*="[^"]+"': each " xmlns" far from any "="
# (only ever in text, where it means nothing to us) costs a scan to the next "=".
XMLNS_IN_TEXT = re.compile(r"\sxmlns(?![^=]{0,100}=)")
NAMESPACE = re.compile(r'\sxmlns:?[^=]*="([^"]+)"')


def _checked_xml(text):
    """``text``, once one streaming pass found it well-formed, a <gpx> and safe to hand
    to gpxpy; raises RouteRefused."""
    parser = expat.ParserCreate()
    depth, points, root = 0, 0, None

    def start(name, attributes):
        nonlocal depth, points, root
        local = name.rpartition(":")[2]
        if root is None:
            root = local
            if local != "gpx":
                raise RouteRefused(NOT_GPX)
        depth += 1
        if depth > MAX_DEPTH:
            raise RouteRefused(BROKEN)
        if local in ("trkpt", "rtept"):
            points += 1
            if points > MAX_POINTS:
                raise RouteRefused(TOO_MANY)

    def end(name):
        nonlocal depth
        depth -= 1

    def declaration(*args):
        raise RouteRefused(UNUSUAL)

    parser.StartElementHandler, parser.EndElementHandler = start, end
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = declaration
    try:
        parser.Parse(text, True)
    except expat.ExpatError as error:
        raise RouteRefused(BROKEN if root else NOT_GPX) from error
    text = XMLNS_IN_TEXT.sub(" _xmlns", text)
    if len(set(NAMESPACE.findall(text))) > MAX_NAMESPACES:
        raise RouteRefused(UNUSUAL)
    return text


def _segments(parsed):
    """The points of the tracks, or of the routes when the tracks have fewer than two:
    a list of segments, each a list of (latitude, longitude, elevation or None)."""
    tracks = [segment.points for track in parsed.tracks for segment in track.segments]
    if sum(len(points) for points in tracks) < 2:
        tracks = [route.points for route in parsed.routes]
    segments = [[_point(p) for p in points] for points in tracks]
    segments = [segment for segment in segments if segment]
    if sum(len(segment) for segment in segments) < 2:
        raise RouteRefused(TOO_FEW)
    return segments


def _point(point):
    latitude, longitude, elevation = point.latitude, point.longitude, point.elevation
    if not (math.isfinite(latitude) and math.isfinite(longitude)
            and -90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise RouteRefused(OFF_THE_MAP)
    if elevation is not None and not (math.isfinite(elevation)
                                      and LOWEST_M <= elevation <= HIGHEST_M):
        elevation = None
    # 6 decimals are 11 cm: finer is noise, and a smaller file.
    return (round(latitude, 6), round(longitude, 6),
            None if elevation is None else round(elevation, 1))


GPX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<gpx version="1.1" creator="join run" xmlns="http://www.topografix.com/GPX/1/1">\n'
            "  <trk>\n")


@dataclass
class Track:
    segments: list

    def __post_init__(self):
        if self.distance_m > MAX_ROUTE_M:
            raise RouteRefused(TOO_LONG)

    @property
    def start(self):
        """(latitude, longitude) of the first point, as the run's coordinates keep them."""
        latitude, longitude, _elevation = self.segments[0][0]
        return coordinate(latitude), coordinate(longitude)

    @cached_property
    def along(self):
        """Each point's distance from the start in metres, segment by segment (the gap
        between two segments is not run)."""
        along, total = [], 0.0
        for segment in self.segments:
            previous = None
            for point in segment:
                if previous is not None:
                    total += gpxpy.geo.haversine_distance(previous[0], previous[1],
                                                          point[0], point[1])
                along.append(total)
                previous = point
        return along

    @property
    def distance_m(self):
        return round(self.along[-1])

    @cached_property
    def heights(self):
        """(distance along, elevation) of the points that have one."""
        points = [point for segment in self.segments for point in segment]
        return [(d, point[2]) for d, point in zip(self.along, points, strict=True)
                if point[2] is not None]

    @property
    def ascent_m(self):
        """Total climbing in metres, None without heights."""
        if len(self.heights) < 2:
            return None
        return round(ascent([height for _d, height in self.heights]))

    def gpx_text(self):
        """The cleaned GPX 1.1: one track of the points, nothing else. Written here, not
        by gpxpy: it is numbers only, and ten times faster."""
        lines = [GPX_HEAD]
        for points in self.segments:
            lines.append("    <trkseg>\n")
            for latitude, longitude, elevation in points:
                height = "" if elevation is None else f"<ele>{elevation:.1f}</ele>"
                lines.append(f'      <trkpt lat="{latitude:.6f}" lon="{longitude:.6f}">'
                             f"{height}</trkpt>\n")
            lines.append("    </trkseg>\n")
        lines.append("  </trk>\n</gpx>\n")
        return "".join(lines)

    def drawing(self):
        """What the page draws from: the line simplified to at most DRAWN_POINTS points
        (latitude, longitude), and the height profile as PROFILE_SAMPLES (distance,
        height) pairs with the lowest and highest point."""
        drawing = {"line": _simplified(self.segments), "profile": [], "low": None,
                   "high": None}
        if len(self.heights) >= 2:
            heights = [height for _d, height in self.heights]
            drawing.update(profile=_sampled(self.heights), low=min(heights),
                           high=max(heights))
        return drawing


def coordinate(degrees):
    """Degrees as the run's latitude and longitude keep them (5 decimals, 1 m)."""
    return Decimal(str(degrees)).quantize(Decimal("0.00001"))


def ascent(heights, noise=NOISE_M):
    """The sum of the climbs in ``heights``, counting a climb once it rises more than
    ``noise`` above the last turning point, so GPS jitter on the flat adds nothing."""
    total, anchor = 0.0, heights[0]
    for height in heights[1:]:
        if height > anchor + noise:
            total += height - anchor
            anchor = height
        elif height < anchor - noise:
            anchor = height
    return total


# Making it small enough to draw

def _metres(points):
    """``points`` projected on a plane in metres: east, and north, from the first one,
    squeezed east-west by the cosine of its latitude (equirectangular)."""
    latitude0, longitude0 = points[0][0], points[0][1]
    squeeze = math.cos(math.radians(latitude0))
    # East of the first point by the short way: a route across 180° stays in one piece.
    return [(((p[1] - longitude0 + 180) % 360 - 180) * METRES_PER_DEGREE * squeeze,
             (p[0] - latitude0) * METRES_PER_DEGREE) for p in points]


def _thinned(xy, tolerance):
    """Indices of ``xy`` without the points closer than ``tolerance`` to the last one
    kept; the first and last always stay."""
    kept = [0]
    for index in range(1, len(xy) - 1):
        if math.dist(xy[kept[-1]], xy[index]) >= tolerance:
            kept.append(index)
    if len(xy) > 1:
        kept.append(len(xy) - 1)
    return kept


def _peucker(xy, indices, tolerance):
    """The ``indices`` of ``xy`` that Ramer-Douglas-Peucker keeps within ``tolerance``
    (iterative: a long track would overflow recursion)."""
    keep = {indices[0], indices[-1]}
    stack = [(0, len(indices) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = xy[indices[first]], xy[indices[last]]
        length = math.hypot(x2 - x1, y2 - y1)
        farthest, distance = None, tolerance
        for position in range(first + 1, last):
            x, y = xy[indices[position]]
            if length:
                off = abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length
            else:
                off = math.hypot(x - x1, y - y1)
            if off > distance:
                farthest, distance = position, off
        if farthest is not None:
            keep.add(indices[farthest])
            stack += [(first, farthest), (farthest, last)]
    return sorted(keep)


def _simplified(segments):
    """At most DRAWN_POINTS [latitude, longitude] in all, segment by segment."""
    lines, offset = [], 0
    xy = _metres([point for segment in segments for point in segment])
    for segment in segments:
        lines.append(xy[offset:offset + len(segment)])
        offset += len(segment)
    xs, ys = [x for x, _y in xy], [y for _x, y in xy]
    tolerance = max(max(xs) - min(xs), max(ys) - min(ys), 1.0) / 1000
    # Thinned first, to a few times what is drawn: Ramer-Douglas-Peucker's worst case
    # is quadratic, so it never sees 50,000 points.
    while True:
        thinned = [_thinned(line, tolerance) for line in lines]
        if sum(len(indices) for indices in thinned) <= 4 * DRAWN_POINTS:
            break
        tolerance *= 2
    while True:
        kept = [_peucker(line, indices, tolerance)
                for line, indices in zip(lines, thinned, strict=True)]
        if sum(len(indices) for indices in kept) <= DRAWN_POINTS:
            return [[[segment[i][0], segment[i][1]] for i in indices]
                    for segment, indices in zip(segments, kept, strict=True)]
        tolerance *= 2


def _sampled(heights):
    """At most PROFILE_SAMPLES + 1 points evenly along the way, each the nearest point's
    height."""
    if len(heights) <= PROFILE_SAMPLES + 1:
        return [[round(d), height] for d, height in heights]
    along = [d for d, _height in heights]
    first, last = along[0], along[-1]
    samples = []
    for step in range(PROFILE_SAMPLES + 1):
        target = first + (last - first) * step / PROFILE_SAMPLES
        index = min(bisect.bisect_left(along, target), len(along) - 1)
        if index and target - along[index - 1] < along[index] - target:
            index -= 1
        samples.append([round(target), heights[index][1]])
    return samples


# Drawing (at each page view, in the reader's language)

MAP_WIDTH, MAP_MAX_HEIGHT, MAP_MIN_DRAWN = 400, 400, 120
PAD = 20
BAND = 34  # under the route: the scale bar and the north arrow
SCALE_LENGTHS = [m * 10 ** e for e in range(7) for m in (1, 2, 5)]
PROFILE_WIDTH, PROFILE_HEIGHT = 400, 150
PROFILE_LEFT, PROFILE_RIGHT, PROFILE_TOP, PROFILE_BOTTOM = 52, 12, 12, 30
FLATTEST_RANGE_M = 20  # a flat route's profile is not blown up into mountains


def km_text(metres):
    """ "10.3 km", in the reader's locale."""
    km = (Decimal(metres) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return _("%(distance)s km") % {"distance": formats.number_format(km, 1)}


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
    return gpxpy.geo.haversine_distance(*start, *finish) < LOOP_M


def map_svg(drawing, distance_m):
    """The route north up, with its start (a dot), finish (a square) and a scale bar."""
    lines = drawing["line"]
    xy_lines, offset = [], 0
    everything = _metres([point for line in lines for point in line])
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
    body.append(f'<text class="route-label" x="{north_x - 12}" y="{bar_y}" font-size="13" '
                f'text-anchor="end" fill="currentColor">'
                f'{escape(pgettext("compass point", "N"))}</text>')
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
