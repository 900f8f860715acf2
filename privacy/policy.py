"""The privacy policy page, and the Global Privacy Control answer."""

from dataclasses import dataclass
from datetime import date

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.text import capfirst

from joinrun import personal_data

# The day this version of the policy took effect; gpc.json reports it too.
EFFECTIVE = date(2026, 11, 24)
DAY = 24 * 60 * 60


@dataclass(frozen=True)
class Row:
    """One line of the "what we store" table: a register field, with a readable name."""

    label: str
    code: str
    purpose: str
    retention: str
    exported: bool


def _label(entry):
    """The field's own name from its model ("display name"), or the register's name."""
    try:
        return capfirst(apps.get_model(entry.model)._meta.get_field(entry.field).verbose_name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return entry.field


def _rows(section):
    return [
        Row(_label(f), f"{f.model}.{f.field}", f.purpose, f.retention, f.exported)
        for f in section.fields
    ]


def _days(seconds):
    """Whole days, or None for a cookie that ends with the browser."""
    return None if seconds is None else seconds // DAY


def policy(request):
    return render(request, "privacy/policy.html", {
        "data_sections": [(section, _rows(section)) for section in personal_data.sections()],
        "session_cookie_name": settings.SESSION_COOKIE_NAME,
        "session_days": _days(settings.SESSION_COOKIE_AGE),
        "csrf_cookie_name": settings.CSRF_COOKIE_NAME,
        "csrf_days": _days(settings.CSRF_COOKIE_AGE),
        "effective": EFFECTIVE,
    })


def gpc_json(request):
    # We sell and share nothing, so every visitor is always opted out.
    return JsonResponse({"gpc": True, "lastUpdate": EFFECTIVE.isoformat()})
