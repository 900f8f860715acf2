"""Screenshots of the main pages for the README: `make screenshots`.

Loads the demo data (`manage.py load_demo_data`, as `make run` does) into a new SQLite
database in a temporary folder, serves the site with gunicorn as in production, and
photographs the home page (signed out), the run list, the first "Rožnik hill repeats" (the
demo run with a route), its club and the run form (signed in as the demo runner) at 390 and
1280 px, light and dark, with Debian's Chromium. The PNGs go to docs/screenshots/, named
``<page>-<width>-<scheme>.png``: at 1280 px the first screen; at 390 px the whole page down to
at most 2,500 px, on a screen that tall, so the join bar shows at its bottom edge. The
database and its cache are deleted afterwards; collectstatic fills staticfiles/ as `make run`
does.
"""

import os
import secrets
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from tests.served import free_port, gunicorn, manage  # noqa: E402

OUT = ROOT / "docs" / "screenshots"
WIDTHS = {390: 844, 1280: 800}
SCHEMES = ["light", "dark"]
TALLEST = 2500  # px of a phone's full page
DEMO_RUNNER, DEMO_PASSWORD = "runner@demo.join.run", "run-together-demo"

# Run in the served site's `manage.py shell`: the addresses of the pages to photograph.
SEED = """
import json
from runs.models import Run

run = (Run.objects.filter(title="Rožnik hill repeats", route__isnull=False)
       .order_by("starts_at").first())
print(json.dumps({"run": run.get_absolute_url(), "club": run.club.get_absolute_url()}))
"""


def served_env(tmp):
    """The environment of a site served as in production, on a database in ``tmp``."""
    dropped = {"SECRET_KEY", "DEBUG", "HTTPS", "DJANGO_SETTINGS_MODULE", "DATABASE_URL",
               "CACHE_URL", "EMAIL_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {key: value for key, value in os.environ.items() if key not in dropped}
    env.update({
        "DJANGO_SETTINGS_MODULE": "joinrun.settings", "ENV_FILE": "/nonexistent",
        "SECRET_KEY": "screenshots-" + secrets.token_urlsafe(40),
        "DATABASE_URL": f"sqlite:///{tmp / 'demo.sqlite3'}",
        "CACHE_URL": f"filecache://{tmp / 'cache'}",
        "EMAIL_URL": "consolemail://",  # nothing is sent: no task worker runs
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}", "WEB_CONCURRENCY": "1",
    })
    return env


def shoot(page, path, name, width):
    page.goto(path)
    target = OUT / name
    if width < 1000:
        # A phone as tall as the page (at most TALLEST), so what sticks to the bottom of its
        # screen (the join bar) is drawn there, as a reader sees it.
        screen = page.viewport_size
        height = min(page.evaluate("document.documentElement.scrollHeight"), TALLEST)
        page.set_viewport_size({"width": width, "height": max(height, screen["height"])})
        page.screenshot(path=target, animations="disabled")
        page.set_viewport_size(screen)
    else:
        page.screenshot(path=target, animations="disabled")
    print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")


def photograph(base, pages):
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            # Signed in once; each later context starts with that session.
            context = browser.new_context(base_url=base, locale="en-GB")
            page = context.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Email").fill(DEMO_RUNNER)
            page.get_by_label("Password").fill(DEMO_PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("link", name="My runs").first.wait_for()
            signed_in = context.storage_state()
            context.close()

            for width, height in WIDTHS.items():
                for scheme in SCHEMES:
                    options = {"base_url": base, "locale": "en-GB", "color_scheme": scheme,
                               "viewport": {"width": width, "height": height}}
                    for state, names in ((None, ["home"]),
                                         (signed_in, ["runs", "run", "club", "new-run"])):
                        context = browser.new_context(storage_state=state, **options)
                        page = context.new_page()
                        for name in names:
                            shoot(page, pages[name], f"{name}-{width}-{scheme}.png", width)
                        context.close()
        finally:
            browser.close()


def main():
    import json

    if not CHROMIUM.exists():
        sys.exit(f"Chromium not found at {CHROMIUM}; install it with `apt-get install chromium`")
    with tempfile.TemporaryDirectory(prefix="joinrun-screenshots-") as folder:
        tmp = Path(folder)
        env = served_env(tmp)
        manage(env, "migrate", "-v0")
        manage(env, "collectstatic", "--noinput", "-v0")
        manage(env, "load_demo_data")
        seeded = json.loads(manage(env, "shell", "--no-imports", "-c", SEED))
        pages = {"home": "/", "runs": "/runs/", "new-run": "/runs/new/", **seeded}
        with gunicorn(env, tmp / "gunicorn.log") as base:
            photograph(base, pages)
    total = sum(png.stat().st_size for png in OUT.glob("*.png"))
    print(f"{len(list(OUT.glob('*.png')))} screenshots in {OUT.relative_to(ROOT)}, "
          f"{total // 1024} KB in all")


if __name__ == "__main__":
    main()
