"""A form's fields in the sections its ``groups`` attribute names (templates/includes/
form_groups.html), so a long form reads as a few short ones under headings."""

from dataclasses import dataclass, field

from django import template

register = template.Library()


@dataclass
class Fold:
    """Fields tucked under a disclosure; open when one of them has a value or an error,
    so nothing typed or wrong is ever hidden."""

    heading: str
    fields: list
    is_fold = True

    @property
    def open(self):
        return any(bound.errors or bound.value() not in (None, "") for bound in self.fields)


@dataclass
class Group:
    heading: str | None
    items: list = field(default_factory=list)


@register.filter
def grouped(form, skip=""):
    """``form``'s visible fields as Groups, in the order of ``form.groups``; fields in no
    group come last under no heading. Names the form lacks, and those in ``skip`` (a
    comma-separated list the page renders itself), are left out; hidden fields too (the
    template renders them apart)."""
    left = [bound.name for bound in form.visible_fields() if bound.name not in skip.split(",")]

    def take(names):
        found = [form[name] for name in names if name in left]
        for bound in found:
            left.remove(bound.name)
        return found

    groups = []
    for heading, names in getattr(form, "groups", []):
        group = Group(heading)
        for name in names:
            if isinstance(name, tuple):
                fold_heading, fold_names = name
                folded = take(fold_names)
                if folded:
                    group.items.append(Fold(fold_heading, folded))
            else:
                group.items.extend(take([name]))
        if group.items:
            groups.append(group)
    if left:
        groups.append(Group(None, take(list(left))))
    return groups
