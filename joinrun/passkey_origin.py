"""The origin passkeys are made and used at, from SITE_URL (settings.PASSKEY_ORIGIN)."""

import ipaddress
from urllib.parse import urlsplit


def passkey_origin(site_url):
    """``site_url``'s scheme, host and port; a browser makes no passkey for an IP address,
    so an address like 127.0.0.1 becomes localhost (the same machine, by name)."""
    parts = urlsplit(site_url)
    host = parts.hostname or "localhost"
    try:
        ipaddress.ip_address(host)
        host = "localhost"
    except ValueError:
        pass
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}"
