"""Links to run and club pages preview well in chats and on social sites: Open Graph and
Twitter card tags, a description of their own, a canonical address on SITE_URL, and the
site's own card image. The Share control's markup is here too; its behaviour in a browser
is in tests/e2e/test_share.py."""

import struct
from datetime import datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from tests.clubs.conftest import make_club, make_club_run
from tests.runs.conftest import make_run

SITE = "https://join.run"
CARD = "/static/images/join-run-card.png"
# A Tuesday, far enough ahead to stay upcoming.
TUESDAY_EVENING = datetime(2031, 12, 2, 18, 30, tzinfo=ZoneInfo("Europe/Ljubljana"))


class Head(HTMLParser):
    """The <head> of a page as a crawler reads it: meta tags by name or property, links by
    rel, and every address the head names."""

    def __init__(self):
        super().__init__()
        self.meta, self.links, self.addresses = {}, {}, []
        self.in_body = False
        self.share = None  # the Share link's attributes, from the body

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "body":
            self.in_body = True
        if self.in_body:
            if tag == "a" and "data-share" in attrs:
                self.share = attrs
            return
        if tag == "meta" and ("property" in attrs or "name" in attrs):
            self.meta[attrs.get("property") or attrs["name"]] = attrs.get("content", "")
        if tag == "link":
            self.links[attrs["rel"]] = attrs["href"]
        for name in ("href", "src", "content"):
            value = attrs.get(name) or ""
            if "//" in value:
                self.addresses.append(value)


def head_of(client, path, **headers):
    response = client.get(path, **headers)
    assert response.status_code == 200, path
    head = Head()
    head.feed(response.content.decode())
    return head


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def tempo(organiser):
    return make_run(organiser, title="Tivoli tempo", starts_at=TUESDAY_EVENING,
                    meeting_point="Tivoli park, main entrance", distance_km=Decimal("8.5"),
                    pace_min=330, pace_max=360)


def test_run_preview_names_the_run_its_day_time_meeting_point_distance_and_pace(client, tempo):
    head = head_of(client, f"/runs/{tempo.pk}/")
    expected = ("Tuesday 2 December 2031, 18:30, Ljubljana time · Tivoli park, main entrance"
                " · 8.5 km · 5:30–6:00 /km")
    assert head.meta["og:title"] == "Tivoli tempo"
    assert head.meta["twitter:title"] == "Tivoli tempo"
    assert head.meta["description"] == expected
    assert head.meta["og:description"] == expected
    assert head.meta["twitter:description"] == expected
    assert head.meta["og:url"] == f"{SITE}/runs/{tempo.pk}/"
    assert head.links["canonical"] == f"{SITE}/runs/{tempo.pk}/"
    assert head.meta["og:site_name"] == "join run"
    assert head.meta["og:type"] == "website"
    assert head.meta["og:image"] == SITE + CARD
    assert head.meta["twitter:card"] == "summary_large_image"


def test_run_for_every_pace_says_so(client, organiser):
    run = make_run(organiser, pace_min=None, pace_max=None)
    assert head_of(client, f"/runs/{run.pk}/").meta["og:description"].endswith(
        " · 8 km · Every pace is welcome")


def test_slovenian_preview_writes_the_month_in_the_genitive(client, tempo):
    head = head_of(client, f"/runs/{tempo.pk}/", HTTP_ACCEPT_LANGUAGE="sl")
    assert head.meta["og:description"].startswith(
        "torek, 2. decembra 2031, ob 18:30 po ljubljanskem času · ")
    assert " · 8,5 km · " in head.meta["og:description"]


def test_cancelled_run_preview_says_cancelled(client, tempo):
    tempo.cancelled_at = timezone.now()
    tempo.save()
    head = head_of(client, f"/runs/{tempo.pk}/")
    assert head.meta["og:title"] == "Cancelled: Tivoli tempo"
    assert head.meta["og:description"].startswith("Cancelled. It was to start Tuesday 2 December")
    assert head.meta["description"] == head.meta["og:description"]


def test_club_preview_names_the_club_its_place_and_what_it_says_of_itself(client, organiser):
    club = make_club(organiser, name="Tivoli Trotters", place="Ljubljana",
                     description="Easy runs around Tivoli every Tuesday, coffee afterwards.")
    head = head_of(client, f"/clubs/{club.slug}/")
    assert head.meta["og:title"] == "Tivoli Trotters"
    assert head.meta["og:description"] == (
        "Ljubljana · Easy runs around Tivoli every Tuesday, coffee afterwards.")
    assert head.meta["description"] == head.meta["og:description"]
    assert head.meta["og:url"] == f"{SITE}/clubs/{club.slug}/"
    assert head.links["canonical"] == f"{SITE}/clubs/{club.slug}/"
    assert head.meta["og:image"] == SITE + CARD


def test_club_without_a_description_previews_its_next_run(client, organiser):
    club = make_club(organiser, name="Rožnik Ramblers", place="Ljubljana")
    make_club_run(club, organiser, title="Hill repeats", starts_at=TUESDAY_EVENING)
    make_club_run(club, organiser, title="Later run", starts_at=TUESDAY_EVENING + timedelta(7))
    head = head_of(client, f"/clubs/{club.slug}/")
    assert head.meta["og:description"] == (
        "Ljubljana · Next run: Hill repeats, Tuesday 2 December 2031, 18:30, Ljubljana time")


def test_long_club_description_is_cut_short(client, organiser):
    club = make_club(organiser, description="Long. " * 100)
    assert len(head_of(client, f"/clubs/{club.slug}/").meta["og:description"]) < 200


def test_canonical_address_comes_from_site_url_not_the_host_header(client, settings, tempo,
                                                                  organiser):
    settings.ALLOWED_HOSTS = ["testserver", "other.example"]
    club = make_club(organiser)
    for path in (f"/runs/{tempo.pk}/", f"/clubs/{club.slug}/"):
        head = head_of(client, path, HTTP_HOST="other.example")
        assert head.links["canonical"] == SITE + path
        assert head.meta["og:url"] == SITE + path
        assert head.share["href"] == SITE + path
        assert not [a for a in head.addresses if "other.example" in a]


def test_head_names_no_other_site(client, tempo, organiser):
    club = make_club(organiser, description="See you there.")
    for path in ("/", "/runs/", f"/runs/{tempo.pk}/", f"/clubs/{club.slug}/"):
        head = head_of(client, path)
        assert head.addresses, path
        assert all(address.startswith(SITE + "/") for address in head.addresses), (
            path, head.addresses)


def test_each_page_has_its_own_description(client, tempo, organiser):
    other = make_run(organiser, title="River loop", meeting_point="Cobblers' Bridge")
    club = make_club(organiser, description="Sundays in the hills.")
    descriptions = {head_of(client, path).meta["description"]
                    for path in ("/", f"/runs/{tempo.pk}/", f"/runs/{other.pk}/",
                                 f"/clubs/{club.slug}/")}
    assert len(descriptions) == 4


def test_other_pages_keep_the_site_description_and_card(client, db):
    head = head_of(client, "/")
    assert head.meta["description"] == (
        "Group runs near you: join, organise, run together. No tracking.")
    assert head.meta["og:image"] == SITE + CARD
    assert "canonical" not in head.links  # only pages that know their one address say it


def test_the_card_image_is_served_by_the_site(client, db):
    response = client.get(CARD)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert len(body) < 60_000
    assert body[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", body[16:24])
    assert (width, height) == (1200, 630)


def test_run_and_club_pages_offer_a_share_link_to_themselves(client, tempo, organiser):
    club = make_club(organiser)
    for path, title in ((f"/runs/{tempo.pk}/", "Tivoli tempo"),
                        (f"/clubs/{club.slug}/", "Tivoli Trotters")):
        page = client.get(path).content.decode()
        head = Head()
        head.feed(page)
        assert head.share["href"] == SITE + path
        assert head.share["data-share-title"] == title
        assert head.share["data-copied"] == "Link copied"
        assert '<p class="share-status" role="status" aria-live="polite"></p>' in page
        assert '<script src="/static/js/share.js" defer></script>' in page


def test_a_share_link_is_not_offered_where_the_page_is_not_a_run_or_club(client, db):
    assert b"data-share" not in client.get("/runs/").content
