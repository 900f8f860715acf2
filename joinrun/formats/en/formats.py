# A date: "2 December 2026"; a run's day and time: "Wednesday 2 December 2026, 18:30", and
# at a glance "Wed 2 Dec, 18:30". Emails add the zone ("…, 18:30, Ljubljana time").
DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "l j F Y, H:i"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "D j M, H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
