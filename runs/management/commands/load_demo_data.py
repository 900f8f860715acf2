"""Demo data for a local run: `make run` calls this every time; it creates what is
missing and leaves the rest alone."""

import uuid
from datetime import datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from clubs import services as club_services
from clubs.models import Club, Follow, Organiser
from runs import routes
from runs.models import AttendanceMarker, Participation, Route, Run
from runs.reminders import schedule_reminder

DEMO_PASSWORD = "run-together-demo"
DEMO_ACCOUNTS = [
    ("runner@demo.join.run", "Demo runner"),
    ("organiser@demo.join.run", "Demo organiser"),
]
# Fellow runners, so lists and waitlists look lived in. They cannot log in.
DEMO_RUNNERS = ["Maja", "Luka", "Nina", "Tim", "Eva", "Jure"]

# (days from today, hour, minute, title, meeting point, km, pace, capacity, description)
DEMO_RUNS = [
    (1, 7, 0, "Sunrise 5K", "Prešeren Square, by the statue", "5", (330, 390), None,
     "An easy loop along the river before work. Coffee afterwards for whoever wants one."),
    (2, 18, 30, "Rožnik hill repeats", "Tivoli park, main entrance", "8", (300, 345), 12,
     "Four climbs up Rožnik with a jog down. Bring a head torch."),
    (3, 9, 0, "Beginners' run-walk", "Kongresni trg", "4", (420, 540), 3,
     "Run a minute, walk a minute. Nobody is left behind."),
    (4, 17, 0, "Barje long flat run", "Ljubljanica at Špica", "16", (330, 360), 20,
     "Flat and steady over the marshes. Water stop at 8 km."),
    (5, 10, 0, "Šmarna gora trail", "Tacen, bus stop", "12.5", (360, 450), 15,
     "Trail shoes help. We regroup at the top."),
    (9, 19, 0, "Track intervals", "Stadium Kodeljevo", "10", (240, 300), 25, ""),
]
SERIES_RUNS = 4  # the weekly "Tuesday river loop"
# Each meeting point's own spot in Ljubljana (latitude, longitude), so "near me" has
# something to sort.
DEMO_PLACES = {
    "Prešeren Square, by the statue": ("46.05140", "14.50610"),
    "Tivoli park, main entrance": ("46.05400", "14.49600"),  # where the route below starts
    "Kongresni trg": ("46.05000", "14.50370"),
    "Ljubljanica at Špica": ("46.04200", "14.51100"),
    "Tacen, bus stop": ("46.11800", "14.45700"),
    "Stadium Kodeljevo": ("46.04800", "14.53500"),
    "Cobblers' Bridge": ("46.04830", "14.50550"),
}
# A route, read from its GPX file as an organiser's upload is: from Tivoli to the foot of
# Rožnik, four climbs to the top and back down, and back (8.0 km).
ROUTE_RUN = "Rožnik hill repeats"
ROUTE_FILE = Path(__file__).resolve().parents[2] / "demo" / "roznik-hill-repeats.gpx"
# (name, place, description, the demo runs that are the club's); the demo organiser runs
# both, Maja co-organises the second, and the demo runner follows the first.
DEMO_CLUBS = [
    ("Ljubljana River Runners", "Ljubljana",
     "Easy social runs along the Ljubljanica every week, and a hill session for those who "
     "want one. All paces welcome; we wait at every turn.",
     {"Tuesday river loop", "Rožnik hill repeats", "Sunrise 5K"}),
    ("Šmarna gora Trail Club", "Tacen, Ljubljana",
     "Trail runs on Šmarna gora and Grmada. Trail shoes help; a head torch in winter.",
     {"Šmarna gora trail"}),
]


class Command(BaseCommand):
    help = "Create demo accounts and runs (idempotent). Never for production: the password " \
           "is public."

    def handle(self, *args, **options):
        if settings.HTTPS:
            raise CommandError("Refusing to load demo data with HTTPS=true (production).")
        # Read before the transaction, as the run form reads an upload.
        track = routes.read(SimpleUploadedFile(ROUTE_FILE.name, ROUTE_FILE.read_bytes(),
                                               "application/gpx+xml"))
        with transaction.atomic():
            created = self.create_accounts()
            self.create_clubs()
            runs = self.create_runs()
            self.create_past_run()
            self.attach_route(track)
        self.stdout.write(
            f"Demo data: {created} account(s) created, {runs} upcoming run(s) created. Log in "
            f"as {DEMO_ACCOUNTS[0][0]} or {DEMO_ACCOUNTS[1][0]} with the password "
            f"{DEMO_PASSWORD}."
        )

    def create_accounts(self):
        created = 0
        for email, display_name in DEMO_ACCOUNTS:
            if not User.objects.filter(email=email).exists():
                # Demo addresses count as confirmed, so the demo shows run emails.
                User.objects.create_user(email, DEMO_PASSWORD, display_name=display_name,
                                         email_confirmed_at=timezone.now())
                created += 1
        for name in DEMO_RUNNERS:
            email = f"{name.lower()}@demo.join.run"
            if not User.objects.filter(email=email).exists():
                User.objects.create_user(email, None, display_name=name,
                                         email_confirmed_at=timezone.now())
                created += 1
        return created

    def create_clubs(self):
        organiser = User.objects.get(email=DEMO_ACCOUNTS[1][0])
        for name, place, description, _titles in DEMO_CLUBS:
            if not Club.objects.filter(name=name).exists():
                club_services.create(organiser, name=name, place=place,
                                     description=description)
        trail_club = Club.objects.get(name=DEMO_CLUBS[1][0])
        Organiser.objects.get_or_create(club=trail_club,
                                        user=User.objects.get(email="maja@demo.join.run"))
        Follow.objects.get_or_create(club=Club.objects.get(name=DEMO_CLUBS[0][0]),
                                     user=User.objects.get(email=DEMO_ACCOUNTS[0][0]))

    def club_of(self, title):
        for name, _place, _description, titles in DEMO_CLUBS:
            if title in titles:
                return Club.objects.get(name=name)
        return None

    def spot_of(self, place):
        latitude, longitude = DEMO_PLACES[place]
        return {"latitude": Decimal(latitude), "longitude": Decimal(longitude)}

    def attach_route(self, track):
        """The hill repeats' route (``track``) on each upcoming date of it without one."""
        runs = Run.objects.filter(organiser__email=DEMO_ACCOUNTS[1][0], title=ROUTE_RUN,
                                  route__isnull=True).upcoming()
        Route.attach(track, list(runs))

    def create_runs(self):
        """About ten upcoming runs, unless the demo organiser already has some: dates are
        relative to today, so a later `make run` tops them up once they are past."""
        organiser = User.objects.get(email=DEMO_ACCOUNTS[1][0])
        if Run.objects.filter(organiser=organiser).upcoming().exists():
            return 0
        today = timezone.localdate()

        def at(days, hour, minute):
            day = today + timedelta(days=days)
            return timezone.make_aware(datetime.combine(day, time(hour, minute)))

        runs = []
        for days, hour, minute, title, place, km, pace, capacity, text in DEMO_RUNS:
            runs.append(Run.objects.create(
                organiser=organiser, club=self.club_of(title), title=title, meeting_point=place,
                starts_at=at(days, hour, minute), distance_km=Decimal(km),
                pace_min=pace[0], pace_max=pace[1], capacity=capacity, description=text,
                **self.spot_of(place),
            ))
        series = uuid.uuid4()
        next_tuesday = (1 - today.weekday()) % 7 or 7
        for week in range(SERIES_RUNS):
            runs.append(Run.objects.create(
                organiser=organiser, title="Tuesday river loop", series=series,
                club=self.club_of("Tuesday river loop"),
                meeting_point="Cobblers' Bridge", **self.spot_of("Cobblers' Bridge"),
                starts_at=at(next_tuesday + 7 * week, 18, 0),
                distance_km=Decimal("7.5"), pace_min=330, pace_max=375, capacity=30,
                description="Our weekly social run along the Ljubljanica. All welcome.",
            ))
        fellow_runners = list(User.objects.filter(email__in=[
            f"{name.lower()}@demo.join.run" for name in DEMO_RUNNERS]).order_by("pk"))
        # The beginners' run (3 places) is full with a waitlist.
        for runner in fellow_runners[:5]:
            runs[2].join(runner)
        for runner in fellow_runners[:4]:
            runs[1].join(runner)
            runs[6].join(runner)
        runs[4].join(fellow_runners[5])
        runs[6].join(User.objects.get(email=DEMO_ACCOUNTS[0][0]))
        runs[5].cancel(reason="The stadium is closed for a competition.")
        for run in runs:
            schedule_reminder(run)  # as the site does on creating a run
        return len(runs)

    def create_past_run(self):
        """Yesterday evening's run, which the demo runner ran: with the fake Strava
        (README) they can link their activity to it. Added again once the last one is past
        the 14 days in which activities can be linked."""
        organiser = User.objects.get(email=DEMO_ACCOUNTS[1][0])
        linkable_since = timezone.now() - timedelta(days=13)
        if Run.objects.filter(organiser=organiser, starts_at__gte=linkable_since).past().exists():
            return
        yesterday = timezone.localdate() - timedelta(days=1)
        run = Run.objects.create(
            organiser=organiser, title="Evening river loop", meeting_point="Cobblers' Bridge",
            **self.spot_of("Cobblers' Bridge"),
            starts_at=timezone.make_aware(datetime.combine(yesterday, time(18, 0))),
            distance_km=Decimal("10"), pace_min=330, pace_max=375, capacity=30,
            description="Ten easy kilometres along the Ljubljanica.",
        )
        runners = [User.objects.get(email=DEMO_ACCOUNTS[0][0]), *User.objects.filter(
            email__in=[f"{name.lower()}@demo.join.run" for name in DEMO_RUNNERS[:3]])]
        # Created directly: join() rightly refuses a run that has started.
        for number, runner in enumerate(runners):
            # Two fellow runners checked in at the meeting point; the demo runner can mark
            # "I was there" (or link Strava), the demo organiser check in the rest.
            came = number in (1, 2)
            Participation.objects.create(
                run=run, runner=runner, status=Participation.Status.GOING,
                attended_at=run.starts_at if came else None,
                attended_by=AttendanceMarker.ORGANISER if came else "")
