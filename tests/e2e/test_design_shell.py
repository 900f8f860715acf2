"""The site's shell as people see it on a small phone, a phone and a laptop: a header on one
line (a menu that needs no JavaScript on phones), run cards that are one link each, nothing
wider than the screen, and a dark scheme when the device asks for one."""

import re

import pytest
from playwright.sync_api import expect

from runs.models import Participation
from strava.models import ActivityLink
from tests.clubs.conftest import make_club
from tests.conftest import PASSWORD, make_user
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

WIDTHS = [320, 390, 1280]
# The header also at common phone widths between (360 and 375 are where a signed-in header
# with "Menu" ran off the screen once).
HEADER_WIDTHS = [320, 360, 375, 390, 412, 1280]
# What a label in the header may not do: wrap onto a second line; and what every item
# must do: sit on the one row, inside the screen.
HEADER_ROW = """() => {
  const nav = document.querySelector('nav.site-nav');
  const shown = el => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0;
  };
  const items = [...nav.querySelectorAll('.brand, .nav-links > li, .nav-menu > summary')]
    .filter(shown);
  const middle = el => {
    const box = el.getBoundingClientRect();
    return (box.top + box.bottom) / 2;
  };
  const lines = label => {
    const walker = document.createTreeWalker(label, NodeFilter.SHOW_TEXT);
    let count = 0;
    while (walker.nextNode()) {
      if (!walker.currentNode.textContent.trim()) continue;
      const range = document.createRange();
      range.selectNodeContents(walker.currentNode);
      count += [...range.getClientRects()].filter(box => box.width > 0).length;
    }
    return count;
  };
  const labels = [...nav.querySelectorAll('a, button, summary')]
    .filter(el => shown(el) && !el.closest('.nav-menu-list'));
  return {
    middles: items.map(middle),
    lines: Object.fromEntries(labels.map(el => [el.textContent.trim(), lines(el)])),
    right: Math.max(...items.map(el => el.getBoundingClientRect().right)),
    width: window.innerWidth,
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.fixture
def open_page(browser, live_server):
    """A page in a browser of its own: ``width`` wide, in ``language``, light or dark,
    with JavaScript or without."""
    contexts = []

    def open_with(width, *, language="en", scheme="light", javascript=True):
        context = browser.new_context(
            viewport={"width": width, "height": 800}, base_url=live_server.url,
            locale=language, extra_http_headers={"Accept-Language": language},
            color_scheme=scheme, java_script_enabled=javascript,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_with
    for context in contexts:
        context.close()


def sign_in(page, email):
    # By the inputs' names: the labels are in the page's language.
    page.goto("/accounts/login/")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("navigation", name=re.compile("Main|Glavna"))
           .get_by_role("link", name=re.compile("My runs|Moji teki"))).to_be_visible()


def assert_header_is_one_line(page, where):
    row = page.evaluate(HEADER_ROW)
    assert len(row["middles"]) >= 3, where
    assert max(row["middles"]) - min(row["middles"]) <= 2, (where, row)
    assert all(count == 1 for count in row["lines"].values()), (where, row["lines"])
    assert row["right"] <= row["width"], (where, row)
    assert row["scrollWidth"] <= row["width"], (where, row)


def fits_the_screen(page, path):
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"], (
        path, page.viewport_size)


@pytest.mark.parametrize("language", ["en", "sl"])
@pytest.mark.parametrize("width", HEADER_WIDTHS)
def test_the_header_is_one_line_signed_out_and_signed_in(open_page, db, width, language):
    make_user("ana@example.com", "Ana", language=language)
    page = open_page(width, language=language)

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == language
    assert_header_is_one_line(page, f"signed out, {width}px, {language}")

    sign_in(page, "ana@example.com")
    page.goto("/runs/mine/")
    assert page.locator("html").get_attribute("lang") == language
    assert_header_is_one_line(page, f"signed in, {width}px, {language}")


def test_the_phone_menu_opens_without_javascript_and_reaches_my_account(open_page, db):
    make_user("ana@example.com", "Ana")
    page = open_page(390, javascript=False)
    sign_in(page, "ana@example.com")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="My account")).to_have_count(0)  # folded away

    menu = nav.locator("summary", has_text="Menu")
    menu.focus()
    page.keyboard.press("Enter")  # the keyboard opens it, as a click does
    expect(nav.get_by_role("link", name="My account")).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    nav.get_by_role("link", name="My account").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My account")


def test_a_laptop_shows_every_link_in_the_header_and_no_menu(open_page, db):
    make_user("ana@example.com", "Ana")
    page = open_page(1280)
    sign_in(page, "ana@example.com")
    nav = page.get_by_role("navigation", name="Main")
    for name in ("Runs", "Clubs", "My runs", "My account"):
        expect(nav.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(nav.get_by_role("button", name="Log out")).to_be_visible()
    expect(nav.locator("summary")).to_be_hidden()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_whole_run_card_is_one_link(open_page, organiser, width):
    run = make_run(organiser, title="Tivoli tempo", meeting_point="Tivoli park, main entrance",
                   capacity=12)
    page = open_page(width)
    page.goto("/runs/")
    card = page.get_by_role("listitem").filter(has=page.get_by_role("link", name="Tivoli tempo"))
    expect(card.get_by_text("12 spots left")).to_be_visible()

    # Where a thumb lands: on the meeting point, not on the title.
    place = card.get_by_text("Tivoli park, main entrance").bounding_box()
    page.mouse.click(place["x"] + place["width"] / 2, place["y"] + place["height"] / 2)
    expect(page).to_have_url(re.compile(rf"{run.get_absolute_url()}$"))


def test_a_focused_run_card_shows_its_focus_ring_around_the_card(open_page, organiser):
    make_run(organiser, title="Tivoli tempo")
    page = open_page(390)
    page.goto("/runs/")
    link = page.get_by_role("link", name="Tivoli tempo")
    ring = "el => getComputedStyle(el, '::after').outlineStyle"
    assert link.evaluate(ring) == "none"
    link.focus()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # focused from the keyboard, as :focus-visible needs
    assert link.evaluate(ring) == "solid"
    # The ring's box is the card's, inside its border.
    covered = link.evaluate("el => { const box = getComputedStyle(el, '::after');"
                            " return [parseFloat(box.width), parseFloat(box.height)]; }")
    inside = page.locator("li.run-card").evaluate("el => [el.clientWidth, el.clientHeight]")
    assert abs(covered[0] - inside[0]) <= 1 and abs(covered[1] - inside[1]) <= 1


def test_view_on_strava_stays_its_own_link_on_a_card(open_page, organiser):
    runner = make_user("ana@example.com", "Ana")
    ran = make_run(organiser, title="Evening river loop", days=-1)
    participation = Participation.objects.create(run=ran, runner=runner, status="going",
                                                 attended_at=ran.starts_at)
    ActivityLink.objects.create(participation=participation, activity_id=9001)
    page = open_page(390)
    sign_in(page, "ana@example.com")
    page.goto("/runs/mine/")
    strava = page.get_by_role("link", name="View on Strava")
    expect(strava).to_have_attribute("href", "https://www.strava.com/activities/9001")
    # The link a finger on it reaches is Strava's, not the card's.
    on_top = strava.evaluate("el => { const box = el.getBoundingClientRect();"
                             " const hit = document.elementFromPoint(box.x + box.width / 2,"
                             " box.y + box.height / 2); return el.contains(hit); }")
    assert on_top


def test_the_run_list_puts_its_filters_beside_the_runs_on_a_laptop(open_page, organiser):
    make_run(organiser, title="Tivoli tempo")
    laptop = open_page(1280)
    laptop.goto("/runs/")
    date_from = laptop.get_by_label("From")
    expect(date_from).to_be_visible()  # nothing to unfold
    filters = laptop.locator(".filters").bounding_box()
    cards = laptop.locator(".run-list").bounding_box()
    assert filters["x"] + filters["width"] <= cards["x"]
    assert filters["y"] < cards["y"] + cards["height"] and cards["y"] < filters["y"] + 200

    phone = open_page(390)
    phone.goto("/runs/")
    expect(phone.get_by_label("From")).to_be_hidden()  # folded under "Filter runs"
    phone.locator("summary", has_text="Filter runs").click()
    expect(phone.get_by_label("From")).to_be_visible()


@pytest.mark.parametrize("width", WIDTHS)
def test_no_page_is_wider_than_the_screen(open_page, organiser, width):
    club = make_club(organiser, name="Ljubljanski tekaški klub Šmarna gora in okolica",
                     place="Ljubljana, Šmarna gora")
    long_place = "Tivolijskiparkglavnivhodpolegvelikegavodnjaka, Ljubljana"
    make_run(organiser, title="Nedeljski dolgi tek po Rožniku", meeting_point=long_place,
             club=club, capacity=30)
    make_run(organiser, title="Full", capacity=1).join(make_user("bor@example.com", "Bor"))
    make_run(organiser, title="Yesterday", days=-1)
    make_user("ana@example.com", "Ana")
    page = open_page(width)
    signed_out = ["/", "/runs/", "/runs/?past=1", "/clubs/", "/accounts/login/",
                  "/accounts/signup/", "/privacy/", "/no-such-page/"]
    for path in signed_out:
        page.goto(path)
        fits_the_screen(page, path)
    sign_in(page, "ana@example.com")
    for path in ["/", "/runs/", "/runs/mine/", "/accounts/profile/"]:
        page.goto(path)
        fits_the_screen(page, path)


def luminance(css_colour):
    red, green, blue = (int(part) / 255 for part in re.findall(r"\d+", css_colour)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
              for c in (red, green, blue)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_dark_mode_darkens_the_page_and_lightens_the_text(open_page, organiser):
    make_run(organiser, title="Tivoli tempo")
    colours = {}
    for scheme in ("light", "dark"):
        page = open_page(390, scheme=scheme)
        page.goto("/runs/")
        colours[scheme] = page.evaluate("""() => ({
          page: getComputedStyle(document.documentElement).backgroundColor,
          text: getComputedStyle(document.body).color,
          card: getComputedStyle(document.querySelector('.run-card')).backgroundColor,
        })""")
    light, dark = colours["light"], colours["dark"]
    assert luminance(light["page"]) > 0.8 and luminance(dark["page"]) < 0.05
    assert luminance(light["text"]) < 0.05 and luminance(dark["text"]) > 0.6
    assert luminance(dark["card"]) < 0.05 and dark["card"] != light["card"]


def test_a_past_run_keeps_its_card_without_a_fill_bar(open_page, organiser):
    # Past runs say what happened; how full they were is no longer a thing to show.
    make_run(organiser, title="Yesterday", days=-1, capacity=10)
    make_run(organiser, title="Tomorrow", days=1, capacity=10)
    page = open_page(390)
    page.goto("/runs/?past=1")
    card = page.locator("li.run-card")
    expect(card).to_contain_text("Took place")
    expect(card.locator(".fill")).to_have_count(0)
    page.goto("/runs/")
    expect(page.locator("li.run-card .fill")).to_have_count(1)
