"""A run's route from the organiser's GPX file, drawn on the server.

``read(upload)`` checks, cleans and draws an uploaded file and returns a ``Track``: only
the points (latitude, longitude, elevation) of its tracks, or of its routes when it has no
track, redrawn with a point every 10 metres along the way. Times, names, descriptions,
waypoints, the author and every extension (heart rate, cadence) are dropped, and so are
the spacing of the points and the clusters where someone stood still: a GPX from a watch
says when and how fast someone ran, and where they stopped. The Track gives the cleaned
GPX 1.1 that runners download, the distance, the total ascent and a small ``drawing`` (a
few hundred points) from which the run page's template tags (templatetags/route_drawing.py)
draw the route in the reader's language at each page view. No map tiles and no request
to anyone else.

The file is untrusted XML, read in one streaming pass of the standard library's expat
that builds nothing but the list of points: a document type or entity declaration,
more than MAX_ELEMENTS elements, more than MAX_POINTS points and nesting deeper than
MAX_DEPTH stop it. No other parser ever sees the file, and nothing of it is logged.
"""

import bisect
import codecs
import heapq
import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from xml.parsers import expat

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from joinrun.uploads import MAX_FILE_BYTES

MAX_POINTS = 50_000  # a 1-second watch track of 14 hours; 5 MB from a watch holds fewer
# Every element costs a call into Python: a watch's point with its time, height, heart
# rate and cadence is about 7, and 5 MB of such points are about 150,000.
MAX_ELEMENTS = 200_000
MAX_DEPTH = 32  # gpx > trk > trkseg > trkpt > extensions > ... is about 7 deep
# A segment that starts this close to where the last one ended is one piece with it: the
# watch paused (at a crossing, say), the runner did not jump.
PAUSE_M = 50
MAX_PIECES = 50
MAX_ROUTE_M = 1_000_000
# The stored line has a point every SPACING_M metres along the way, so its points say
# nothing of a pace or a stop; a route longer than a run may be (250 km) gets a wider
# spacing, to keep at most MAX_STORED_POINTS.
SPACING_M = 10
MAX_STORED_POINTS = 25_000
# Heights outside these are a device's "unknown" (-9999) or garbage: the point keeps its
# place on the map, without a height.
LOWEST_M, HIGHEST_M = -500, 9_000
# Rises and falls smaller than this are GPS noise, not climbing.
NOISE_M = 2
DRAWN_POINTS = 500
PROFILE_SAMPLES = 200
EARTH_RADIUS_M = 6_371_000  # the mean radius
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180  # of latitude
# Every piece keeps its first and last point in the drawing.
assert 2 * MAX_PIECES <= DRAWN_POINTS

TOO_BIG = gettext_lazy("The file is larger than 5 MB, the most a route may be. Export the "
                       "route again without extras such as heart rate, or with fewer points.")
NOT_GPX = gettext_lazy("This is not a GPX file. Export the route as GPX from your watch's "
                       "app or your route planner, and choose that file.")
UNKNOWN_ENCODING = gettext_lazy("This GPX file is written in a character encoding we do not "
                                "read. Export it again as UTF-8 and choose the new file.")
BROKEN = gettext_lazy("This GPX file is damaged or incomplete, so it cannot be read. Export "
                      "it again and choose the new file.")
UNUSUAL = gettext_lazy("This GPX file is written in a way we do not read (with a document "
                       "type or entities). Export it again from your app and choose the new "
                       "file.")
TOO_MUCH = gettext_lazy("This GPX file holds too much besides its route (more than 200,000 "
                        "parts). Export the route again without extras such as heart rate, "
                        "or with fewer points.")
TOO_FEW = gettext_lazy("This GPX file has no route in it: it needs a track or a route with "
                       "at least two points.")
TOO_MANY = gettext_lazy("This route has more than 50,000 points. Export it with fewer "
                        "(route planners call it simplifying) and choose it again.")
TOO_SCATTERED = gettext_lazy("This route is in more than 50 separate pieces. Export it as one "
                             "track and choose it again.")
OFF_THE_MAP = gettext_lazy("A point in this GPX file has a latitude or longitude that is not "
                           "on the map, so the file cannot be used.")
TOO_LONG = gettext_lazy("This route is more than 1,000 km long. Is it the right file?")


class RouteRefused(Exception):
    """The upload cannot be a route; str() says why, in words for the organiser."""


# Reading a file

def read(upload):
    """The Track in ``upload`` (an UploadedFile), cleaned and drawn (the slow part, done
    here in the form's validation, never in a transaction); raises RouteRefused."""
    if upload.size > MAX_FILE_BYTES:
        raise RouteRefused(TOO_BIG)
    data = upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise RouteRefused(TOO_BIG)
    reader = GpxReader()
    reader.read(_decoded(data))
    # The tracks; the routes when the tracks have fewer than two points.
    segments = reader.tracks if sum(map(len, reader.tracks)) >= 2 else reader.routes
    pieces = _pieces(segments)
    length = sum(_length(piece) for piece in pieces)
    if length > MAX_ROUTE_M:
        raise RouteRefused(TOO_LONG)
    spacing = max(SPACING_M, length / MAX_STORED_POINTS)
    return Track([_resampled(piece, spacing) for piece in pieces])


# The encodings a GPX file comes in (Python's names for them): UTF-8 nearly always, ASCII,
# and the single-byte ones of old Western and Central European software.
SINGLE_BYTE = {"ascii", "iso8859-1", "iso8859-2", "iso8859-15", "cp1250", "cp1252"}
DECLARED_ENCODING = re.compile(
    rb"""<\?xml[^>]{0,200}?\sencoding\s*=\s*["']([A-Za-z0-9._-]{1,40})["']""")


def _decoded(data):
    """The file's text: UTF-8, UTF-16 (by its byte-order mark or its first "<"), or the
    encoding its XML declaration names, from a short list; raises RouteRefused."""
    if data.startswith(codecs.BOM_UTF8):
        encoding, data = "utf-8", data[len(codecs.BOM_UTF8):]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"  # reads the mark and drops it
    elif data.startswith((b"<\x00", b"\x00<")):
        encoding = "utf-16-le" if data[0] else "utf-16-be"
    else:
        declared = DECLARED_ENCODING.match(data)
        try:
            encoding = codecs.lookup(declared[1].decode("ascii") if declared else "utf-8").name
        except LookupError as error:
            raise RouteRefused(UNKNOWN_ENCODING) from error
        if encoding != "utf-8" and encoding not in SINGLE_BYTE:
            raise RouteRefused(UNKNOWN_ENCODING)
    try:
        return data.decode(encoding)
    except UnicodeError as error:
        raise RouteRefused(NOT_GPX) from error


TRACK_SEGMENT, TRACK_POINT = ["gpx", "trk", "trkseg"], ["gpx", "trk", "trkseg", "trkpt"]
ROUTE, ROUTE_POINT = ["gpx", "rte"], ["gpx", "rte", "rtept"]


def _refuse_declaration(*args):
    raise RouteRefused(UNUSUAL)


class GpxReader:
    """The points of a GPX text, read in one streaming pass of expat that keeps nothing
    else: ``tracks`` (a list per <trkseg>) and ``routes`` (a list per <rte>) of
    (latitude, longitude, elevation or None)."""

    def __init__(self):
        self.path = []  # the names of the open elements, without their namespace prefix
        self.elements = self.points = 0
        self.tracks, self.routes = [], []
        self.point = None  # [latitude, longitude, elevation] of the open point
        self.height = None  # the pieces of text of its open <ele>

    def read(self, text):
        parser = expat.ParserCreate()
        # A document type is where entities, attribute defaults and external files are
        # declared: refused at its first word, nothing in it is read or fetched.
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        parser.StartDoctypeDeclHandler = _refuse_declaration
        parser.EntityDeclHandler = parser.ExternalEntityRefHandler = _refuse_declaration
        parser.StartElementHandler, parser.EndElementHandler = self.start, self.end
        parser.CharacterDataHandler = self.text
        try:
            parser.Parse(text, True)
        except (expat.ExpatError, UnicodeError) as error:
            raise RouteRefused(BROKEN if self.elements else NOT_GPX) from error

    def start(self, name, attributes):
        self.elements += 1
        if self.elements > MAX_ELEMENTS:
            raise RouteRefused(TOO_MUCH)
        name = name.rpartition(":")[2]
        if not self.path and name != "gpx":
            raise RouteRefused(NOT_GPX)
        self.path.append(name)
        if len(self.path) > MAX_DEPTH:
            raise RouteRefused(BROKEN)
        if self.path in (TRACK_POINT, ROUTE_POINT):
            self.points += 1
            if self.points > MAX_POINTS:
                raise RouteRefused(TOO_MANY)
            self.point = [_degrees(attributes.get("lat"), 90),
                          _degrees(attributes.get("lon"), 180), None]
        elif self.path == TRACK_SEGMENT:
            self.tracks.append([])
        elif self.path == ROUTE:
            self.routes.append([])
        elif name == "ele" and self.path[:-1] in (TRACK_POINT, ROUTE_POINT):
            self.height = []

    def text(self, data):
        if self.height is not None and self.path[-1] == "ele":
            self.height.append(data)

    def end(self, name):
        if self.height is not None and self.path[-1] == "ele":
            self.point[2] = _height("".join(self.height))
            self.height = None
        elif self.path == TRACK_POINT:
            self.tracks[-1].append(tuple(self.point))
        elif self.path == ROUTE_POINT:
            self.routes[-1].append(tuple(self.point))
        self.path.pop()


def _degrees(text, limit):
    """A latitude (``limit`` 90) or longitude (180), to 6 decimals (11 cm: finer is
    noise); raises RouteRefused."""
    try:
        degrees = float(text)
    except (TypeError, ValueError) as error:  # missing, or not a number
        raise RouteRefused(BROKEN) from error
    if not (math.isfinite(degrees) and -limit <= degrees <= limit):
        raise RouteRefused(OFF_THE_MAP)
    return round(degrees, 6)


def _height(text):
    """Metres to 0.1 m, or None when the text is no usable height."""
    try:
        metres = float(text)
    except ValueError:
        return None
    return round(metres, 1) if LOWEST_M <= metres <= HIGHEST_M else None


def metres_between(a, b):
    """The distance between two (latitude, longitude, ...) points on the Earth's surface
    (haversine)."""
    latitude_a, longitude_a, latitude_b, longitude_b = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (math.sin((latitude_b - latitude_a) / 2) ** 2 + math.cos(latitude_a)
         * math.cos(latitude_b) * math.sin((longitude_b - longitude_a) / 2) ** 2)
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(h, 1.0)))


def _length(points):
    return sum(metres_between(a, b) for a, b in pairwise(points))


def _pieces(segments):
    """The segments joined where one starts within PAUSE_M of where the last ended,
    without those of a single point; raises RouteRefused unless 1 to MAX_PIECES remain."""
    pieces = []
    for segment in filter(None, segments):
        if pieces and metres_between(pieces[-1][-1], segment[0]) < PAUSE_M:
            pieces[-1].extend(segment)
        else:
            pieces.append(list(segment))
    pieces = [piece for piece in pieces if len(piece) >= 2]
    if not pieces:
        raise RouteRefused(TOO_FEW)
    if len(pieces) > MAX_PIECES:
        raise RouteRefused(TOO_SCATTERED)
    return pieces


def _resampled(points, spacing):
    """``points`` redrawn with one point every ``spacing`` metres along them, and their
    last point; heights in between interpolated. Points closer than ``spacing`` to the
    last one kept (someone standing still, and the GPS drifting) count as that one."""
    kept = [points[0]]
    for point in points[1:-1]:
        if metres_between(kept[-1], point) >= spacing:
            kept.append(point)
    kept.append(points[-1])
    line, walked = [kept[0]], 0.0  # walked: since the last point of the line
    for a, b in pairwise(kept):
        length, at = metres_between(a, b), spacing - walked
        while at < length:
            line.append(_between(a, b, at / length))
            at += spacing
        walked = length - (at - spacing)
    line.append(kept[-1])
    return line


def _between(a, b, share):
    """The point ``share`` (0 to 1) of the way from ``a`` to ``b``."""
    east = (b[1] - a[1] + 180) % 360 - 180  # the short way, also across 180°
    longitude = (a[1] + share * east + 180) % 360 - 180
    if a[2] is None or b[2] is None:
        height = a[2] if b[2] is None else b[2]
    else:
        height = round(a[2] + share * (b[2] - a[2]), 1)
    return round(a[0] + share * (b[0] - a[0]), 6), round(longitude, 6), height


GPX_HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<gpx version="1.1" creator="join run" xmlns="http://www.topografix.com/GPX/1/1">\n'
            "  <trk>\n")


@dataclass
class Track:
    """A route's pieces, each a list of (latitude, longitude, elevation or None); all it
    gives is worked out when it is made."""

    segments: list

    def __post_init__(self):
        along, total = [], 0.0  # each point's distance from the start, gaps not run
        for segment in self.segments:
            along.append(total)
            for a, b in pairwise(segment):
                total += metres_between(a, b)
                along.append(total)
        points = [point for segment in self.segments for point in segment]
        self.heights = [(metres, point[2]) for metres, point in zip(along, points, strict=True)
                        if point[2] is not None]
        self.distance_m = round(total)
        self.ascent_m = (round(ascent([height for _metres, height in self.heights]))
                         if len(self.heights) >= 2 else None)
        self.gpx = self._gpx()
        self.drawing = self._drawing()

    @property
    def start(self):
        """(latitude, longitude) of the first point, as the run's coordinates keep them."""
        latitude, longitude, _elevation = self.segments[0][0]
        return coordinate(latitude), coordinate(longitude)

    def _gpx(self):
        """The cleaned GPX 1.1 runners download: one track of the points, nothing else."""
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

    def _drawing(self):
        """What the page draws from: the line simplified to at most DRAWN_POINTS points
        (latitude, longitude), and the height profile as PROFILE_SAMPLES (distance,
        height) pairs with the lowest and highest point."""
        drawing = {"line": _simplified(self.segments), "profile": [], "low": None,
                   "high": None}
        if len(self.heights) >= 2:
            heights = [height for _metres, height in self.heights]
            drawing.update(profile=_sampled(self.heights), low=min(heights),
                           high=max(heights))
        return drawing


def coordinate(degrees):
    """Degrees as the run's latitude and longitude keep them (5 decimals, 1 m)."""
    return Decimal(str(degrees)).quantize(Decimal("0.00001"))


def ascent(heights, noise=NOISE_M):
    """The sum of the climbs in ``heights``: a climb counts from its lowest to its
    highest height when it rises more than ``noise``, so GPS jitter on the flat adds
    nothing, and it ends where the way falls more than ``noise`` from its top."""
    total, low, high = 0.0, heights[0], heights[0]
    for height in heights[1:]:
        if height > high:
            high = height
        elif high - height > noise:
            total += high - low if high - low > noise else 0
            low = high = height
        else:
            low = min(low, height)
    return total + (high - low if high - low > noise else 0)


# Making it small enough to draw, in a bounded number of steps

# Ramer-Douglas-Peucker's worst case is quadratic, so it never sees more than this.
THINNED_POINTS = 2 * DRAWN_POINTS
# Points closer than this to a straight line through their neighbours draw nothing.
STRAIGHT_M = 0.1


def projected(points):
    """``points`` projected on a plane in metres: east, and north, from the first one,
    squeezed east-west by the cosine of its latitude (equirectangular)."""
    latitude0, longitude0 = points[0][0], points[0][1]
    squeeze = math.cos(math.radians(latitude0))
    # East of the first point by the short way: a route across 180° stays in one piece.
    return [(((p[1] - longitude0 + 180) % 360 - 180) * METRES_PER_DEGREE * squeeze,
             (p[0] - latitude0) * METRES_PER_DEGREE) for p in points]


def _evenly(count, wanted):
    """At most ``wanted`` (2 or more) indices of ``count``, evenly spread, with the first
    and the last."""
    if count <= wanted:
        return list(range(count))
    return sorted({round(step * (count - 1) / (wanted - 1)) for step in range(wanted)})


def _off(point, first, last):
    """How far ``point`` lies from the line through ``first`` and ``last``."""
    (x, y), (x1, y1), (x2, y2) = point, first, last
    length = math.hypot(x2 - x1, y2 - y1)
    if not length:
        return math.hypot(x - x1, y - y1)
    return abs((x2 - x1) * (y1 - y) - (x1 - x) * (y2 - y1)) / length


def _importance(xy):
    """For each point of ``xy``, the tolerance below which Ramer-Douglas-Peucker keeps it
    (never above the point that split its part first, so the most important N points
    are what the algorithm keeps at some tolerance). The ends are infinitely important.
    One pass, iterative: a long line would overflow recursion."""
    importance = [0.0] * len(xy)
    importance[0] = importance[-1] = math.inf
    stack = [(0, len(xy) - 1, math.inf)]
    while stack:
        first, last, ceiling = stack.pop()
        if last - first < 2:
            continue
        off, farthest = max((_off(xy[index], xy[first], xy[last]), index)
                            for index in range(first + 1, last))
        if off < STRAIGHT_M:  # a straight stretch: its points stay unranked, in one step
            continue
        importance[farthest] = min(off, ceiling)
        stack += [(first, farthest, importance[farthest]), (farthest, last, importance[farthest])]
    return importance


def _simplified(segments):
    """At most DRAWN_POINTS [latitude, longitude] in all, segment by segment: each
    segment thinned evenly to its share of THINNED_POINTS, then the most important
    points of all kept (each segment keeps its ends)."""
    everything = [point for segment in segments for point in segment]
    xy, ranked, offset = projected(everything), [], 0
    for number, segment in enumerate(segments):
        indices = _evenly(len(segment), max(2, THINNED_POINTS * len(segment) // len(everything)))
        line = [xy[offset + index] for index in indices]
        ranked += [(importance, -number, -index)
                   for importance, index in zip(_importance(line), indices, strict=True)]
        offset += len(segment)
    kept = sorted((-number, -index) for _importance, number, index
                  in heapq.nlargest(DRAWN_POINTS, ranked))
    lines = [[] for _segment in segments]
    for number, index in kept:
        lines[number].append(list(segments[number][index][:2]))
    return lines


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


def km_text(metres):
    """ "10.3 km", in the reader's locale."""
    km = (Decimal(metres) / 1000).quantize(Decimal("0.1"), ROUND_HALF_UP)
    return _("%(distance)s km") % {"distance": formats.number_format(km, 1)}
