"""One line of text that other people read: display names, run titles, meeting points,
club names and places. They go into lists, email subjects and calendar files, so they
may hold any language's letters, emoji and spaces, but nothing that hides itself or
turns the text around (a right-to-left override makes "gpj.exe" read "exe.jpg")."""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from joinrun.mail import HIDDEN_CATEGORIES

LINE_BREAKING = {"Cc", "Zl", "Zp"}
# Zero-width (non-)joiners are ordinary writing in Persian and the Indic scripts and glue
# emoji together (👨‍👩‍👧): allowed between two such characters, never next to ASCII,
# where they would only hide.
JOINERS = {"\u200c", "\u200d"}
# Letters and marks that draw nothing: the usual ways to a "blank" name.
BLANK_LOOKING = {"\u034f", "\u115f", "\u1160", "\u3164", "\uffa0", "\u2800"}
# A subdivision flag (🏴󠁧󠁢󠁳󠁣󠁴󠁿) spells its region in invisible tag characters.
FLAG_TAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0020-\U000e007e]+\U000e007f")

ONE_LINE = _("Use one line, without control characters.")
HIDDEN = _("Remove the invisible or direction-changing characters (such as a zero-width "
           "space or a right-to-left mark): they can make text look like something it is "
           "not.")


def _joins_writing(char):
    return ord(char) > 0x7F and unicodedata.category(char)[0] in "LMS"


def _hidden(text):
    """Whether ``text`` holds a character that hides or turns text around."""
    text = FLAG_TAG_SEQUENCE.sub("\U0001f3f4", text)
    for i, char in enumerate(text):
        if char in BLANK_LOOKING:
            return True
        if char in JOINERS:
            inside = 0 < i < len(text) - 1
            if not (inside and _joins_writing(text[i - 1]) and _joins_writing(text[i + 1])):
                return True
        elif unicodedata.category(char) in HIDDEN_CATEGORIES:
            return True
    return False


def one_line(text):
    """Validator: refuses line breaks, control, format and private-use characters."""
    if any(unicodedata.category(char) in LINE_BREAKING for char in text):
        raise ValidationError(ONE_LINE, code="one_line")
    if _hidden(text):
        raise ValidationError(HIDDEN, code="hidden_characters")
