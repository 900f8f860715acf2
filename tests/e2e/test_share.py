"""The Share control on a run page, as a person meets it: a plain link without
JavaScript; with it, the phone's share sheet, or the link copied where there is none; and
the Copy button convention (My account) from the same script. All under the site's
strict Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from privacy.middleware import CONTENT_SECURITY_POLICY
from tests.e2e.conftest import PHONE
from tests.e2e.test_site_quality import collect_problems
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

# A browser without the Web Share API (as desktop Chromium on Linux is anyway).
NO_SHARE_SHEET = "Object.defineProperty(Navigator.prototype, 'share', {value: undefined});"
# A share sheet that records what it was given, as a phone's would show it.
RECORDING_SHARE_SHEET = """
window.shared = [];
Object.defineProperty(Navigator.prototype, 'share', {
  value: function (data) { window.shared.push(data); return Promise.resolve(); }
});
"""


@pytest.fixture
def run_url(settings, live_server, organiser):
    # The Share link points at SITE_URL; here that is the test server, so it can be followed.
    settings.SITE_URL = live_server.url
    run = make_run(organiser, title="Tivoli tempo")
    return f"{live_server.url}/runs/{run.pk}/"


@pytest.fixture
def new_context(browser, live_server):
    contexts = []

    def new(**options):
        context = browser.new_context(viewport=PHONE, base_url=live_server.url, **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield new
    for context in contexts:
        context.close()


def test_without_javascript_share_is_a_plain_link_to_the_run(new_context, run_url):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(run_url)
    share = page.get_by_role("link", name="Share")
    expect(share).to_have_attribute("href", run_url)
    share.click()
    expect(page).to_have_url(run_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Tivoli tempo")


def test_without_a_share_sheet_share_copies_the_link(new_context, run_url, live_server):
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.add_init_script(NO_SHARE_SHEET)
    page = context.new_page()
    problems = collect_problems(page)
    page.goto(run_url)
    page.get_by_role("link", name="Share").click()
    expect(page.get_by_role("status").filter(has_text="Link copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == run_url
    expect(page).to_have_url(run_url)  # still on the page, not reloaded away
    assert problems == []


def test_with_a_share_sheet_share_opens_it_with_the_run(new_context, run_url):
    context = new_context()
    context.add_init_script(RECORDING_SHARE_SHEET)
    page = context.new_page()
    problems = collect_problems(page)
    page.goto(run_url)
    page.get_by_role("link", name="Share").click()
    page.wait_for_function("window.shared.length === 1")
    assert page.evaluate("window.shared") == [{"title": "Tivoli tempo", "url": run_url}]
    expect(page.get_by_text("Link copied")).to_have_count(0)
    assert problems == []


def test_copy_button_appears_with_javascript_and_copies_its_field(new_context, live_server):
    """The convention My account uses, on a page of its own served under the site's CSP."""
    markup = """<!doctype html><html lang="en"><head><title>Copy</title>
        <script src="/static/js/share.js" defer></script></head><body>
        <label for="feed">Calendar address</label>
        <input id="feed" value="https://join.run/calendar/mine.ics?token=abc" readonly>
        <p><button type="button" data-copy="feed" data-copied="Copied" hidden>Copy</button></p>
        <p role="status"></p></body></html>"""
    context = new_context()
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    context.route(f"{live_server.url}/copy-test/", lambda route: route.fulfill(
        status=200, content_type="text/html", body=markup,
        headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY}))
    page = context.new_page()
    problems = collect_problems(page)
    page.goto("/copy-test/")
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("status")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == (
        "https://join.run/calendar/mine.ics?token=abc")
    assert problems == []


def test_copy_button_stays_hidden_without_javascript(new_context, live_server):
    markup = """<!doctype html><html lang="en"><head><title>Copy</title>
        <link rel="stylesheet" href="/static/css/site.css"></head><body>
        <input id="feed" value="x" readonly aria-label="Address">
        <button type="button" data-copy="feed" hidden>Copy</button></body></html>"""
    context = new_context(java_script_enabled=False)
    context.route(f"{live_server.url}/copy-test/", lambda route: route.fulfill(
        status=200, content_type="text/html", body=markup))
    page = context.new_page()
    page.goto("/copy-test/")
    expect(page.get_by_role("button", name="Copy")).to_be_hidden()
