"""axe-core in the browser tests: does a page pass the WCAG 2 A and AA rules axe can check?

axe-core comes from npm (`make test` runs `npm ci`; the file is
node_modules/axe-core/axe.min.js). It is injected into the page as a script, which the site's
Content-Security-Policy forbids, so the page must live in a context made with
``bypass_csp=True``: open it with ``axe_context``. (Other tests check the policy itself.)

    from tests.e2e.axe import assert_no_axe_violations, axe_context

    def test_run_list_is_accessible(browser, live_server):
        with axe_context(browser, live_server.url, color_scheme="dark") as context:
            page = context.new_page()
            page.goto("/runs/")
            assert_no_axe_violations(page)

``axe_violations(page)`` returns the violations as readable lines instead, for a test that
wants to look at them itself.
"""

from contextlib import contextmanager
from pathlib import Path

from tests.e2e.conftest import PHONE

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"

# Every WCAG 2.0, 2.1 and 2.2 success criterion at level A and AA that axe has a rule for.
WCAG_2_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]

RUN_AXE = """async ({tags, exclude}) => {
    const context = exclude.length ? {exclude: exclude.map((s) => [s])} : document;
    const results = await axe.run(context, {
        runOnly: {type: "tag", values: tags},
        resultTypes: ["violations"],
    });
    return results.violations.map((v) => ({
        id: v.id,
        impact: v.impact,
        help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    }));
}"""


@contextmanager
def axe_context(browser, base_url, *, viewport=PHONE, color_scheme="light", **options):
    """A browser context where axe can be injected (``bypass_csp=True``), at ``viewport``
    and in ``color_scheme`` ("light" or "dark"); closed on leaving the ``with``."""
    context = browser.new_context(base_url=base_url, viewport=viewport,
                                  color_scheme=color_scheme, bypass_csp=True, **options)
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


def _inject(page):
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `make test` (or `npm ci`) once")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))


def axe_violations(page, *, tags=WCAG_2_A_AA, exclude=()):
    """The page's axe violations as readable text, one entry per rule broken:
    ``rule-id (impact): what the rule asks`` and, below it, each offending element's CSS
    selector with axe's summary of what to fix. ``exclude``: selectors of parts not to check
    (say why in the test)."""
    _inject(page)
    violations = page.evaluate(RUN_AXE, {"tags": list(tags), "exclude": list(exclude)})
    readable = []
    for violation in violations:
        lines = [f"{violation['id']} ({violation['impact']}): {violation['help']}"]
        for node in violation["nodes"]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"  - {node['target']}: {summary}")
        readable.append("\n".join(lines))
    return readable


def assert_no_axe_violations(page, *, tags=WCAG_2_A_AA, exclude=()):
    """Fails with every violation on the page, naming the page's address."""
    violations = axe_violations(page, tags=tags, exclude=exclude)
    assert not violations, f"axe found on {page.url}:\n" + "\n".join(violations)
