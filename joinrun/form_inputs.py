"""Typed inputs that write back only a value of their type.

After a form error Django writes back what was sent, so `<input type="number" value="far">`
or `<input type="datetime-local" value="tomorrow">` would reach the page: invalid HTML,
and a browser shows such an input empty anyway. These widgets, and ``fits`` for inputs
written by hand, keep such a value out; the field's message says what was wrong with it.
"""

import re
from datetime import date, datetime

from django import forms

NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
LOCAL_DATETIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}"
                            r"(?::[0-9]{2}(?:\.[0-9]{1,3})?)?")


def fits(input_type, text):
    """Whether ``text`` is a valid value of an ``<input type=input_type>`` (HTML's rules
    for number, date and datetime-local; any text fits the other types)."""
    text = "" if text is None else str(text)
    try:
        if input_type == "number":
            return bool(NUMBER.fullmatch(text))
        if input_type == "date":
            return bool(DATE.fullmatch(text)) and date.fromisoformat(text).year > 0
        if input_type == "datetime-local":
            return bool(LOCAL_DATETIME.fullmatch(text)) and bool(datetime.fromisoformat(text))
    except ValueError:  # a day or an hour out of range
        return False
    return True


class _WritesBackItsType:
    def format_value(self, value):
        value = super().format_value(value)
        return value if value is None or fits(self.input_type, value) else None


class NumberInput(_WritesBackItsType, forms.NumberInput):
    pass


class DateTimeLocalInput(_WritesBackItsType, forms.DateTimeInput):
    """A day and a time in the browser's picker, minutes the smallest unit."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")
