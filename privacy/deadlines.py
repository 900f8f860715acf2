"""The legal clocks of a data request, on calendar dates in the site's time zone.

GDPR Art. 12(3): one calendar month from receipt (5 March -> 5 April; a day the next month
does not have -> its last day, so 31 January -> 28 or 29 February), extendable by two more
months for complex requests. CCPA: 45 days (extendable once to 90), an acknowledgement
within 10 business days, and 15 business days for an opt-out of sale or sharing. Our own
target is the day after receipt. Weekends are not business days; public holidays are not
counted out (the deadline only gets earlier that way, never later).
"""

import calendar
from datetime import date, timedelta

GDPR_EXTENSION_MONTHS = 2
CCPA_DAYS = 45
CCPA_EXTENDED_DAYS = 90
CCPA_ACK_BUSINESS_DAYS = 10
OPT_OUT_BUSINESS_DAYS = 15


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the last day of that month when it is shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_business_days(day: date, count: int) -> date:
    """``count`` weekdays after ``day`` (Monday to Friday)."""
    while count > 0:
        day += timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def target(received: date) -> date:
    """Our promise: an answer the day after receipt."""
    return received + timedelta(days=1)


def legal_due(received: date, *, regime: str, opt_out: bool = False) -> date:
    if opt_out:
        return add_business_days(received, OPT_OUT_BUSINESS_DAYS)
    if regime == "ccpa":
        return received + timedelta(days=CCPA_DAYS)
    return add_months(received, 1)


def extended_due(received: date, *, regime: str) -> date:
    """The latest an extended request may be answered."""
    if regime == "ccpa":
        return received + timedelta(days=CCPA_EXTENDED_DAYS)
    return add_months(received, 1 + GDPR_EXTENSION_MONTHS)


def acknowledgement_due(received: date) -> date:
    return add_business_days(received, CCPA_ACK_BUSINESS_DAYS)
