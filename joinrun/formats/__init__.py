"""How dates and times read, per language (settings.FORMAT_MODULE_PATH): one style for
every date on the site and in emails. Pages and emails use the named formats
(``|date:"DATE_FORMAT"``, ``formats.date_format(moment, "DATETIME_FORMAT")``), never
letters of their own.

Slovenian full dates take the month in the genitive, "2. decembra 2026": the Slovenian
formats write the month with Django's ``E``, whose names are the catalog's "alt. month"
strings. Django's own Slovenian catalog has nominatives there ("December"), so ours
supplies the genitives; these lines put the twelve names in our catalog (`make messages`).
"""

from django.utils.translation import pgettext_lazy

MONTHS_IN_A_DATE = (
    pgettext_lazy("alt. month", "January"), pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"), pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"), pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"), pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"), pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"), pgettext_lazy("alt. month", "December"),
)
