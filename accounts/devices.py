"""A coarse name for a signed-in browser ("Firefox on Android"), for "Where you're signed in".

Read once from the User-Agent of the request that signs in, with a few patterns: the
browser's family and the system it runs on, nothing more (no versions, no device model).
Only that pair is stored (``Session.device``, "Firefox/Android"), never the User-Agent.
"""

import re

from django.utils.translation import gettext

# First match wins: Edge, Opera and Samsung Internet also say "Chrome", Chrome also says
# "Safari", so the more particular names come first.
BROWSERS = [
    ("Edge", re.compile(r"\bEdg(e|A|iOS)?/")),
    ("Opera", re.compile(r"\bOPR/|\bOpera\b")),
    ("Samsung Internet", re.compile(r"\bSamsungBrowser/")),
    ("Firefox", re.compile(r"\b(Firefox|FxiOS)/")),
    ("Chrome", re.compile(r"\b(Chrome|CriOS|Chromium)/")),
    ("Safari", re.compile(r"\bSafari/")),
]
# iPhones and iPads first (their Safari says "like Mac OS X"), Android before Linux.
SYSTEMS = [
    ("iPhone", re.compile(r"\biPhone\b")),
    ("iPad", re.compile(r"\biPad\b")),
    ("Android", re.compile(r"\bAndroid\b")),
    ("Windows", re.compile(r"\bWindows\b")),
    ("ChromeOS", re.compile(r"\bCrOS\b")),
    ("macOS", re.compile(r"\bMacintosh\b|\bMac OS X\b")),
    ("Linux", re.compile(r"\bLinux\b")),
]
BROWSER_NAMES = {name for name, _pattern in BROWSERS}
SYSTEM_NAMES = {name for name, _pattern in SYSTEMS}
# A browser sends a few hundred characters; reading more would only cost time.
READ_AT_MOST = 512


def _first(candidates, user_agent):
    return next((name for name, pattern in candidates if pattern.search(user_agent)), "")


def device(user_agent):
    """The stored pair for ``user_agent``: "Firefox/Android", "Chrome/" (system unknown),
    "/Windows" (browser unknown), or "" (neither)."""
    user_agent = (user_agent or "")[:READ_AT_MOST]
    pair = f"{_first(BROWSERS, user_agent)}/{_first(SYSTEMS, user_agent)}"
    return "" if pair == "/" else pair


def describe(stored):
    """The stored pair in words: "Firefox on Android", "Chrome", "Unknown browser on
    Windows", "Unknown browser". A name we do not know counts as unknown."""
    browser, _slash, system = (stored or "").partition("/")
    browser = browser if browser in BROWSER_NAMES else gettext("Unknown browser")
    if system not in SYSTEM_NAMES:
        return browser
    return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
