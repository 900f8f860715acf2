"""What every visitor and member of staff meets: landmarks, labels, focus, and pages that
work under the strict Content-Security-Policy."""

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import staff_sign_in

pytestmark = pytest.mark.browser

FORM_PAGES = ["/accounts/signup/", "/accounts/login/", "/accounts/password-reset/"]


def collect_problems(page):
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    return problems


def test_pages_have_landmarks_and_one_heading(page):
    for path in ["/", "/privacy/", *FORM_PAGES]:
        page.goto(path)
        assert page.get_by_role("banner").count() == 1, path
        assert page.get_by_role("navigation", name="Main").count() == 1, path
        assert page.get_by_role("main").count() == 1, path
        assert page.get_by_role("contentinfo").count() == 1, path
        assert page.locator("h1").count() == 1, path


def test_every_form_field_has_a_label(page):
    for path in FORM_PAGES:
        page.goto(path)
        fields = page.locator("main input:not([type=hidden]), main select, main textarea")
        assert fields.count() > 0
        for i in range(fields.count()):
            field = fields.nth(i)
            field_id = field.get_attribute("id")
            assert page.locator(f"label[for='{field_id}']").count() == 1, (path, field_id)


def test_keyboard_focus_is_visible(page):
    page.goto("/accounts/login/")
    page.keyboard.press("Tab")  # the skip link comes first
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    expect(page.get_by_role("link", name="Skip to content")).to_be_visible()
    page.get_by_label("Email").focus()
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_no_page_breaks_under_the_content_security_policy(page):
    problems = collect_problems(page)
    for path in ["/", "/privacy/", *FORM_PAGES]:
        page.goto(path)
    assert problems == []


def test_staff_use_the_admin_under_the_content_security_policy(page):
    User.objects.create_superuser("staff@example.com", PASSWORD)
    make_user("searched@example.com", "Searched Runner")
    problems = collect_problems(page)
    staff_sign_in(page, "staff@example.com")
    page.get_by_role("link", name="Users").first.click()
    page.locator("#searchbar").fill("searched@")
    page.locator("#searchbar").press("Enter")
    expect(page.get_by_role("link", name="searched@example.com")).to_be_visible()
    page.get_by_role("link", name="searched@example.com").click()
    assert page.get_by_label("Display name").input_value() == "Searched Runner"
    assert [p for p in problems if "Content Security Policy" in p] == []
