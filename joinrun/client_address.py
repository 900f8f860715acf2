"""The client's address: used for rate limits and, truncated, for the access log.

No full address is ever written anywhere: the log gets the truncated network, the rate
limiter a keyed hash that expires with its window.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "")
    trusted = settings.FORWARDED_ALLOW_IPS
    if "*" in trusted or remote in trusted:
        # Our proxy appends the address it saw last; anything to its left was sent by
        # the client and cannot be trusted. Requests not from the proxy keep REMOTE_ADDR.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            return forwarded.split(",")[-1].strip()
    return remote


def _network(address: str, ipv4_prefix: int, ipv6_prefix: int) -> str | None:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    prefix = ipv4_prefix if ip.version == 4 else ipv6_prefix
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def truncate_ip(address: str) -> str:
    """IPv4 to its /24 network, IPv6 to its /48: enough to spot abuse, not a person."""
    return _network(address, 24, 48) or "-"


def client_key(request) -> str:
    """Who a rate limit counts: an IPv4 address, or an IPv6 /64 (one subscriber's
    network: a single IPv6 client can pick any address in it)."""
    address = client_ip(request)
    return _network(address, 32, 64) or address
