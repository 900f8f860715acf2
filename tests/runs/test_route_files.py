"""Reading a route's GPX file: what is kept (the line, a point every 10 m), what is
refused in words, and what a hostile file cannot do (runs/routes.py, joinrun/uploads.py).
The page, the form, the download and the organiser's data: test_routes.py."""

import logging
import math
import signal
import xml.etree.ElementTree as ElementTree
from contextlib import contextmanager, suppress
from decimal import Decimal
from html import unescape
from itertools import pairwise

import gpxpy.geo
import pytest
from django.core.exceptions import TooManyFilesSent
from django.core.files.uploadhandler import TemporaryFileUploadHandler

from joinrun.uploads import MAX_FILE_BYTES, CappedUploadHandler
from runs import routes
from runs.models import Route, Run
from tests.runs.conftest import make_run
from tests.runs.test_routes import (
    GPX,
    WATCH_EXTRAS,
    create_run,
    gpx_file,
    points_of,
    track_of,
    upload,
)


def gpx_of(*segments, extra=""):
    """A GPX file of one track with ``segments``, each a list of (latitude, longitude)
    or (latitude, longitude, elevation); ``extra`` goes before the track."""
    def point(values):
        height = f"<ele>{values[2]}</ele>" if len(values) > 2 else ""
        return f'<trkpt lat="{values[0]:.7f}" lon="{values[1]:.7f}">{height}</trkpt>'

    body = "".join("<trkseg>" + "".join(map(point, segment)) + "</trkseg>"
                   for segment in segments)
    return (f'<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="test" '
            f'xmlns="http://www.topografix.com/GPX/1/1">{extra}<trk>{body}</trk></gpx>').encode()


def steps(points):
    """The metres from each point to the next (gpxpy's own haversine, not ours)."""
    return [gpxpy.geo.haversine_distance(a.latitude, a.longitude, b.latitude, b.longitude)
            for a, b in pairwise(points)]


def metres_off(point, line):
    """How far ``point`` (latitude, longitude) lies from the polyline ``line``."""
    squeeze, metres = math.cos(math.radians(point[0])), 111_195

    def xy(p):
        return (p[1] - point[1]) * metres * squeeze, (p[0] - point[0]) * metres

    nearest = math.inf
    for (x1, y1), (x2, y2) in pairwise(map(xy, line)):
        length = (x2 - x1) ** 2 + (y2 - y1) ** 2
        share = 0 if not length else max(0, min(1, -(x1 * (x2 - x1) + y1 * (y2 - y1)) / length))
        nearest = min(nearest, math.hypot(x1 + share * (x2 - x1), y1 + share * (y2 - y1)))
    return nearest


@contextmanager
def never_hangs(seconds=60):
    """Turns a hang (the old simplifier's endless loop) into a failure. Not a speed test:
    a minute is hundreds of times what reading takes."""
    def hung(*args):
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# What is kept


def test_a_watch_file_keeps_only_its_line():
    original = points_of((GPX / "watch.gpx").read_text())
    cleaned = track_of("watch.gpx").gpx
    for extra in WATCH_EXTRAS:
        assert extra not in cleaned, extra
    kept = points_of(cleaned)
    assert all(p.time is None and not p.extensions for p in kept)
    line = [(p.latitude, p.longitude) for p in original]
    assert (kept[0].latitude, kept[0].longitude) == line[0]
    assert (kept[-1].latitude, kept[-1].longitude) == line[-1]
    assert max(metres_off((p.latitude, p.longitude), line) for p in kept) < 0.2
    heights = [p.elevation for p in kept]
    assert min(heights) == min(p.elevation for p in original) == 295.4
    assert max(heights) <= max(p.elevation for p in original)


def stored_points(organiser, content):
    """The points of the route a run gets from the file ``content``."""
    run = make_run(organiser)
    Route.attach(routes.read(upload(content)), [run])
    return points_of(Route.objects.get(run=run).gpx)


def test_the_kept_points_are_10_m_apart_so_they_carry_no_pace(organiser):
    # watch.gpx has a point every 15 s, 44 m apart: 5.7 min/km, read from the spacing.
    assert min(steps(points_of((GPX / "watch.gpx").read_text()))) > 40
    kept = stored_points(organiser, (GPX / "watch.gpx").read_bytes())
    assert all(9.7 < step < 10.3 for step in steps(kept)[:-1])
    assert steps(kept)[-1] < 10.3


def test_standing_still_leaves_no_cluster_of_points(organiser):
    # A second by second: 2 minutes at the door (the GPS drifting a few metres), 900 m
    # north at 3 m/s, 2 minutes at the door again.
    door, drift = (46.05, 14.5), [(0, 0), (2e-5, 1e-5), (-1e-5, 2e-5), (1e-5, -2e-5)]
    standing = [(door[0] + a, door[1] + b) for a, b in drift * 30]
    walk = [(door[0] + 2.7e-5 * i, door[1]) for i in range(1, 301)]
    there = [(walk[-1][0] + a, walk[-1][1] + b) for a, b in drift * 30]
    kept = stored_points(organiser, gpx_of(standing + walk + there))
    assert len(kept) < 100  # of 540
    assert all(step > 9.7 for step in steps(kept)[:-1])


def test_heights_between_points_are_interpolated():
    track = routes.read(upload(gpx_of([(46.0, 14.0, 300), (46.0009, 14.0, 310)])))
    heights = [p.elevation for p in points_of(track.gpx)]
    assert heights[0] == 300 and heights[-1] == 310
    assert len(heights) == 12  # 100 m: the start, ten more 10 m apart, the end
    assert all(0.9 <= b - a <= 1.1 for a, b in pairwise(heights[:-1]))
    assert track.ascent_m == 10


def test_a_gpx_1_0_file_is_read_and_written_as_1_1():
    track = track_of("gpx10.gpx")
    assert 'version="1.1"' in track.gpx and "GPX/1/1" in track.gpx
    assert "<speed" not in track.gpx and "<time" not in track.gpx
    assert "Old track" not in track.gpx
    assert track.ascent_m == 20


def test_a_planned_route_without_a_track_gives_its_route_points():
    track = track_of("route.gpx")
    kept = [(p.latitude, p.longitude) for p in points_of(track.gpx)]
    planned = [(46.05, 14.505), (46.049, 14.508), (46.048, 14.511), (46.047, 14.512)]
    assert kept[0] == planned[0] and kept[-1] == planned[-1]
    assert max(metres_off(point, planned) for point in kept) < 0.2
    assert "Bojan" not in track.gpx and "Castle" not in track.gpx
    assert track.ascent_m is None
    assert track.drawing["profile"] == []


def test_the_ascent_counts_climbs_and_ignores_gps_noise():
    # hill.gpx: ±1 m of noise on the flat, then up 50 m, down 30 m, up 60 m, 100 m apart.
    track = track_of("hill.gpx")
    assert track.ascent_m == 110
    assert 1795 <= track.distance_m <= 1805
    assert routes.ascent([300, 301, 300, 301.5, 300, 301]) == 0
    assert routes.ascent([300, 303, 306]) == 6
    assert routes.ascent([300, 301, 302, 303, 304, 303, 302, 301, 302, 303]) == 4


def test_heights_a_device_could_not_know_are_left_out():
    content = gpx_of([(46.0, 14.0, -9999), (46.001, 14.0, 300), (46.002, 14.0, 310)])
    track = routes.read(upload(content))
    heights = [p.elevation for p in points_of(track.gpx)]
    assert heights[0] is None and -9999 not in heights
    assert min(h for h in heights if h is not None) == 300 and heights[-1] == 310
    assert track.ascent_m == 10


def test_the_start_is_the_first_point_in_the_runs_precision():
    assert track_of("watch.gpx").start == (Decimal("46.05500"), Decimal("14.49500"))


def test_a_long_track_is_drawn_with_a_few_hundred_points():
    zigzag = [(46 + i * 0.00005, 14 + (i % 7) * 0.00003, 300 + i % 13) for i in range(20_000)]
    drawing = routes.read(upload(gpx_of(zigzag))).drawing
    assert sum(len(line) for line in drawing["line"]) <= routes.DRAWN_POINTS
    assert len(drawing["profile"]) <= routes.PROFILE_SAMPLES + 1
    assert drawing["line"][0][0] == [46.0, 14.0]


# Refused in words


@pytest.mark.parametrize(("content", "message"), [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "not a GPX file"),
    (b"Just some text, not XML at all.", "not a GPX file"),
    (b"<html><body><p>A web page</p></body></html>", "not a GPX file"),
    (b'{"type": "FeatureCollection", "features": []}', "not a GPX file"),
    ((GPX / "broken.gpx").read_bytes(), "damaged or incomplete"),
    ((GPX / "bomb.gpx").read_bytes(), "written in a way we do not read"),
    (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
     b'<gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="1"><name>&secret;</name></trkpt>'
     b'<trkpt lat="2" lon="1"/></trkseg></trk></gpx>', "written in a way we do not read"),
    (b'<?xml version="1.0"?><!DOCTYPE gpx [<!ATTLIST trkpt lat CDATA "46.05">]><gpx '
     b'version="1.1"><trk><trkseg><trkpt lon="1"/><trkpt lon="2"/></trkseg></trk></gpx>',
     "written in a way we do not read"),
    (b"<gpx>" + b"<a>" * 2000 + b"</a>" * 2000 + b"</gpx>", "damaged or incomplete"),
    (b'<gpx version="1.1"><metadata><name>Nothing</name></metadata></gpx>', "no route in it"),
    (b'<gpx version="1.1"><wpt lat="46" lon="14"/><wpt lat="47" lon="14"/></gpx>',
     "no route in it"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="46" lon="14"/></trkseg></trk></gpx>',
     "no route in it"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="NaN" lon="14"/><trkpt lat="46" lon="14"/>'
     b"</trkseg></trk></gpx>", "not on the map"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="1e999" lon="14"/><trkpt lat="46" lon="14"/>'
     b"</trkseg></trk></gpx>", "not on the map"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="91" lon="14"/><trkpt lat="46" lon="14"/>'
     b"</trkseg></trk></gpx>", "not on the map"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="46" lon="-180.5"/><trkpt lat="46" '
     b'lon="14"/></trkseg></trk></gpx>', "not on the map"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="46" lon="' + b"9" * 400 + b'"/>'
     b'<trkpt lat="46" lon="14"/></trkseg></trk></gpx>', "not on the map"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="46" lon="abc"/><trkpt lat="46" lon="14"/>'
     b"</trkseg></trk></gpx>", "damaged or incomplete"),
    (b'<gpx version="1.1"><trk><trkseg><trkpt lat="0" lon="0"/><trkpt lat="10" lon="0"/>'
     b"</trkseg></trk></gpx>", "more than 1,000 km"),
    (b'<gpx version="1.1"><trk><trkseg>' + b'<trkpt lat="46" lon="14"/>' * 50_001
     + b"</trkseg></trk></gpx>", "more than 50,000 points"),
])
def test_a_file_that_is_no_route_is_refused_in_words(organiser_client, content, message):
    response = create_run(organiser_client, upload(content), title="Refused route")
    assert response.status_code == 400
    assert message in unescape(response.content.decode())
    assert not Run.objects.exists()
    assert not Route.objects.exists()


def test_a_file_over_5_mb_is_refused_and_the_rest_of_the_form_is_kept(organiser_client):
    big = b'<gpx version="1.1"><!--' + b"x" * (5 * 1024 * 1024) + b"--></gpx>"
    response = create_run(organiser_client, upload(big), title="Castle hill repeats",
                          meeting_point="Ljubljana castle")
    text = unescape(response.content.decode())
    assert response.status_code == 400
    assert "The file is larger than 5 MB" in text
    assert 'value="Castle hill repeats"' in text
    assert 'value="Ljubljana castle"' in text
    assert not Run.objects.exists()


def test_a_description_full_of_xmlns_is_read():
    # " xmlns" far from any "=" made gpxpy's namespace pattern quadratic.
    content = gpx_of([(46.0, 14.0), (46.01, 14.0)], extra="<metadata><desc>"
                     + " xmlns without an equals sign" * 50_000 + "</desc></metadata>")
    assert routes.read(upload(content)).distance_m > 1000


# Encodings


@pytest.mark.parametrize(("name", "encoding"), [
    ("windows-1250.gpx", None), ("watch.gpx", "utf-16"), ("watch.gpx", "utf-16-le"),
    ("watch.gpx", "utf-16-be"), ("watch.gpx", "utf-8-sig")])
def test_files_in_the_encodings_of_real_devices_are_read(name, encoding):
    content = (GPX / name).read_bytes()
    if encoding:  # the same file in another encoding: its declaration says UTF-8
        content = content.decode().encode(encoding)
    track = routes.read(upload(content))
    assert track.distance_m > 300


def test_a_file_in_latin_1_that_says_so_is_read():
    content = ('<?xml version="1.0" encoding="ISO-8859-1"?><gpx version="1.1"><trk>'
               "<name>Zürich</name><trkseg><trkpt lat=\"47.37\" lon=\"8.54\"/>"
               '<trkpt lat="47.38" lon="8.54"/></trkseg></trk></gpx>').encode("latin-1")
    assert routes.read(upload(content)).distance_m > 1000


@pytest.mark.parametrize("encoding", ["undefined", "utf-7", "shift_jis", "rot13", "base64",
                                      "zip", "utf-32", "no-such-encoding"])
def test_an_encoding_we_do_not_read_is_refused_in_words(organiser_client, encoding):
    content = (f'<?xml version="1.0" encoding="{encoding}"?><gpx version="1.1">'.encode()
               + b"\xff\xfe\x80" + b'<trk><trkseg><trkpt lat="46" lon="14"/>'
               b'<trkpt lat="46.01" lon="14"/></trkseg></trk></gpx>')
    response = create_run(organiser_client, upload(content), title="Refused route")
    assert response.status_code == 400
    assert "written in a character encoding we do not read" in unescape(
        response.content.decode())
    assert not Run.objects.exists()


# Hostile files


def test_a_document_type_hidden_from_a_first_look_declares_nothing(organiser_client):
    # The review's file: a DOCTYPE in a comment that another parser's rewriting would
    # have uncovered, with default coordinates for the points that have none.
    response = create_run(organiser_client, gpx_file("hidden-doctype.gpx"))
    assert response.status_code == 400
    assert "damaged or incomplete" in unescape(response.content.decode())
    assert not Route.objects.exists()


def test_attribute_defaults_in_a_document_type_are_never_applied():
    padded = "x" * 100_000
    content = (f'<?xml version="1.0"?><?p xmlns="a?><!--" ?><!DOCTYPE gpx [<!ATTLIST trkpt '
               f'pad CDATA "{padded}">]><?z --><?w ?>').encode() + gpx_of(
        [(46.0 + i * 1e-4, 14.5) for i in range(200)]).split(b"?>", 1)[1]
    track = routes.read(upload(content))
    assert padded not in track.gpx and "pad" not in track.gpx
    assert track.distance_m == pytest.approx(2213, abs=2)


@pytest.mark.parametrize("element", ["<a/>", "<trk/>", '<wpt lat="46" lon="14"/>',
                                     "<rte/>", "<metadata/>"])
def test_a_file_of_countless_elements_is_refused_in_words(organiser_client, element):
    content = gpx_of([(46.0, 14.0), (46.01, 14.0)],
                     extra=element * routes.MAX_ELEMENTS)
    assert len(content) < MAX_FILE_BYTES
    response = create_run(organiser_client, upload(content))
    assert response.status_code == 400
    assert "holds too much besides its route (more than 200,000 parts)" in unescape(
        response.content.decode())


def test_reading_a_file_registers_none_of_its_namespaces():
    before = dict(ElementTree._namespace_map)
    declared = " ".join(f'xmlns:n{i}="urn:{"n" * 1000}{i}"' for i in range(20))
    content = (f'<gpx version="1.1" {declared}><metadata><desc> xmlns:p="urn:in-text" '
               f'xmlns="urn:also"</desc></metadata><trk><trkseg><trkpt lat="46" lon="14"/>'
               f'<trkpt lat="46.01" lon="14"/></trkseg></trk></gpx>').encode()
    assert routes.read(upload(content)).distance_m > 1000
    with pytest.raises(routes.RouteRefused):
        routes.read(upload(content.replace(b"<trkpt", b"<wpt")))
    assert dict(ElementTree._namespace_map) == before


def test_nothing_of_a_file_is_logged_at_any_level(caplog):
    # Good XML that gpxpy's rewriting broke, and then logged whole.
    content = (b'<gpx version="1.1"><metadata><desc>Ana Novak, 12 Secret Street xmlns="'
               b'</desc></metadata><wpt lat="46" lon="14"><name>"</name></wpt><trk><trkseg>'
               b'<trkpt lat="46" lon="14"/><trkpt lat="46.01" lon="14"/></trkseg></trk></gpx>')
    caplog.set_level(logging.DEBUG)
    for file in (content, content.replace(b"</trk>", b"</trkseg>")):
        with suppress(routes.RouteRefused):
            routes.read(upload(file))
    assert "Secret Street" not in caplog.text
    assert routes.read(upload(content)).distance_m > 1000  # the first one was a good file


# Many segments


def test_segments_that_follow_on_from_each_other_are_one_piece(organiser_client):
    # The review's files: 251 segments of two points, 2,001 of one, 10 m apart. Apps
    # that start a segment after each pause write such files, and drawing them never
    # ended, in the database's transaction.
    two = "".join(f'<trkseg><trkpt lat="46.{i:04d}0" lon="14.5"/><trkpt lat="46.{i:04d}1" '
                  f'lon="14.5"/></trkseg>' for i in range(251))
    one = "".join(f'<trkseg><trkpt lat="{46 + i * 1e-4:.4f}" lon="14.5"/></trkseg>'
                  for i in range(2001))
    for segments in (two, one):
        content = f'<?xml version="1.0"?><gpx version="1.1"><trk>{segments}</trk></gpx>'
        with never_hangs():
            response = create_run(organiser_client, upload(content.encode()))
        assert response.status_code == 302
    drawings = [route.drawing["line"] for route in Route.objects.order_by("run")]
    assert [len(lines) for lines in drawings] == [1, 1]
    assert all(sum(map(len, lines)) <= routes.DRAWN_POINTS for lines in drawings)


def test_a_route_in_up_to_50_pieces_is_drawn_piece_by_piece():
    # Two points 5.6 m apart, every 500 m eastwards.
    pieces = [[(46.0, 14.0 + i * 0.0065), (46.00005, 14.0 + i * 0.0065)] for i in range(50)]
    with never_hangs():
        track = routes.read(upload(gpx_of(*pieces)))
    assert len(track.drawing["line"]) == 50
    assert all(len(line) == 2 for line in track.drawing["line"])
    assert track.distance_m == 278  # 50 × 5.6 m: the gaps between pieces are not run


def test_a_route_in_more_than_50_pieces_is_refused_in_words(organiser_client):
    pieces = [[(46.0, 14.0 + i * 0.0065), (46.00005, 14.0 + i * 0.0065)] for i in range(51)]
    with never_hangs():
        response = create_run(organiser_client, upload(gpx_of(*pieces)))
    assert response.status_code == 400
    assert "This route is in more than 50 separate pieces." in unescape(
        response.content.decode())


def test_the_drawing_is_made_when_the_file_is_read_not_when_it_is_saved(organiser,
                                                                        monkeypatch):
    track = track_of("watch.gpx")

    def not_now(*args):
        raise AssertionError("drawn while saving, in the transaction")

    monkeypatch.setattr(routes, "_simplified", not_now)
    run = make_run(organiser)
    Route.attach(track, [run])
    assert Route.objects.get(run=run).drawing["line"][0][0] == [46.055, 14.495]


# One file, and at most 5 MB of it


def test_a_request_with_a_second_file_is_refused(organiser_client):
    data = {"route": gpx_file("watch.gpx"), "another": upload(b"<gpx/>" * 1000, "b.gpx")}
    response = create_run(organiser_client, **data)
    assert response.status_code == 400
    assert not Run.objects.exists()


def test_no_more_than_5_mb_of_a_requests_files_is_written_to_disk(rf):
    size = 20 * 1024 * 1024
    request = rf.post("/")
    capped, disk = CappedUploadHandler(request), TemporaryFileUploadHandler(request)
    for handler in (capped, disk):
        handler.new_file("route", "big.gpx", "application/gpx+xml", size)
    chunk = b"x" * (64 * 1024)
    for start in range(0, size, len(chunk)):  # as Django's multipart parser hands it on
        passed = capped.receive_data_chunk(chunk, start)
        if passed is not None:
            disk.receive_data_chunk(passed, start)
    assert capped.file_complete(size) is None
    kept = disk.file_complete(MAX_FILE_BYTES + 1)
    kept.seek(0, 2)
    assert kept.tell() == MAX_FILE_BYTES + 1
    kept.close()
    with pytest.raises(TooManyFilesSent):  # and nothing of a second file
        capped.new_file("other", "other.gpx", "application/gpx+xml", size)
