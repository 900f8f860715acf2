"""The small things a phone shows: the privacy policy folded short at 390 px, and the web
app manifest as Chromium reads it under our Content-Security-Policy."""

import json

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.browser

# At 390 px with every fold closed the page measured 2,595 px (it was 21,988 px with all
# open): the promises, the table of contents and one line per fold. 4,000 px leaves room
# for a few more register sections (about 45 px each) and the site's restyling, and fails
# as soon as any section is left open (the shortest open one adds well over 1,500 px).
PHONE_HEIGHT_BOUND = 4000


def test_the_policy_is_short_on_a_phone_and_opens_where_tapped(page):
    assert PHONE["width"] == 390  # the page fixture's viewport
    page.goto("/privacy/")
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < PHONE_HEIGHT_BOUND, height

    row = page.get_by_role("rowheader", name="Display name")
    expect(row).to_be_hidden()
    page.get_by_role("heading", name="Your account").click()
    expect(row).to_be_visible()
    expect(page.get_by_text("Shown to organisers and runners of runs you join.")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollHeight") > height


def test_chromium_reads_the_manifest_and_its_icons_under_our_policy(page, live_server):
    problems = []
    page.on("console", lambda message: problems.append(message.text)
            if message.type in ("error", "warning") else None)
    page.goto("/")
    manifest = page.context.new_cdp_session(page).send("Page.getAppManifest")
    assert manifest["url"] == f"{live_server.url}/manifest.webmanifest"
    assert manifest["errors"] == []
    assert json.loads(manifest["data"])["name"] == "join run"
    for icon in json.loads(manifest["data"])["icons"] + [{"src": "/favicon.ico"}]:
        assert page.request.get(icon["src"]).ok, icon
    assert problems == []
