"""The proof of issue 13's look: the main pages at 320, 390 and 1280 px, in the light and the
dark scheme, signed out and signed in, are no wider than the screen, keep the header on one
line and pass axe-core's WCAG 2 A and AA rules (colour contrast included); and on a phone
the sticky "Join run" / "Leave run" bar never hides what it sits over. One test shows
that the page checks do fail on a page with a fault.

One browser serves every test; each width and scheme gets one context (axe needs
``bypass_csp=True``, see tests/e2e/axe.py) that visits every page, first signed out, then
signed in, and reports every problem it met at once, so a failure names all the pages to
mend."""

import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from playwright.sync_api import expect

from runs import routes, series
from runs.models import Participation, Route, Run
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.e2e.axe import axe_context, axe_violations
from tests.e2e.conftest import PHONE
from tests.runs.conftest import make_run, make_runners

pytestmark = pytest.mark.browser

WIDTHS = [320, 390, 1280]
SCHEMES = ["light", "dark"]
GPX = Path(__file__).resolve().parents[1] / "runs" / "gpx"
DESCRIPTION = "\n\n".join([
    "Four climbs up Rožnik with an easy jog down each time, then back along the river.",
    "Bring a head torch after October: the path under the trees is dark by six.",
    "We regroup at the top of every climb, so nobody runs alone. Coffee afterwards.",
] * 3)

# What reaches past the screen's right edge: an element's box, or what overflows from it
# (a long word in a box of the right width). Only the innermost culprits are named, since
# their ancestors' content overflows too.
TOO_WIDE = """() => {
  const width = document.documentElement.clientWidth;
  const culprits = [];
  for (const el of document.body.querySelectorAll('*')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    const spills = getComputedStyle(el).overflowX === 'visible'
      ? Math.max(0, el.scrollWidth - el.clientWidth) : 0;
    if (box.right + spills > width + 0.5) culprits.push(el);
  }
  const innermost = culprits.filter(el => !culprits.some(other => other !== el
                                                         && el.contains(other)));
  const named = innermost.map(el => {
    const box = el.getBoundingClientRect();
    return el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
      + (el.classList.length ? '.' + [...el.classList].join('.') : '')
      + ` (${Math.round(box.left)}..${Math.round(box.right)} px)`;
  });
  return {scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth,
          seen: named.slice(0, 8)};
}"""

# The header's row: the brand, each shown item of the link list and the phone's "Menu" share
# one middle, the bar is no taller than its tallest item plus its padding, and no label
# breaks onto a second line.
HEADER = """() => {
  const nav = document.querySelector('header.site-header nav');
  const shown = el => { const b = el.getBoundingClientRect(); return b.width > 0 && b.height > 0; };
  const items = [...nav.querySelectorAll('.brand, .nav-links > li, .nav-menu > summary')]
    .filter(shown);
  const middles = items.map(el => { const b = el.getBoundingClientRect();
                                     return (b.top + b.bottom) / 2; });
  const style = getComputedStyle(nav);
  const padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
  const tallest = Math.max(...items.map(el => el.getBoundingClientRect().height));
  const wrapped = [...nav.querySelectorAll('a, button, summary')]
    .filter(el => shown(el) && !el.closest('.nav-menu-list'))
    .filter(el => {
      const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
      while (walker.nextNode()) {
        const range = document.createRange();
        range.selectNodeContents(walker.currentNode);
        if ([...range.getClientRects()].filter(b => b.width > 0).length > 1) return true;
      }
      return false;
    })
    .map(el => el.textContent.trim());
  return {items: items.length, spread: Math.max(...middles) - Math.min(...middles),
          height: nav.getBoundingClientRect().height,
          // min-height may make the bar taller than its items; never a second row.
          oneRow: Math.max(tallest + padding, parseFloat(style.minHeight) || 0),
          wrapped};
}"""


def gpx_route(name="hill.gpx"):
    upload = SimpleUploadedFile(name, (GPX / name).read_bytes(), "application/gpx+xml")
    return routes.read(upload)


@pytest.fixture
def site(db):
    """A club with a weekly series whose first date has a route, a long description and
    runners; a full run and a cancelled one; runner Ana (who signs in) going on the first
    date, organising a run of her own and back from a past one."""
    organiser = make_user("organiser@example.com", "Bojan")
    ana = make_user("ana.novak-kovacic@example.com", "Ana Novak Kovačič")
    club = make_club(organiser, name="Ljubljana River Runners", place="Ljubljana",
                     description=DESCRIPTION)
    series_id = uuid.uuid4()
    first = make_run(organiser, club=club, series=series_id, title="Rožnik hill repeats",
                     meeting_point="Tivoli park, main entrance by the fountain",
                     description=DESCRIPTION, capacity=12, distance_km=Decimal("8.5"),
                     latitude=Decimal("46.0569"), longitude=Decimal("14.5058"))
    for week in (1, 2):
        make_run(organiser, club=club, series=series_id, title=first.title,
                 meeting_point=first.meeting_point, capacity=12,
                 starts_at=series.weeks_later(first.starts_at, week))
    Route.attach(gpx_route(), [first])
    for runner in make_runners(6):
        first.join(runner)
    first.join(ana)

    full = make_run(organiser, club=club, title="Beginners' run-walk", capacity=2, days=4)
    for runner in make_runners(4, prefix="w"):
        full.join(runner)
    stormy = make_run(organiser, title="Barje long flat run", days=5, distance_km=Decimal("16"))
    stormy.cancel(reason="Storm warning for the whole afternoon.")
    own = make_run(ana, title="Ana's evening loop", days=6, capacity=8,
                   description="Easy pace, all welcome.")
    past = make_run(organiser, club=club, title="Yesterday's river loop", days=-1)
    Participation.objects.create(run=past, runner=ana, status="going",
                                 attended_at=past.starts_at)
    return {"ana": ana, "run": first.get_absolute_url(), "run_id": first.pk,
            "series": f"/runs/series/{series_id}/", "own": own.get_absolute_url(),
            "club": club.get_absolute_url()}


def sign_in(context, user, base_url):
    """``user``'s session cookie in ``context`` (logging in has tests of its own)."""
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "url": base_url,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value}])


def problems_on(page, where):
    """What is wrong with the page now shown: each problem one line, naming ``where``."""
    problems = []
    wide = page.evaluate(TOO_WIDE)
    if wide["scrollWidth"] > wide["innerWidth"] or wide["seen"]:
        problems.append(f"{where}: wider than the screen ({wide['scrollWidth']} px in "
                        f"{wide['innerWidth']} px): {', '.join(wide['seen'])}")
    header = page.evaluate(HEADER)
    if (header["items"] < 3 or header["spread"] > 2 or header["height"] > header["oneRow"] + 1
            or header["wrapped"]):
        problems.append(f"{where}: the header is not one line: {header}")
    problems.extend(f"{where}: {violation}" for violation in axe_violations(page))
    return problems


def visit(page, path, where, problems, *, status=200):
    response = page.goto(path)
    assert response.status == status, f"{where}: {path} answered {response.status}"
    problems.extend(problems_on(page, f"{where} {path}"))


@pytest.mark.parametrize("scheme", SCHEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_main_pages_fit_keep_the_header_on_one_line_and_pass_axe(
        browser, live_server, site, width, scheme):
    viewport = {"width": width, "height": 800}
    problems = []
    with axe_context(browser, live_server.url, viewport=viewport,
                     color_scheme=scheme) as context:
        page = context.new_page()
        where = f"{width}px {scheme}, signed out:"
        for path in ("/", "/runs/", site["run"], site["series"], site["club"], "/clubs/",
                     "/accounts/login/", "/privacy/"):
            visit(page, path, where, problems)
        visit(page, "/runs/no-such-page/", where, problems, status=404)

        sign_in(context, site["ana"], live_server.url)
        where = f"{width}px {scheme}, signed in:"
        for path in ("/", "/runs/", site["run"], site["series"], site["own"], site["club"],
                     "/clubs/", "/runs/new/", "/accounts/profile/", "/runs/mine/", "/privacy/"):
            visit(page, path, where, problems)
        visit(page, "/runs/999999/", where, problems, status=404)

        # The run form sent back with an error beside every field it can have: the browser's
        # own checks are switched off so that the server's messages show.
        page.goto("/runs/new/")
        form = page.locator("main form").filter(has=page.get_by_role("button", name="Create run"))
        form.evaluate("form => { form.noValidate = true; }")
        page.get_by_label("Title").fill("")
        page.get_by_label("Fastest pace (min/km)").fill("fast")
        page.get_by_label("Capacity").fill("-3")
        page.get_by_label("Route (GPX)").set_input_files(str(GPX / "broken.gpx"))
        form.get_by_role("button", name="Create run").click()
        expect(page.locator(".field-title .error")).to_be_visible()
        expect(page.locator(".field-route .error")).to_be_visible()
        problems.extend(problems_on(page, f"{where} the run form with errors"))
    assert not problems, "\n".join(problems)


def test_the_checks_see_an_overflow_a_wrapped_header_and_poor_contrast(browser, live_server,
                                                                       db):
    """The checks above can fail: the home page passes them, then each fault put into it is
    named."""
    with axe_context(browser, live_server.url, viewport={"width": 320, "height": 800},
                     color_scheme="dark") as context:
        page = context.new_page()
        page.goto("/")
        assert problems_on(page, "home") == []

        page.evaluate("""() => {
          const wide = document.createElement('p');
          wide.className = 'too-wide';
          wide.textContent = 'x'.repeat(80);
          document.querySelector('main').append(wide);
        }""")
        (wide,) = problems_on(page, "home")
        assert wide.startswith("home: wider than the screen") and "p.too-wide" in wide

        page.evaluate("""() => {
          document.querySelector('.too-wide').remove();
          const link = document.querySelector('.nav-links a');
          link.style.whiteSpace = 'normal';
          link.style.width = '3rem';
          link.textContent = 'All the runs near you';
        }""")
        (header,) = problems_on(page, "home")
        assert header.startswith("home: the header is not one line") and "All the runs" in header

        page.reload()
        page.evaluate("document.querySelector('footer p').style.color = '#333'")
        (contrast,) = problems_on(page, "home")
        assert contrast.startswith("home: color-contrast (serious)")


BAR_AND_BELOW = """() => {
  const barElement = document.querySelector('.run-bar');
  const bar = barElement.getBoundingClientRect();
  // The lowest box in the main content that is neither the bar, nor in it, nor around it.
  let bottom = 0, lowest = '';
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.run-bar') || el.contains(barElement)) continue;
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0) continue;
    if (box.bottom > bottom) {
      bottom = box.bottom;
      lowest = el.tagName + ' ' + el.textContent.trim().slice(0, 40);
    }
  }
  return {barTop: bar.top, barBottom: bar.bottom, contentBottom: bottom, lowest,
          innerHeight: window.innerHeight};
}"""

# Where an element is on the screen, and where the bar is, as the reader sees them now.
PLACE = """el => {
  const box = el.getBoundingClientRect();
  const bar = document.querySelector('.run-bar').getBoundingClientRect();
  return {name: el.tagName + ' ' + (el.textContent || el.value || '').trim().slice(0, 40),
          inBar: !!el.closest('.run-bar'), top: box.top, bottom: box.bottom,
          barTop: bar.top, barBottom: bar.bottom, innerHeight: window.innerHeight,
          scrolled: window.scrollY};
}"""


def in_sight_above_the_bar(place):
    """True when the element is on the screen and the bar does not cover any of it."""
    on_screen = place["top"] >= 0 and place["bottom"] <= place["innerHeight"]
    under_the_bar = (place["top"] < place["barBottom"] - 0.5
                     and place["bottom"] > place["barTop"] + 0.5)
    return on_screen and not under_the_bar


# Who looks at the run page, how wide their phone is, and the bar's action they see: a
# visitor, Ana who is going, and a runner on the waitlist who reads Slovenian (the longest
# words) on the narrowest phone.
BAR_CASES = {
    "visitor": (None, PHONE["width"], "Join run"),
    "runner": ("ana", PHONE["width"], "Leave run"),
    "waitlisted-sl-320": ("waiting", 320, "Odjavi se s čakalnega seznama"),
}


@pytest.mark.parametrize("case", BAR_CASES)
def test_the_sticky_bar_on_a_phone_covers_no_content(browser, live_server, site, case):
    who, width, action = BAR_CASES[case]
    if who == "waiting":
        run = Run.objects.get(pk=site["run_id"])
        run.capacity = run.participations.filter(status="going").count()  # full now
        run.save()
        site["waiting"] = make_user("tina@example.com", "Tina", language="sl")
        assert run.join(site["waiting"]).status == "waitlisted"
    with axe_context(browser, live_server.url, viewport={**PHONE, "width": width}) as context:
        if who:
            sign_in(context, site[who], live_server.url)
        page = context.new_page()
        page.goto(site["run"])
        bar = page.locator(".run-bar")
        expect(bar.get_by_role("button" if who else "link", name=action)).to_be_visible()

        # At the top the bar already sits on the screen's bottom edge, over the page...
        at_top = page.evaluate(BAR_AND_BELOW)
        assert abs(at_top["barBottom"] - at_top["innerHeight"]) <= 1, at_top
        assert at_top["contentBottom"] > at_top["innerHeight"], at_top  # a page to scroll

        # ...and scrolled to the end, the last of the content ends above it.
        page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
        at_end = page.evaluate(BAR_AND_BELOW)
        assert at_end["contentBottom"] <= at_end["barTop"] + 0.5, at_end

        # Mid-page, a part further down brought into view with the least scrolling (as
        # browsers bring a focused link or a found word into view) lands above the bar.
        headings = page.locator("main .run-body h2")
        brought = 0
        for index in range(headings.count()):
            page.evaluate("window.scrollTo(0, 0)")
            heading = headings.nth(index)
            if in_sight_above_the_bar(heading.evaluate(PLACE)):
                continue  # on the first screen already
            heading.evaluate("el => el.scrollIntoView({block: 'nearest'})")
            after = heading.evaluate(PLACE)
            assert in_sight_above_the_bar(after), (
                f"{after['name']!r} is behind the bar or off the screen: {after}")
            brought += 1
        assert brought >= 2  # the route and who is going, at least

        # Moving through the page with the keyboard from the top, each link and button
        # that takes the focus is in sight, the bar's own action on it, the others not
        # behind it.
        page.evaluate("window.scrollTo(0, 0)")
        page.locator("body").focus()
        seen = []
        for _ in range(80):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement === document.body"):
                break
            focused = page.evaluate(f"({PLACE})(document.activeElement)")
            if seen and focused["name"] == seen[0]["name"]:
                break
            seen.append(focused)
            if focused["inBar"]:
                assert focused["top"] >= 0 and focused["bottom"] <= focused["innerHeight"]
            else:
                assert in_sight_above_the_bar(focused), (
                    f"{focused['name']!r} is behind the bar or off the screen: {focused}")
        # The walk went past the first screen: the page scrolled to show what came below.
        assert len(seen) > 10 and max(f["scrolled"] for f in seen) > 0, seen
        assert any(f["inBar"] for f in seen), "the bar's own action takes the focus too"
