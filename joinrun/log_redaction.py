"""A logging filter that keeps addresses out of every log line we do not write ourselves
(Django's warnings, gunicorn's error log): IP addresses become their truncated network
(loopback stays, it is the server itself), URLs their origin, and no query string is left."""

import ipaddress
import logging
import re

from joinrun.client_address import truncate_ip

URL = re.compile(r"\b(https?://[^/\s'\"]+)[^\s'\")]*")
IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
# A query string ("?token=…", even without a path before it) may hold a password-reset
# token or a feed's secret; a "?" that ends a sentence is not followed by text and stays.
QUERY = re.compile(r"\?\S+")
IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _truncate_match(match):
    text = match.group(0)
    for address in (text, text.rstrip(":")):  # "ip=2001:db8::5: Invalid request"
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            continue
        if ip.is_loopback:
            return text  # our own bind address, never a person's
        return truncate_ip(address) + text[len(address):]
    return text


def redact(text: str) -> str:
    text = URL.sub(r"\1", text)
    text = QUERY.sub("", text)
    text = IPV4.sub(_truncate_match, text)
    return IPV6.sub(_truncate_match, text)


class RedactAddresses(logging.Filter):
    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        if record.exc_info and not record.exc_text:
            # An exception's message may quote a URL too; formatters use exc_text as is.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        return True
