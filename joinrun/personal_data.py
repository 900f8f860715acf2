"""The personal-data register: one list of everything join run keeps about a person.

Each app declares, next to its models, which fields are personal, why they are kept and
for how long, and how to export and erase them; it registers that in its
``AppConfig.ready()``. Self-service export and deletion, staff answering data requests
and the privacy policy's "what we store" table all read this one register, so none of
them needs to know which apps exist.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone


@dataclass(frozen=True)
class PersonalField:
    model: str  # "app_label.ModelName"
    field: str
    purpose: str  # why we keep it, in words for the policy page
    retention: str  # how long we keep it
    exported: bool = True  # False only for secrets such as the password hash


@dataclass(frozen=True)
class Section:
    name: str  # the key of this section in the export
    title: str
    fields: tuple[PersonalField, ...]
    export_for: Callable[[Any], Any]
    erase_for: Callable[[Any], None]


def iso(moment):
    """A date and time for the export, or None."""
    return moment.isoformat() if moment else None


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    # Re-registering a name replaces it, so a repeated ready() does no harm.
    _sections[section.name] = section


def sections() -> list[Section]:
    return list(_sections.values())


def fields() -> list[PersonalField]:
    return [f for section in _sections.values() for f in section.fields]


def export_for(user, *, now=None) -> dict:
    """Everything we hold about ``user``, as JSON-ready data."""
    now = now or timezone.now()
    data = {"service": "join run", "exported_at": now.isoformat()}
    for section in _sections.values():
        data[section.name] = section.export_for(user)
    # What each piece is for and how long we keep it, so the file explains itself.
    data["why_we_keep_it"] = [
        {"data": f"{f.model}.{f.field}", "why": str(f.purpose), "how_long": str(f.retention)}
        for f in fields()
        if f.exported
    ]
    return data


def erase_for(user) -> None:
    """Erase ``user`` everywhere, in one transaction.

    Sections are erased in the reverse order of registration: later apps depend on
    earlier ones (privacy <- runs <- accounts), and accounts deletes the user last.
    """
    with transaction.atomic():
        for section in reversed(_sections.values()):
            section.erase_for(user)
