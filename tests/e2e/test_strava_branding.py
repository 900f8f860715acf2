"""Strava's buttons and links keep Strava's orange and pass WCAG AA contrast, as Chromium
draws them: each one's computed colours are read in the browser and the WCAG 2 contrast
ratio is worked out here, against the background it really sits on, in the light and the
dark scheme, at rest, under the pointer and with the keyboard's focus. axe-core checks the
login page with Strava configured too (its color-contrast rule included).

What is asked of each (WCAG 2.2 AA):
- text (1.4.3): 4.5:1 against its background, 3:1 when large (24 px, or 18.66 px bold);
- a button's edge, when it is drawn in Strava's orange (1.4.11): 3:1 against the page
  around it, and so is the focus ring (2.4.7 with 1.4.11);
- "View on Strava" (Strava's brand guidelines): bold, underlined or #FC5200.
"""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from runs.models import Participation
from tests.conftest import connect_strava
from tests.e2e.axe import assert_no_axe_violations, axe_context
from tests.e2e.conftest import PHONE, sign_in_by_cookie
from tests.runs.conftest import make_run

pytestmark = pytest.mark.browser

LAPTOP = {"width": 1280, "height": 900}  # at 60rem and wider the login form sits on a panel
SCHEMES = ("light", "dark")
STRAVA_ORANGE = (252, 82, 0)  # #FC5200

# What the test reads of an element in the browser: its colours, its text size and the
# background colours from the element out to <html>, innermost first.
READ_STYLES = """(el) => {
    const style = getComputedStyle(el);
    const backgrounds = [];
    let images = [];
    for (let node = el; node; node = node.parentElement) {
        const own = getComputedStyle(node);
        backgrounds.push(own.backgroundColor);
        if (own.backgroundImage !== "none") images.push(node.tagName);
    }
    return {
        color: style.color,
        backgrounds: backgrounds,
        images: images,
        fontSize: parseFloat(style.fontSize),
        fontWeight: parseInt(style.fontWeight, 10),
        borderColor: style.borderTopColor,
        borderWidth: parseFloat(style.borderTopWidth),
        borderStyle: style.borderTopStyle,
        decorationLine: style.textDecorationLine,
        decorationColor: style.textDecorationColor,
        outlineColor: style.outlineColor,
        outlineStyle: style.outlineStyle,
        outlineWidth: parseFloat(style.outlineWidth),
        outlineOffset: parseFloat(style.outlineOffset),
        hover: el.matches(":hover"),
        focusVisible: el.matches(":focus-visible"),
    };
}"""

# axe's color-contrast rule alone, on one element: did axe pass it (not merely fail to judge)?
AXE_CONTRAST_OF = """async (selector) => {
    const results = await axe.run(selector, {runOnly: {type: "rule", values: ["color-contrast"]}});
    const where = (list) => list.flatMap((rule) => rule.nodes.map((n) => n.target.join(" ")));
    return {passes: where(results.passes), violations: where(results.violations),
            incomplete: where(results.incomplete)};
}"""


# WCAG 2 colour arithmetic -------------------------------------------------------------------

def parse_colour(text):
    """(r, g, b, alpha) from Chromium's computed ``rgb(...)``/``rgba(...)``."""
    match = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", text)
    assert match, f"unexpected computed colour {text!r}"
    r, g, b, a = match.groups()
    return float(r), float(g), float(b), float(a) if a is not None else 1.0


def over(top, bottom):
    """``top`` (r, g, b, alpha) painted over the opaque ``bottom`` (r, g, b)."""
    *rgb, alpha = top
    return tuple(alpha * c + (1 - alpha) * d for c, d in zip(rgb, bottom, strict=True))


def effective_background(layers):
    """The opaque colour the innermost of ``layers`` (innermost first) shows: each layer
    painted over the ones outside it. <html> always has the page's colour, so the outermost
    opaque layer is found."""
    colours = [parse_colour(layer) for layer in layers]
    start = next((i for i, c in enumerate(colours) if c[3] == 1.0), None)
    assert start is not None, f"no opaque background behind the element: {layers}"
    result = colours[start][:3]
    for colour in reversed(colours[:start]):
        result = over(colour, result)
    return result


def luminance(rgb):
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a, b):
    light, dark = sorted((luminance(a), luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_contrast_arithmetic_matches_wcag():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21)
    # The old white-on-orange button this test guards against: 3.3:1.
    assert contrast((255, 255, 255), STRAVA_ORANGE) == pytest.approx(3.31, abs=.01)
    assert contrast((0, 0, 0), STRAVA_ORANGE) == pytest.approx(6.35, abs=.01)
    assert effective_background(["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0.5)",
                                 "rgb(255, 255, 255)"]) == (127.5, 127.5, 127.5)


# Checking one element -----------------------------------------------------------------------

def is_large(styles):
    return styles["fontSize"] >= 24 or (styles["fontSize"] >= 18.66 and styles["fontWeight"] >= 700)


def check(locator, state, *, orange_edge=False):
    """Reads ``locator``'s styles and returns a list of lines, one per check, each with its
    ratio; a failed check's line starts with FAIL."""
    styles = locator.evaluate(READ_STYLES)
    assert not styles["images"], f"a background image under the text: {styles['images']}"
    if state == "hover":
        assert styles["hover"], "the pointer is not over the element"
    if state == "focus-visible":
        assert styles["focusVisible"], "the element does not show keyboard focus"
    label = f"{locator.inner_text().strip()!r} ({state})"
    background = effective_background(styles["backgrounds"])
    around = effective_background(styles["backgrounds"][1:])
    text = over(parse_colour(styles["color"]), background)
    needed = 3.0 if is_large(styles) else 4.5
    results = []

    def record(what, ratio, minimum):
        verdict = "ok  " if ratio >= minimum else "FAIL"
        results.append(f"{verdict} {label} {what}: {ratio:.2f} (needs {minimum})")

    record("text on its background", contrast(text, background), needed)
    if orange_edge:
        assert styles["borderStyle"] != "none" and styles["borderWidth"] > 0
        record("edge against the page", contrast(over(parse_colour(styles["borderColor"]), around),
                                                 around), 3.0)
    if state == "focus-visible":
        assert styles["outlineStyle"] != "none" and styles["outlineWidth"] >= 2
        ring_on = around if styles["outlineOffset"] > 0 else background
        record("focus ring", contrast(over(parse_colour(styles["outlineColor"]), ring_on),
                                      ring_on), 3.0)
    return results


def shows_strava_orange(locator):
    """Whether the element keeps Strava's orange: as its text, background, edge or underline."""
    styles = locator.evaluate(READ_STYLES)
    colours = [styles["color"], styles["backgrounds"][0], styles["decorationColor"]]
    if styles["borderStyle"] != "none" and styles["borderWidth"] > 0:
        colours.append(styles["borderColor"])
    return any(parse_colour(c)[:3] == STRAVA_ORANGE and parse_colour(c)[3] == 1 for c in colours)


def brand_rule_kept(link):
    """Strava's rule for "View on Strava": bold, underlined or #FC5200."""
    styles = link.evaluate(READ_STYLES)
    return (styles["fontWeight"] >= 700 or "underline" in styles["decorationLine"]
            or parse_colour(styles["color"])[:3] == STRAVA_ORANGE)


def check_every_state(page, locator, *, orange_edge=False):
    """The element at rest, under the pointer and focused from the keyboard."""
    expect(locator).to_be_visible()
    locator.scroll_into_view_if_needed()
    page.mouse.move(0, 0)
    results = check(locator, "normal", orange_edge=orange_edge)
    locator.hover()
    results += check(locator, "hover", orange_edge=orange_edge)
    page.mouse.move(0, 0)
    locator.focus()
    results += check(locator, "focus-visible", orange_edge=orange_edge)
    locator.blur()
    return results


def use_scheme(page, scheme):
    page.emulate_media(color_scheme=scheme)
    assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")


def assert_all_pass(results):
    print("\n".join(results))  # the ratios, for `pytest -s`
    failures = [line for line in results if line.startswith("FAIL")]
    assert not failures, "\n".join(results)


def assert_axe_passes_contrast_of(page, selector):
    page.wait_for_function("typeof window.axe !== 'undefined'")
    found = page.evaluate(AXE_CONTRAST_OF, selector)
    assert found["violations"] == [] and found["incomplete"] == [], found
    assert found["passes"], f"axe did not check {selector}: {found}"


# The pages ----------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_sign_in_with_strava_passes_aa_and_axe(browser, live_server, fake_strava, scheme,
                                               viewport):
    with axe_context(browser, live_server.url, viewport=viewport, color_scheme=scheme) as context:
        page = context.new_page()
        page.goto("/accounts/login/")
        button = page.get_by_role("link", name="Sign in with Strava")
        assert page.evaluate(f"matchMedia('(prefers-color-scheme: {scheme})').matches")
        assert shows_strava_orange(button)
        assert_all_pass(check_every_state(page, button, orange_edge=True))

        # axe on the whole page, color-contrast among its rules; and that axe judged the
        # button's contrast (passed it), rather than leaving it "incomplete".
        assert_no_axe_violations(page)
        assert_axe_passes_contrast_of(page, ".button-strava")


def test_strava_on_a_runners_pages_passes_aa(context, page, live_server, fake_strava, runner,
                                             organiser):
    sign_in_by_cookie(context, live_server.url, runner)

    # My account, not yet connected: "Connect with Strava".
    page.goto("/accounts/profile/")
    connect = page.get_by_role("link", name="Connect with Strava")
    results = []
    for scheme in SCHEMES:
        use_scheme(page, scheme)
        assert shows_strava_orange(connect)
        results += [f"[{scheme}] {line}" for line in check_every_state(page, connect,
                                                                      orange_edge=True)]

    # A run the runner ran, with their activity linked: "View on Strava" on the run page
    # (beside "Powered by Strava") and on its card in My runs.
    started = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    run = make_run(organiser, title="Castle hill loop", starts_at=started, capacity=10)
    Participation.objects.create(run=run, runner=runner, status="going")
    _, athlete = connect_strava(runner, fake_strava)
    fake_strava.add_activity(athlete, start=started + timedelta(minutes=3),
                             name="Castle hill with the group")
    use_scheme(page, "light")
    page.goto(run.get_absolute_url())
    page.get_by_role("link", name="Link my Strava activity").click()
    page.get_by_label("Castle hill with the group").check()
    page.get_by_role("button", name="Link this activity").click()
    on_run_page = page.locator(".strava-panel").get_by_role("link", name="View on Strava")
    expect(on_run_page).to_be_visible()

    for scheme in SCHEMES:
        use_scheme(page, scheme)
        for address, link in ((run.get_absolute_url(), on_run_page),
                              ("/runs/mine/", page.locator(".run-card").get_by_role(
                                  "link", name="View on Strava"))):
            page.goto(address)
            assert brand_rule_kept(link)
            assert shows_strava_orange(link)
            results += [f"[{scheme}] {line}" for line in check_every_state(page, link)]
            if address == run.get_absolute_url():
                results += [f"[{scheme}] {line}"
                            for line in check(page.get_by_text("Powered by Strava"), "normal")]
    assert_all_pass(results)

