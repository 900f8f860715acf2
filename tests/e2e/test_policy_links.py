"""The policy's "On this page" links open the folded section they point to, with one tap
and no JavaScript, and its heading shows."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE

pytestmark = pytest.mark.browser

SECTIONS = ["Cookies", "Your location", "Your rights", "Log files"]


def fold(page, heading):
    return page.locator("details.policy-fold").filter(
        has=page.get_by_role("heading", name=heading, exact=True))


@pytest.mark.parametrize("javascript", [True, False])
def test_a_table_of_contents_link_opens_its_fold(browser, live_server, javascript):
    context = browser.new_context(viewport=PHONE, base_url=live_server.url,
                                  java_script_enabled=javascript)
    page = context.new_page()
    page.goto("/privacy/")
    toc = page.get_by_role("navigation", name="On this page")
    for name in SECTIONS:
        section = fold(page, name)
        expect(section).not_to_have_attribute("open", "")
        toc.get_by_role("link", name=name, exact=True).click()
        expect(section).to_have_attribute("open", "")
        expect(page.get_by_role("heading", name=name, exact=True)).to_be_in_viewport()
        page.goto("/privacy/")  # every fold closed again
    context.close()


def test_an_address_with_a_section_opens_it(page):
    page.goto("/privacy/#cookies")
    expect(fold(page, "Cookies")).to_have_attribute("open", "")
    expect(page.get_by_role("heading", name="Cookies", exact=True)).to_be_in_viewport()
    expect(page.locator("#cookies")).to_be_visible()
    # A right's own entry, deeper inside its fold.
    page.goto("/privacy/#right-erasure")
    expect(fold(page, "Your rights")).to_have_attribute("open", "")
    expect(page.locator("#right-erasure")).to_be_in_viewport()
