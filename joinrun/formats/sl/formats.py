# A date: "2. decembra 2026" (the month in the genitive: E, see joinrun/formats/__init__.py);
# a run's day and time: "sreda, 2. decembra 2026, ob 18:30", and at a glance
# "sre, 2. 12., 18:30". Emails add the zone ("… ob 18:30 po ljubljanskem času").
DATE_FORMAT = "j. E Y"
DATETIME_FORMAT = r"l, j. E Y, \o\b H:i"
SHORT_DATE_FORMAT = "j. n. Y"
SHORT_DATETIME_FORMAT = "D, j. n., H:i"
MONTH_DAY_FORMAT = "j. E"
YEAR_MONTH_FORMAT = "F Y"
TIME_FORMAT = "H:i"
