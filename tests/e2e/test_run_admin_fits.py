"""Staff on a 1280 px screen see every column of the run list without scrolling sideways."""

import pytest

from accounts.models import User
from tests.conftest import PASSWORD, make_user
from tests.e2e.conftest import staff_sign_in
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 800}


@pytest.fixture
def laptop_page(browser, live_server):
    context = browser.new_context(viewport=LAPTOP, base_url=live_server.url)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def test_the_run_list_fits_a_1280_px_screen(laptop_page):
    page = laptop_page
    User.objects.create_superuser("staff@example.com", PASSWORD)
    organiser = make_user("organiser@example.com", "Bojana Novak-Kovačič")
    make_run(organiser, title="Tuesday river loop along the Ljubljanica to the marshes",
             meeting_point="Cobblers' Bridge, by the steps on the castle side", capacity=30)
    make_run(organiser, title="Hills", days=5, pace_min=None, pace_max=None)
    make_run(organiser, title="Track", days=9, capacity=12).cancel(reason="Storm")
    staff_sign_in(page, "staff@example.com")
    page.goto("/admin/runs/run/")
    assert page.locator("#result_list tbody tr").count() == 3
    widths = page.evaluate("""() => {
        const results = document.querySelector('#changelist .results');
        return [document.documentElement.scrollWidth, results.scrollWidth,
                results.clientWidth];
    }""")
    page_width, list_width, list_visible = widths
    assert page_width <= 1280
    assert list_width <= list_visible, widths
    assert page.get_by_text("5:30–6:00 /km").count() == 2
