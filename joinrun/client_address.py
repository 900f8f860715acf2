"""The client's address: used for rate limits and, truncated, for the access log.

No full address is ever written anywhere: the log gets the truncated network, the rate
limiter a keyed hash that expires with its window.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    if settings.HTTPS:
        # Behind our TLS proxy the client is the address the proxy appended last;
        # anything to its left was sent by the client and cannot be trusted.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def truncate_ip(address: str) -> str:
    """IPv4 to its /24 network, IPv6 to its /48: enough to spot abuse, not a person."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return "-"
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)
