"""What a real site answers at fixed addresses: the favicon, the icons and the web app
manifest, robots.txt, security.txt (RFC 9116) and the change-password address."""

import json
import re
import struct
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.conftest import PASSWORD

ADDRESSES = ["/favicon.ico", "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png",
             "/robots.txt", "/manifest.webmanifest", "/.well-known/security.txt",
             "/.well-known/change-password"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_size(data):
    """Width and height from a PNG's IHDR chunk, the first after the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def static_file(url):
    """The bytes of one of our static files, from its address on a page."""
    assert url.startswith("/static/"), url  # ours, never another site's
    found = finders.find(url.removeprefix("/static/"))
    assert found, url
    return Path(found).read_bytes()


def robots_rules(client):
    response = client.get("/robots.txt")
    rules = {"allow": [], "disallow": []}
    for line in response.content.decode().splitlines():
        field, _, value = line.partition(":")
        if field.lower() in rules:
            rules[field.lower()].append(value.strip())
    return rules


def blocked(path, disallowed):
    """How a crawler reads Disallow (RFC 9309): a prefix, with * for any characters."""
    return any(re.match(re.escape(rule).replace(r"\*", ".*"), path) for rule in disallowed)


@pytest.mark.parametrize("path", ADDRESSES)
def test_these_answers_never_set_a_cookie_and_say_how_long_to_keep_them(client, db, path):
    response = client.get(path)
    assert response.status_code in (200, 302)
    assert not response.cookies
    assert not response.has_header("Set-Cookie")
    if response.status_code == 200:
        assert "max-age=" in response["Cache-Control"]


def test_nor_for_a_signed_in_runner(runner_client):
    for path in ADDRESSES:
        response = runner_client.get(path)
        assert not response.cookies, path


def test_the_favicon_is_an_icon_file_with_the_small_sizes(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    data = response.content
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)  # an ICO, not a PNG renamed
    sizes = []
    for index in range(count):
        width, height, _, _, _, _, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index:22 + 16 * index])
        assert png_size(data[offset:offset + length]) == (width, height)
        sizes.append(width)
    assert sorted(sizes) == [16, 32, 48]


def test_every_page_links_its_icons_the_manifest_and_the_theme_colour(client, db):
    page = client.get("/").content.decode()
    # No link to /favicon.ico: a browser that wants one fetches it there by convention
    # (test_the_favicon_is_an_icon_file_with_the_small_sizes), and Chromium and Firefox use
    # the SVG icon, so a first visit does not download both.
    assert 'href="/favicon.ico"' not in page
    assert re.search(r'<link rel="icon" href="[^"]+favicon\.svg" type="image/svg\+xml">', page)
    touch = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page).group(1)
    assert png_size(static_file(touch)) == (180, 180)
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    theme = re.search(r'<meta name="theme-color" content="(#[0-9a-f]{6})">', page).group(1)
    manifest = json.loads(client.get("/manifest.webmanifest").content)
    assert manifest["theme_color"] == theme
    # The site's brand colour, as the stylesheet has it.
    css = Path(finders.find("css/site.css")).read_text()
    assert f"--brand: {theme};" in css


def test_the_manifest_names_the_site_and_its_icons_are_the_sizes_they_claim(client, db):
    response = client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "join run"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] in ("standalone", "browser")
    assert re.fullmatch(r"#[0-9a-f]{6}", manifest["background_color"])
    sizes = set()
    for icon in manifest["icons"]:
        width, height = png_size(static_file(icon["src"]))
        assert icon["sizes"] == f"{width}x{height}", icon
        assert icon["type"] == "image/png"
        sizes.add(width)
    assert {192, 512} <= sizes
    assert any(icon.get("purpose") == "maskable" for icon in manifest["icons"])


def test_the_manifest_is_allowed_by_the_content_security_policy(client, db):
    csp = client.get("/").headers["Content-Security-Policy"]
    # No manifest-src of its own: default-src 'self' covers our own manifest.
    assert "manifest-src" not in csp or "manifest-src 'self'" in csp
    assert "default-src 'self'" in csp


def test_robots_txt_lets_crawlers_read_the_public_pages(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode().startswith("User-agent: *\n")
    rules = robots_rules(client)
    for public in ("/", "/runs/", "/runs/42/", "/runs/series/0b6e7c3a-1d2f-4e5a-9b8c-7d6e5f4a3b2c/",
                   "/clubs/", "/clubs/river-runners/", "/privacy/"):
        assert not blocked(public, rules["disallow"]), public


def test_robots_txt_keeps_crawlers_out_of_accounts_admin_and_feeds(client, db):
    rules = robots_rules(client)
    for personal in (
        "/accounts/login/", "/accounts/profile/", "/accounts/confirm/?token=x",
        "/admin/", "/strava/connect/", "/privacy/requests/JR-2026-0042/",
        "/calendar/mine.ics?token=secret", "/clubs/river-runners/calendar.ics",
        "/runs/42/calendar.ics", "/runs/mine/", "/runs/new/", "/runs/42/edit/",
        "/runs/42/check-in/", "/runs/42/runners.csv", "/runs/42/route.gpx",
        "/clubs/unsubscribe/?token=x",
    ):
        assert blocked(personal, rules["disallow"]), personal


def test_security_txt_has_the_fields_rfc_9116_asks_for(client, db, settings):
    settings.PRIVACY_CONTACT_EMAIL = "security@example.org"
    settings.SITE_URL = "https://join.example"
    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    fields = dict(line.split(": ", 1) for line in response.content.decode().splitlines())
    assert fields["Contact"] == "mailto:security@example.org"
    assert fields["Preferred-Languages"] == "en, sl"
    assert fields["Canonical"] == "https://join.example/.well-known/security.txt"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    now = datetime.now(UTC)
    assert now < expires < now + timedelta(days=365)


def test_security_txt_expires_from_the_day_it_is_read(rf):
    from joinrun.well_known import security_txt

    day = datetime(2031, 3, 14, 15, 9, tzinfo=UTC)
    text = security_txt(rf.get("/.well-known/security.txt"), now=day).content.decode()
    expires = re.search(r"^Expires: (.+)$", text, re.M).group(1)
    expires = datetime.strptime(expires, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert day < expires < day + timedelta(days=365)


def test_change_password_leads_to_the_password_form_on_my_account(runner_client):
    response = runner_client.get("/.well-known/change-password")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/#password-heading"
    profile = runner_client.get("/accounts/profile/").content.decode()
    assert 'id="password-heading"' in profile


def test_change_password_signed_out_asks_to_log_in_then_lands_on_the_form(client, runner):
    response = client.get("/.well-known/change-password")
    login = "/accounts/login/?next=/.well-known/change-password"
    assert response["Location"] == login
    response = client.post(login, {"email": runner.email, "password": PASSWORD}, follow=True)
    assert [url for url, _status in response.redirect_chain] == [
        "/.well-known/change-password", "/accounts/profile/#password-heading"]
    assert 'id="password-heading"' in response.content.decode()


@pytest.mark.parametrize("path", ["/apple-touch-icon.png", "/apple-touch-icon-precomposed.png"])
def test_the_apple_touch_icon_is_at_the_root_too(client, db, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    page = client.get("/").content.decode()
    linked = re.search(r'<link rel="apple-touch-icon" href="([^"]+)">', page).group(1)
    assert response.content == static_file(linked)
    assert png_size(response.content) == (180, 180)


def luminance(colour):
    """WCAG's relative luminance of "#rrggbb": 0 for black, 1 for white."""
    def channel(value):
        value /= 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4
    red, green, blue = (channel(int(colour[i:i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def test_the_dark_scheme_gets_a_dark_bar_and_no_white_splash(client, db):
    page = client.get("/").content.decode()
    themes = re.findall(r'<meta name="theme-color"( media="[^"]+")? content="(#[0-9a-f]{6})">',
                        page)
    # A browser uses the first that matches: the dark one first, then the one for the rest.
    assert [media for media, _colour in themes] == [
        ' media="(prefers-color-scheme: dark)"', ""]
    dark = themes[0][1]
    css = Path(finders.find("css/site.css")).read_text()
    dark_tokens = css[css.index("@media (prefers-color-scheme: dark)"):]
    assert f"--surface: {dark};" in dark_tokens  # the dark header's own colour
    assert luminance(dark) < 0.05
    # One splash for both schemes, neither glaring white in the dark nor black in the light.
    splash = json.loads(client.get("/manifest.webmanifest").content)["background_color"]
    assert 0.01 < luminance(splash) < 0.5


@pytest.mark.parametrize("path", ADDRESSES)
def test_a_post_to_them_is_refused_without_an_error_page(client, db, path):
    assert client.post(path).status_code in (403, 405)
