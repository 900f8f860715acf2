import re
from datetime import datetime, time, timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clubs.models import Club
from joinrun.form_inputs import DateTimeLocalInput, NumberInput, fits

from .models import (
    FASTEST_PACE,
    MAX_CAPACITY,
    MAX_DISTANCE_KM,
    MAX_REPEAT_WEEKS,
    MIN_DISTANCE_KM,
    SLOWEST_PACE,
    Run,
    format_pace,
    one_line,
)
from .route_forms import RouteFields
from .series import MAX_UPCOMING_DATES, too_far_message, wall_clock_between

PACE_PATTERN = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")


def parse_pace(text):
    """ "5:30" (or "5.30") -> 330 seconds per km; None when it is not a pace."""
    match = PACE_PATTERN.match(text or "")
    if not match or int(match[2]) > 59:
        return None
    return int(match[1]) * 60 + int(match[2])


class PaceField(forms.CharField):
    """A pace typed as minutes:seconds per km, cleaned to seconds."""

    def __init__(self, *, placeholder, **kwargs):
        super().__init__(required=False, **kwargs)
        # The pattern in to_python bounds the length; a max_length validator would run
        # on the cleaned number.
        self.widget.attrs.update(inputmode="numeric", placeholder=placeholder, size=5,
                                 maxlength=5)

    def prepare_value(self, value):
        return format_pace(value) if isinstance(value, int) else value

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        seconds = parse_pace(value)
        if seconds is None:
            raise ValidationError(_("Write a pace as minutes:seconds per km, like 5:30."))
        if not FASTEST_PACE <= seconds <= SLOWEST_PACE:
            raise ValidationError(
                _("A pace must be between %(fastest)s and %(slowest)s per km."),
                params={"fastest": format_pace(FASTEST_PACE),
                        "slowest": format_pace(SLOWEST_PACE)},
            )
        return seconds


class RunForm(RouteFields, forms.ModelForm):
    starts_at = forms.DateTimeField(
        label=_("Starts at"),
        widget=DateTimeLocalInput(),
        help_text=_("Day and time, in local time."),
    )
    # Required unless the run has a route, whose length it then takes (RouteFields).
    distance_km = forms.DecimalField(
        label=_("Distance (km)"), min_value=Decimal(str(MIN_DISTANCE_KM)),
        max_value=MAX_DISTANCE_KM, max_digits=4, decimal_places=1, required=False,
        widget=NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
        help_text=_("With a route, leave it empty to use the route's length."),
    )
    pace_min = PaceField(label=_("Fastest pace (min/km)"), placeholder=_("e.g. 5:30"))
    pace_max = PaceField(
        label=_("Slowest pace (min/km)"), placeholder=_("e.g. 6:00"),
        help_text=_("Leave both empty if every pace is welcome."),
    )
    capacity = forms.IntegerField(
        label=_("Capacity"), required=False, min_value=1, max_value=MAX_CAPACITY,
        widget=NumberInput,
        help_text=_("How many runners can go at most. Empty means no limit; when it is full, "
                    "runners join a waitlist."),
    )
    # No decimal_places here: more digits than the column keeps are rounded in clean_*,
    # not refused, because a phone's map app copies coordinates with many decimals.
    latitude = forms.DecimalField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.DecimalField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
        help_text=_("Optional. With both, the run page links to the spot on OpenStreetMap."),
    )

    class Meta:
        model = Run
        fields = ["title", "starts_at", "meeting_point", "latitude", "longitude",
                  "distance_km", "pace_min", "pace_max", "capacity", "description"]
        help_texts = {
            "meeting_point": _("Where runners meet, in words: “Main entrance of Tivoli park”."),
            "description": _("Route, terrain, what to bring, where you go afterwards."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    # The form's sections, in order, each under its heading (templates/includes/
    # form_groups.html). A field named in no group comes last; a name the form lacks
    # (``club`` for someone who organises no club) is skipped. A (heading, names) pair in
    # a group folds those fields away under that heading, open when one has a value or an
    # error.
    groups = [
        (_("The run"), ["club", "title", "description"]),
        (_("When"), ["starts_at", "repeat_weeks"]),
        (_("Where"), ["meeting_point", "route", "keep_route", "route_start", "remove_route",
                      (_("More"), ["latitude", "longitude"])]),
        (_("How far and how fast"), ["distance_km", "pace_min", "pace_max"]),
        (_("How many"), ["capacity"]),
    ]

    def __init__(self, *args, now=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.now = now or timezone.now()

    def clean_starts_at(self):
        starts_at = self.cleaned_data["starts_at"]
        if starts_at <= self.now:
            raise ValidationError(_("Pick a time in the future."))
        return starts_at

    def clean_latitude(self):
        value = self.cleaned_data["latitude"]
        return None if value is None else round(value, 5)

    def clean_longitude(self):
        value = self.cleaned_data["longitude"]
        return None if value is None else round(value, 5)

    def clean(self):
        cleaned = super().clean()
        pace_min, pace_max = cleaned.get("pace_min"), cleaned.get("pace_max")
        if "pace_min" in cleaned and "pace_max" in cleaned:
            # One pace given: the run goes at that pace.
            if pace_min is None:
                cleaned["pace_min"] = pace_min = pace_max
            if pace_max is None:
                cleaned["pace_max"] = pace_max = pace_min
            if pace_min is not None and pace_min > pace_max:
                self.add_error("pace_max", _("The slowest pace must not be faster than the "
                                             "fastest pace."))
        if "latitude" in cleaned and "longitude" in cleaned and (
            (cleaned["latitude"] is None) != (cleaned["longitude"] is None)
        ):
            self.add_error("longitude", _("Give both latitude and longitude, or neither."))
        return cleaned


class NewRunForm(RunForm):
    club = forms.ModelChoiceField(
        label=_("Club"), queryset=Club.objects.none(), required=False,
        empty_label=_("No club: my own run"), to_field_name="slug",
        help_text=_("A club's run is on the club's page and in its calendar, its followers "
                    "hear of it, and every organiser of the club can change it."),
    )
    repeat_weeks = forms.IntegerField(
        label=_("Repeat weekly for N more weeks"), min_value=0, max_value=MAX_REPEAT_WEEKS,
        initial=0,
        help_text=_("0 for a single run. The dates make a series with its own page: runners "
                    "join one date or every date, and you can add weeks later."),
        widget=NumberInput(attrs={"inputmode": "numeric"}),
    )

    field_order = ["club"]
    copies_routes = True  # "Organise again" may keep the earlier run's route

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        clubs = Club.objects.listed().organised_by(user)
        # A club sent by someone who organises none is refused, not silently dropped.
        if clubs.exists() or self.data.get("club"):
            self.fields["club"].queryset = clubs
        else:
            del self.fields["club"]

    def clean_repeat_weeks(self):
        return self.cleaned_data["repeat_weeks"] or 0

    def weekly_starts(self):
        """The start of each run in the series, same local time each week (so a run
        at 18:00 stays at 18:00 across a daylight-saving change)."""
        first = timezone.localtime(self.cleaned_data["starts_at"])
        zone = first.tzinfo
        naive = first.replace(tzinfo=None)
        return [
            timezone.make_aware(naive + timedelta(weeks=week), zone)
            for week in range(self.cleaned_data["repeat_weeks"] + 1)
        ]


class CancelForm(forms.Form):
    """Cancelling a run (or, in a series, it and its later dates). Posted twice: first
    from the edit page, then from the confirmation step with ``confirm``."""

    THIS_DATE = "this"
    LATER_DATES = "later"

    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=200, validators=[one_line],
        help_text=_("Sent to everyone going or waiting, and shown on the run page."),
    )
    # Shown only for a series; a lone run is its own "this date".
    scope = forms.ChoiceField(
        label=_("Which dates"), widget=forms.RadioSelect, required=False,
        initial=THIS_DATE,
        choices=[(THIS_DATE, _("This date only")), (LATER_DATES, _("This and later dates"))],
    )

    def __init__(self, *args, **kwargs):
        # Its own ids: it shares the edit page with the edit form, which has a scope too.
        kwargs.setdefault("auto_id", "cancel_%s")
        super().__init__(*args, **kwargs)

    def clean_scope(self):
        return self.cleaned_data["scope"] or self.THIS_DATE

    def runs_of(self, run):
        """The runs this form cancels, ``run`` first."""
        if self.cleaned_data["scope"] == self.LATER_DATES:
            return list(run.rest_of_series().order_by("starts_at", "pk"))
        return [run]


class StaffCancelForm(forms.Form):
    """Staff cancelling runs in the admin: the reason goes to every runner, so it is
    required (a cancellation from staff, unexplained, leaves runners guessing)."""

    reason = forms.CharField(
        label=_("Reason"), max_length=200, validators=[one_line],
        help_text=_("Sent to everyone going or waiting, and shown on the run page."),
        widget=forms.TextInput(attrs={"size": 60}),
    )


class RemoveRunnerForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason (optional)"), required=False, max_length=200, validators=[one_line],
        help_text=_("Sent to the runner in the email that tells them. Not shown to anyone "
                    "else."),
    )


class RunFilterForm(forms.Form):
    """The run list's filters, from the query string (``past`` is read by the view)."""

    date_from = forms.DateField(required=False, label=_("From"))
    date_to = forms.DateField(required=False, label=_("To"))
    min_km = forms.DecimalField(required=False, label=_("Min km"), min_value=0,
                                max_value=MAX_DISTANCE_KM, max_digits=5, decimal_places=1)
    max_km = forms.DecimalField(required=False, label=_("Max km"), min_value=0,
                                max_value=MAX_DISTANCE_KM, max_digits=5, decimal_places=1)
    pace = forms.CharField(required=False, max_length=11, label=_("Your pace (min/km)"))

    # Query-string names: `from` and `to` are Python keywords.
    PARAMS = {"from": "date_from", "to": "date_to"}

    def __init__(self, query):
        data = {self.PARAMS.get(key, key): value for key, value in query.items()}
        super().__init__(data)

    # The input type of each query-string name on the run list's filter form.
    INPUT_TYPES = {"from": "date", "to": "date", "min_km": "number", "max_km": "number",
                   "pace": "text"}

    @cached_property
    def shown(self):
        """The query's values to write back into the filter form's inputs: only values
        of each input's type (the messages say what was wrong with the others)."""
        values = {name: self.data.get(self.PARAMS.get(name, name), "")
                  for name in self.INPUT_TYPES}
        return {name: value if fits(self.INPUT_TYPES[name], value) else ""
                for name, value in values.items()}

    def _in_calendar(self, name):
        # The day's midnight in the site's zone, and the day after, must exist in UTC.
        day = self.cleaned_data[name]
        if day and not 1900 <= day.year < 9999:
            raise ValidationError(_("Enter a date between the years 1900 and 9998."))
        return day

    def clean_date_from(self):
        return self._in_calendar("date_from")

    def clean_date_to(self):
        return self._in_calendar("date_to")

    def clean_pace(self):
        """ "5:45" (one pace) or "5:30-6:00" (a band) -> (fastest, slowest) seconds."""
        text = self.cleaned_data["pace"].replace("–", "-").strip()
        if not text:
            return None
        parts = [parse_pace(part) for part in text.split("-")]
        if len(parts) > 2 or None in parts:
            raise ValidationError(_("Write a pace like 5:30, or a band like 5:00-6:00."))
        return min(parts), max(parts)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("date_from") and cleaned.get("date_to") and (
            cleaned["date_from"] > cleaned["date_to"]
        ):
            self.add_error("date_to", _("“To” must not be before “From”."))
        if cleaned.get("min_km") is not None and cleaned.get("max_km") is not None and (
            cleaned["min_km"] > cleaned["max_km"]
        ):
            self.add_error("max_km", _("Max km must not be less than min km."))
        return cleaned

    def filter(self, runs):
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        if data["date_from"]:
            runs = runs.filter(starts_at__gte=datetime.combine(data["date_from"], time(),
                                                               tzinfo=zone))
        if data["date_to"]:
            day_after = data["date_to"] + timedelta(days=1)
            runs = runs.filter(starts_at__lt=datetime.combine(day_after, time(), tzinfo=zone))
        if data["min_km"] is not None:
            runs = runs.filter(distance_km__gte=data["min_km"])
        if data["max_km"] is not None:
            runs = runs.filter(distance_km__lte=data["max_km"])
        if data["pace"]:
            fastest, slowest = data["pace"]
            # Runs whose pace range overlaps the runner's, and runs open to every pace.
            runs = runs.filter(
                Q(pace_min__isnull=True)
                | Q(pace_min__lte=slowest, pace_max__gte=fastest)
            )
        return runs


class OrganiserMessageForm(forms.Form):
    """The organiser's message to a run's runners: plain text, emailed and not kept."""

    GOING = "going"
    GOING_AND_WAITING = "going_and_waiting"
    MAX_LENGTH = 2000

    audience = forms.ChoiceField(
        label=pgettext_lazy("message recipients", "To"), widget=forms.RadioSelect, initial=GOING,
        choices=[(GOING, _("Runners going")),
                 (GOING_AND_WAITING, _("Runners going and on the waitlist"))],
    )
    # The length is checked in clean_text, after line breaks are normalised: a browser
    # sends each as two characters, and counts it as one.
    text = forms.CharField(
        label=_("Message"),
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": MAX_LENGTH}),
        help_text=_("Plain text, up to 2,000 characters. Each runner gets their own email "
                    "with your display name; nobody sees another's address, and we keep "
                    "no copy once it is sent."),
        error_messages={"required": _("Write the message you want to send.")},
    )

    def clean_text(self):
        text = self.cleaned_data["text"].replace("\r\n", "\n").replace("\r", "\n")
        # Line breaks and tabs are the only control characters a plain-text email needs.
        text = "".join(c for c in text if c in "\n\t" or (c >= " " and c != "\x7f"))
        if not text.strip():
            raise ValidationError(_("Write the message you want to send."))
        if len(text) > self.MAX_LENGTH:
            raise ValidationError(
                _("Keep the message to 2,000 characters: it has %(count)s."),
                params={"count": len(text)},
            )
        return text


class SeriesEditForm(RunForm):
    """Editing a date of a weekly series: the organiser says whether the change is for
    this date only or also for the later dates (runs/series.py edit_later)."""

    THIS_DATE = "this"
    LATER_DATES = "later"

    # No choice made for them: saving to the wrong dates is the mistake this prevents.
    scope = forms.ChoiceField(
        label=_("Save the changes for"), widget=forms.RadioSelect,
        choices=[(THIS_DATE, _("This date only")), (LATER_DATES, _("This and later dates"))],
        help_text=_("Later dates are the ones after this that are not cancelled. Their start "
                    "moves by as much as this date's, at the same local time; what else you "
                    "changed is copied to them. Each runner gets one email listing their "
                    "changed dates."),
        error_messages={"required": _("Choose “This date only” or “This and later "
                                      "dates”.")},
    )

    def clean(self):
        cleaned = super().clean()
        starts_at = cleaned.get("starts_at")
        # self.instance still holds the saved start here (the form copies its values
        # onto it after clean()).
        if (cleaned.get("scope") == self.LATER_DATES and starts_at
                and abs(wall_clock_between(self.instance.starts_at, starts_at))
                >= timedelta(weeks=1)):
            self.add_error("starts_at", too_far_message())
        return cleaned


class AddWeeksForm(forms.Form):
    """"Add more weeks" on a series' page."""

    weeks = forms.IntegerField(
        label=_("Weeks to add"), min_value=1, max_value=MAX_UPCOMING_DATES, initial=4,
        widget=NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Each new date is a week after the last, at the same time, with the last "
                    "date's meeting point, places and details. A series has at most 52 "
                    "upcoming dates. Runners join the new dates themselves."),
    )
