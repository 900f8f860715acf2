"""The pages issue 10 added, as a phone shows them: one heading, landmarks, a label on
every field, nothing wider than the screen, and nothing the Content-Security-Policy
blocks."""

from urllib.parse import quote

import pytest

from accounts import tokens, unsubscribe
from tests.conftest import make_user
from tests.e2e.test_run_journeys import log_in
from tests.e2e.test_site_quality import collect_problems
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser


def assert_fits_a_phone(page, path):
    assert page.locator("h1").count() == 1, path
    assert page.get_by_role("main").count() == 1, path
    fields = page.locator("main input:not([type=hidden]), main select, main textarea")
    for i in range(fields.count()):
        field_id = fields.nth(i).get_attribute("id")
        if fields.nth(i).get_attribute("type") == "radio":
            continue  # labelled by its own <label> around it, and the group by a legend
        assert page.locator(f"label[for='{field_id}']").count() == 1, (path, field_id)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, (path, overflow)


def test_the_new_pages_read_well_on_a_phone(page, db):
    problems = collect_problems(page)
    organiser = make_user("organiser@example.com", "Bojan")
    newcomer = make_user("nina@example.com", "Nina", email_confirmed_at=None)
    run = make_run(organiser)
    pages = [
        "/accounts/signup/sent/",
        f"/accounts/confirm/?token={quote(tokens.make_confirm_token(newcomer))}",
        "/accounts/confirm/?token=broken",
        f"/accounts/unsubscribe/?token={quote(unsubscribe.make_token(newcomer, 'reminders'))}",
        "/accounts/unsubscribe/?token=broken",
    ]
    for path in pages:
        page.goto(path)
        assert_fits_a_phone(page, path)

    page.goto("/accounts/login/")
    log_in(page, "organiser@example.com")
    for path in [f"/runs/{run.pk}/message/", "/accounts/profile/"]:
        page.goto(path)
        assert_fits_a_phone(page, path)
    # The broken links answer 400 on purpose; nothing else may complain.
    assert [p for p in problems if "status of 400" not in p] == []
