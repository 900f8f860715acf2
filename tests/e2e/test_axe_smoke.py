"""The axe-core helper finds what it should: a page with a known fault fails, the same page
mended passes, and so does the home page."""

import pytest

from tests.e2e.axe import assert_no_axe_violations, axe_context, axe_violations

pytestmark = pytest.mark.browser

PAGE = """<!doctype html><html lang="en"><head><title>Runs</title></head><body><main>
<h1>Runs</h1><img src="/static/route.png" {alt}><label for="q">Search</label><input id="q">
</main></body></html>"""


def test_a_page_with_a_known_fault_fails_and_says_where(browser):
    with axe_context(browser, None) as context:
        page = context.new_page()
        page.set_content(PAGE.format(alt=""))
        violations = axe_violations(page)
        assert len(violations) == 1
        assert violations[0].startswith("image-alt (critical): Images must have alternative text")
        assert "  - img: " in violations[0]
        with pytest.raises(AssertionError, match="image-alt"):
            assert_no_axe_violations(page)

        page.set_content(PAGE.format(alt='alt="The route along the river"'))
        assert axe_violations(page) == []


def test_the_home_page_passes(browser, live_server):
    for scheme in ("light", "dark"):
        with axe_context(browser, live_server.url, color_scheme=scheme) as context:
            page = context.new_page()
            page.goto("/")
            assert_no_axe_violations(page)
