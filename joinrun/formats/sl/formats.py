# "torek, 1. december 2026, 18:00" and "tor, 1. 12., 18:00". The rest comes from
# Django's own Slovenian formats.
DATETIME_FORMAT = "l, j. F Y, H:i"
SHORT_DATETIME_FORMAT = "D, j. n., H:i"
TIME_FORMAT = "H:i"
