# A run's day and time, read at a glance: "Tuesday 1 December 2026, 18:00" and
# "Tue 1 Dec, 18:00". The rest comes from Django's own English formats.
DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATETIME_FORMAT = "D j M, H:i"
TIME_FORMAT = "H:i"
