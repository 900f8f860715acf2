"""The import order between the apps (DESIGN.md, "Layout").

An app may import from `joinrun/` and from apps listed before it in APPS, and from itself,
never from an app listed after it; `joinrun/` (outbox and every subpackage included) imports
no app. Every .py file counts, migrations and template tags too, and every import in it: at
module level, inside functions (lazy imports), under `if TYPE_CHECKING`. Relative imports
are resolved against the module's package first. The files are read with `ast`, not
imported. Strings naming an app (settings, `include("runs.urls")`, a migration's
`dependencies`, `apps.get_model("runs", ...)`) are not imports and are not checked.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["accounts", "clubs", "runs", "strava", "privacy"]  # the order in DESIGN.md
SHARED = "joinrun"


def imported_names(path, root):
    """Yield (line, absolute dotted name) for every import in the file at `path`."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    package = parts if parts[-1] == "__init__" else parts[:-1]
    package = [p for p in package if p != "__init__"]
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # `from ..x import y`: drop level - 1 packages, then add x
                base = package[: max(len(package) - (node.level - 1), 0)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            if module:
                yield node.lineno, module
            else:  # `from .. import runs` at the top: the names are the modules
                for alias in node.names:
                    yield node.lineno, alias.name


def violations(root, apps=APPS):
    """Every import in `root` that breaks the order, as "path:line imports X (why)"."""
    found = []
    for owner in [SHARED, *apps]:
        if not (root / owner).is_dir():  # e.g. strava before its app exists
            continue
        for path in sorted((root / owner).rglob("*.py")):
            for line, name in imported_names(path, root):
                target = name.split(".")[0]
                if target not in apps or target == owner:
                    continue
                where = f"{path.relative_to(root).as_posix()}:{line} imports {name}"
                if owner == SHARED:
                    found.append(f"{where} ({SHARED}/ imports no app)")
                elif apps.index(target) > apps.index(owner):
                    found.append(f"{where} (app {target} is listed after {owner})")
    return found


def installed_apps(settings_path):
    """INSTALLED_APPS from the settings file, read as text: a list of string literals."""
    tree = ast.parse(settings_path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "INSTALLED_APPS" for t in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"no INSTALLED_APPS = [...] in {settings_path}")


def test_apps_import_only_earlier_apps_and_joinrun_imports_none():
    found = violations(ROOT)
    assert not found, "imports against the app order (DESIGN.md, Layout):\n" + "\n".join(found)


def test_order_matches_installed_apps():
    installed = installed_apps(ROOT / SHARED / "settings.py")
    present = [app for app in APPS if (ROOT / app).is_dir()]
    assert [app for app in installed if app in APPS] == present, (
        f"INSTALLED_APPS must list {present} in this order, like APPS here and DESIGN.md"
    )
    # A new local app must get a place in the order (and here) before it can be installed.
    local = [a for a in installed if "." not in a and a != SHARED and (ROOT / a).is_dir()]
    assert set(local) <= set(APPS), f"add {sorted(set(local) - set(APPS))} to APPS"


def write(root, files):
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_checker_reports_every_backward_import(tmp_path):
    write(
        tmp_path,
        {
            "accounts/__init__.py": "",
            "accounts/x.py": "import os\nfrom runs.models import Run\n",
            "accounts/rel.py": "from ..runs import z\nfrom . import models\n",
            "clubs/lazy.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    import privacy.models\n"
                "def f():\n    from strava import client\n"
            ),
            "joinrun/y.py": "import accounts\nfrom joinrun import mail\n",
            "joinrun/outbox/sub/z.py": "from .... import clubs\n",
            "runs/migrations/0002_x.py": (
                "from accounts.models import User\nimport privacy.fields\n"
                "dependencies = [('privacy', '0001_initial')]\n"
            ),
        },
    )
    assert violations(tmp_path) == [
        "joinrun/outbox/sub/z.py:1 imports clubs (joinrun/ imports no app)",
        "joinrun/y.py:1 imports accounts (joinrun/ imports no app)",
        "accounts/rel.py:1 imports runs (app runs is listed after accounts)",
        "accounts/x.py:2 imports runs.models (app runs is listed after accounts)",
        "clubs/lazy.py:3 imports privacy.models (app privacy is listed after clubs)",
        "clubs/lazy.py:5 imports strava (app strava is listed after clubs)",
        "runs/migrations/0002_x.py:2 imports privacy.fields (app privacy is listed after runs)",
    ]


def test_checker_passes_a_clean_tree(tmp_path):
    write(
        tmp_path,
        {
            "joinrun/outbox/models.py": "from django.db import models\nfrom ..mail import send\n",
            "accounts/models.py": "from joinrun.outbox import tasks\nfrom .tokens import make\n",
            "runs/views.py": "import accounts.models\nfrom clubs.models import Club\n",
            "privacy/admin.py": "def f():\n    from runs.models import Run\n    import strava\n",
            "strava/__init__.py": "from . import client\n",
        },
    )
    assert violations(tmp_path) == []
