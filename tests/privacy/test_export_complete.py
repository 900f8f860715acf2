"""The export shows everything we hold about a person.

A walk over every installed model finds the rows that are a person's: their account, rows
that point at it (a Participation is its runner's), rows that hang off those (an
ActivityLink is its participation's), the staff pages' history about the account, and rows
that carry the account's address. For each column of those rows the person's real export
must change when the column changes, or EXCLUDED must say why the export leaves it out. A
new model or column that is neither fails here.
"""

import json
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, models, transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential, WebAuthnUserHandle

from accounts.models import Session
from clubs.models import Follow, Invitation
from joinrun import personal_data
from joinrun.outbox.models import Email
from privacy.models import DataRequest
from runs.models import CalendarFeed, Participation, Route
from strava.models import ActivityLink, StravaConnection
from tests.clubs.conftest import make_club
from tests.conftest import make_user
from tests.privacy.test_policy import get_policy
from tests.privacy.test_request_form import file_request
from tests.runs.conftest import make_run

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SELF = "<the account>"
ABOUT = "<the staff pages' history about the account>"
ADDRESS = "<the account's address in {}>"  # rows found by the account's email

STAFF_ONLY = "which member of staff did it is theirs, not this person's"
REQUESTERS = ("the request is its requester's: a member of staff's export lists the "
              "references of the requests they answer and the steps they took")
BOOKKEEPING = "the site's own bookkeeping, nothing about the person"
OTHER_PEOPLE = ("other people's places on the organiser's runs: each runner's place is in "
                "that runner's own export")
KEY = "a key, like a password: never exported"

# (model, how its rows reach the person, column) -> why the export leaves it out.
# "*" as the column: every column of the rows reached that way; OTHERS: every column but
# the one that ties the row to the person (whose rows must still be in the export).
OTHERS = "<all but the link>"
EXCLUDED = {
    ("accounts.User", SELF, "password"): "a password hash is never exported",
    ("accounts.Session", "user", "session_key"): "the browser's sign-in key: " + KEY,
    ("accounts.Session", "user", "session_data"):
        "what signing in stores for the browser (the account's id and a check of the "
        "password hash): keys, not facts about the person",
    ("admin.LogEntry", "user", "object_id"):
        "the changed record's number in our database, meaningless outside it; the export "
        "names the record",
    ("admin.LogEntry", ABOUT, "user"): STAFF_ONLY,
    ("clubs.Invitation", "invited_by", "user"):
        "whom an organiser invited is the invited person's data",
    ("clubs.Invitation", "invited_by", "email"):
        "the address an organiser typed is the invited person's, not the sender's",
    ("clubs.Invitation", ADDRESS.format("email"), "*"):
        "an invitation is for the account it names, whose export has it with the address",
    ("runs.Run", "organiser", "reminder_sent_for"):
        "which start time the runners were reminded of, so a reminder goes once: "
        + BOOKKEEPING,
    ("runs.Run", "organiser", "sequence"):
        "the run's revision number for calendar apps: " + BOOKKEEPING,
    ("runs.Participation", "run__organiser", "*"): OTHER_PEOPLE,
    ("strava.ActivityLink", "participation__run__organiser", "*"): OTHER_PEOPLE,
    ("strava.StravaConnection", "user", "access_token"): "join run's key to Strava: " + KEY,
    ("strava.StravaConnection", "user", "refresh_token"): "join run's key to Strava: " + KEY,
    ("strava.StravaConnection", "user", "expires_at"):
        "when join run's key to Strava runs out: about the key, not the person",
    ("runs.CalendarFeed", "user", "fingerprint"):
        "a checksum of the feed's runs to notice changes: " + BOOKKEEPING,
    ("privacy.DataRequest", "user", "assignee"): STAFF_ONLY,
    ("privacy.DataRequest", "user", "export_file"):
        "the export file's name on our server; the export itself is what the person gets",
    ("privacy.DataRequest", "user", "link_key"):
        "the key in the request's private links: " + KEY + " (the links are in our emails)",
    ("privacy.DataRequest", "assignee", OTHERS): REQUESTERS,
    ("privacy.DataRequest", ADDRESS.format("contact_email"), "*"):
        "a request from an address nobody has confirmed yet: it becomes the account's, and "
        "its export's, once the emailed link confirms it (or staff check who sent it); "
        "until then the account holder may not be who wrote it",
    ("privacy.DataRequestEvent", "request__user", "actor"): STAFF_ONLY + " (the step says "
                                                            "staff, requester or system)",
    ("privacy.DataRequestEvent", "request__assignee", "*"): REQUESTERS,
    ("outbox.Email", "user", "attempts"): "how often the mail server was tried: " + BOOKKEEPING,
    ("outbox.Email", "user", "next_attempt_at"): "when to try again: " + BOOKKEEPING,
    ("outbox.Email", "user", "claimed_until"): "which worker sends it: " + BOOKKEEPING,
    ("outbox.Email", "user", "claimed_by"): "which worker sends it: " + BOOKKEEPING,
    ("otp_totp.TOTPDevice", "user", "key"): "the authenticator app's secret: " + KEY,
    **{("otp_totp.TOTPDevice", "user", column): "how the app's codes are counted and which "
       "was used last, so none is accepted twice: " + BOOKKEEPING
       for column in ("step", "t0", "digits", "tolerance", "drift", "last_t")},
    ("django_otp_webauthn.WebAuthnAttestation", "credential__user", "*"):
        "never stored: accounts.passkeys.PasskeyHelper keeps no attestation (the passkey "
        "journey checks the table stays empty)",
    ("django_otp_webauthn.WebAuthnCredential", "user", "credential_id"):
        "the passkey's number, to find it at sign-in: about the key, not the person",
    ("django_otp_webauthn.WebAuthnCredential", "user", "credential_id_sha256"):
        "a checksum of the passkey's number, to look it up: " + BOOKKEEPING,
    ("django_otp_webauthn.WebAuthnCredential", "user", "public_key"):
        "the public half of the passkey: a key, not a fact about the person",
    ("django_otp_webauthn.WebAuthnCredential", "user", "credential_type"):
        "always \"public-key\", the one kind WebAuthn knows: " + BOOKKEEPING,
    ("django_otp_webauthn.WebAuthnCredential", "user", "aaguid"):
        "which maker's authenticator: never kept (accounts.passkeys stores zeros)",
    ("otp_static.StaticToken", "device__user", "token"):
        "an unused recovery code: " + KEY + " (the export says how many are left)",
}

# Column names that name or reach a person wherever they appear.
EMAIL_LIKE = ("email",)
NAME_LIKE = ("display_name", "first_name", "last_name", "full_name", "nickname", "username")


def _relations(model):
    """Foreign keys and one-to-ones on ``model``."""
    return [f for f in model._meta.concrete_fields if f.is_relation and f.related_model]


def _columns(model):
    fields = [f for f in model._meta.concrete_fields
              if not isinstance(f, models.AutoField | models.BigAutoField)]
    return fields + list(model._meta.many_to_many)


def _has_generic_link(model):
    names = {f.name: f for f in model._meta.concrete_fields}
    return ("object_id" in names and "content_type" in names
            and names["content_type"].related_model is ContentType)


def _is_email(field):
    return isinstance(field, models.EmailField) or any(w in field.name for w in EMAIL_LIKE)


def person_routes():
    """Every (model, route) by which rows of a model can be a person's: a route is an ORM
    path from the model to the account, or SELF, ABOUT or ADDRESS."""
    user_model = get_user_model()
    routes = {(user_model, SELF)}
    linked = [(model, f.name) for model in apps.get_models() for f in _relations(model)
              if f.related_model is user_model]
    routes.update(linked)
    # Rows that hang off a person's rows, two steps deep (an activity link of a place on a
    # run they organise).
    frontier = linked
    for _ in range(2):
        frontier = [(model, f"{f.name}__{path}") for parent, path in frontier
                    for model in apps.get_models() for f in _relations(model)
                    if f.related_model is parent]
        routes.update(frontier)
    for model in apps.get_models():
        if _has_generic_link(model):
            routes.add((model, ABOUT))
        if model is not user_model:
            routes.update((model, ADDRESS.format(f.name)) for f in model._meta.concrete_fields
                          if _is_email(f) and not f.is_relation)
    return routes


def _route_link(model, route):
    """The columns that tie a row to the person along ``route``."""
    if route == ABOUT:
        return {"content_type", "object_id"}
    if route.startswith("<"):
        return set()
    return {route.split("__")[0]}


def rows_of(model, route, person):
    if route == SELF:
        return model.objects.filter(pk=person.pk)
    if route == ABOUT:
        return model.objects.filter(content_type=ContentType.objects.get_for_model(person),
                                    object_id=str(person.pk))
    if route.startswith("<"):
        column = route.removeprefix("<the account's address in ").removesuffix(">")
        rows = model.objects.filter(**{f"{column}__iexact": person.email})
        for field in _relations(model):  # rows that reach the account directly are theirs
            if field.related_model is type(person):
                rows = rows.exclude(**{field.name: person})
        return rows
    return model.objects.filter(**{route: person})


# Changing one column


def _other_values(field, current):
    """Values ``field`` may take instead of ``current``: the first one that the database
    accepts is used."""
    if field.is_relation:
        return list(field.related_model.objects.exclude(pk=current)[:20])
    if field.choices:
        return [value for value, _ in field.flatchoices if value != current]
    if isinstance(field, models.BooleanField):
        return [not current]
    if isinstance(field, models.DateTimeField):
        return [(current or NOW) + timedelta(days=1, minutes=7)]
    if isinstance(field, models.DateField):
        return [(current or NOW.date()) + timedelta(days=1)]
    if isinstance(field, models.DecimalField):
        return [(current or Decimal(0)) + 1]
    if isinstance(field, models.IntegerField):
        return [(current or 0) + 1]
    if isinstance(field, models.UUIDField):
        return [uuid.UUID(int=(current.int + 1) if current else 1)]
    if isinstance(field, models.JSONField):
        return [{"changed": True}]
    text = "changed@example.org" if _is_email(field) else f"changed {field.name}"
    return [text[:field.max_length] if field.max_length else text]


def _change(rows, field):
    pks = list(rows.values_list("pk", flat=True))
    if field.many_to_many:
        for row in rows.model.objects.filter(pk__in=pks):
            related = getattr(row, field.name)
            if related.exists():
                related.clear()
            else:
                related.add(field.related_model.objects.first())
        return
    current = rows.values_list(field.attname, flat=True).first()
    for value in _other_values(field, current):
        try:
            with transaction.atomic():
                rows.model.objects.filter(pk__in=pks).update(**{field.name: value})
            return
        except IntegrityError:
            continue
    raise AssertionError(f"no other value for {field} fits: give the test a second row "
                         f"of {field.related_model}" if field.is_relation else str(field))


def export_of(person):
    fresh = type(person).objects.get(pk=person.pk)
    data = personal_data.export_for(fresh, now=NOW)
    return json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True)


def export_after(person, change):
    """The export after ``change``, which is then undone."""
    with transaction.atomic():
        change()
        data = export_of(person)
        transaction.set_rollback(True)
    return data


def _excluded(label, route, column, link):
    return ((label, route, column) in EXCLUDED
            or (column not in link and (label, route, OTHERS) in EXCLUDED))


def not_exported(person):
    """(model, route, column) the person's export does not show, and no reason given."""
    before = export_of(person)
    missing = []
    for model, route in sorted(person_routes(), key=lambda pair: (pair[0]._meta.label, pair[1])):
        label = model._meta.label
        if (label, route, "*") in EXCLUDED:
            continue
        rows = rows_of(model, route, person)
        assert rows.exists(), f"give the person a {label} row reached by {route}"
        link = _route_link(model, route)
        for field in _columns(model):
            if _excluded(label, route, field.name, link):
                continue
            if field.name in link:
                # The column that makes the rows theirs: the rows must be in the export.
                after = export_after(person, rows.delete)
            else:
                after = export_after(person, lambda: _change(rows, field))  # noqa: B023
            if after == before:
                missing.append((label, route, field.name))
    return missing


# The cast: one person with a row in every table that can hold their data


@pytest.fixture
def person(db):
    """Ana: a runner, an organiser of her own and a club's runs, a requester, and a member
    of staff whose work left its marks."""
    ana = make_user("ana@example.com", "Ana", is_staff=True, language="sl",
                    processing_restricted_at=NOW - timedelta(days=2))
    bojan = make_user("bojan@example.com", "Bojan")
    cene = make_user("cene@example.com", "Cene")
    ana.last_login = NOW - timedelta(hours=3)
    ana.save()
    ana.groups.add(Group.objects.create(name="Helpers"))
    ana.user_permissions.add(Permission.objects.get(codename="view_datarequest"))
    Session.objects.create(session_key="k" * 32, session_data="", user=ana,
                           expire_date=NOW + timedelta(days=3650), device="Firefox/Android",
                           started_on=NOW.date(), last_used_on=NOW.date())

    ours = make_club(ana, name="Ana's Striders", place="Ljubljana")
    theirs = make_club(bojan, name="Bojan's Harriers", place="Maribor")
    Invitation.objects.create(club=theirs, user=ana, email="ana.old@example.com",
                              invited_by=bojan)
    Invitation.objects.create(club=ours, user=cene, email=cene.email, invited_by=ana)
    Follow.objects.create(club=theirs, user=ana)

    own = make_run(ana, club=ours, capacity=8, latitude=Decimal("46.05"),
                   longitude=Decimal("14.50"), description="Easy pace.", series=uuid.uuid4(),
                   cancel_reason="Storm.", cancelled_at=NOW - timedelta(days=1))
    Route.objects.create(run=own, gpx="<gpx/>", distance_m=8000, ascent_m=40,
                         drawing={"line": [[0, 0], [1, 1]]})
    Participation.objects.create(run=own, runner=cene)
    elsewhere = make_run(bojan, title="Castle hill repeats")
    make_run(bojan, title="Park loop")
    place = Participation.objects.create(run=elsewhere, runner=ana, status_changes=2,
                                         attended_at=NOW - timedelta(hours=1),
                                         attended_by="runner")
    ActivityLink.objects.create(participation=place, activity_id=987654321)
    StravaConnection.objects.create(user=ana, athlete_id=123456, scope="read",
                                    access_token="a", refresh_token="r",
                                    expires_at=NOW + timedelta(hours=6))
    CalendarFeed.objects.create(user=ana, secret="s" * 32, fingerprint="f" * 64)
    WebAuthnCredential.objects.create(user=ana, name="Ana's phone", confirmed=True,
                                      credential_id=b"ana-passkey", public_key=b"public",
                                      transports=["internal"], sign_count=3,
                                      discoverable=True, created_at=NOW - timedelta(days=9),
                                      last_used_at=NOW - timedelta(days=1))
    WebAuthnUserHandle.objects.create(user=ana, handle_hex="ab" * 32)

    user_type = ContentType.objects.get_for_model(ana)
    LogEntry.objects.create(user=bojan, content_type=user_type, object_id=str(ana.pk),
                            object_repr=ana.email, action_flag=CHANGE,
                            change_message="Address corrected on her request.")
    LogEntry.objects.create(user=ana, content_type=ContentType.objects.get_for_model(own),
                            object_id=str(elsewhere.pk), object_repr=elsewhere.title,
                            action_flag=ADDITION, change_message="Cancelled for the storm.")

    mine = DataRequest.objects.create(
        kind="access", user=ana, contact_email=ana.email, details="All of it, please.",
        channel="email", verified_at=NOW - timedelta(days=5), verification="email_link",
        identity_check="She replied from her address.", extended_until=date(2027, 2, 1),
        extension_reason="Many runs.", extension_notified_at=NOW - timedelta(days=4),
        outcome="Here it is.", refusal_basis="other", refusal_explanation="Part of it.",
        response_sent_at=NOW - timedelta(days=1), closed_at=NOW - timedelta(days=1),
        export_file="x.json", export_expires_at=NOW + timedelta(days=6),
        pii_purged_at=NOW, assignee=bojan)
    mine.log("received", actor=ana, by_requester=True, message="first step")
    mine.log("verified", actor=bojan, from_status="received", to_status="in_progress")
    theirs_ticket = DataRequest.objects.create(kind="erasure", user=cene,
                                               contact_email=cene.email, assignee=ana)
    theirs_ticket.log("extended", actor=ana, message="asked for more time")
    Email.objects.create(kind="reminder", to=ana.email, user=ana, language="sl",
                         subject="Jutri tečemo", body="Do jutri!",
                         headers={"List-Unsubscribe": "<https://example.org/u>"},
                         last_error="SMTPServerDisconnected")
    TOTPDevice.objects.create(user=ana, name="Authenticator app", confirmed=True,
                              created_at=NOW - timedelta(days=9), last_used_at=NOW,
                              throttling_failure_count=1, throttling_failure_timestamp=NOW)
    codes = StaticDevice.objects.create(user=ana, name="Recovery codes", confirmed=True,
                                        created_at=NOW - timedelta(days=9), last_used_at=NOW,
                                        throttling_failure_count=1,
                                        throttling_failure_timestamp=NOW)
    StaticToken.objects.create(device=codes, token="abcd2345")
    return ana


def test_the_export_shows_every_column_that_is_the_persons(person):
    assert not_exported(person) == []


def test_the_walk_finds_a_column_the_export_leaves_out(person, monkeypatch):
    already = set(not_exported(person))
    emails = personal_data._sections["emails"]

    def without_subjects(user):
        return [{k: v for k, v in email.items() if k != "subject"}
                for email in emails.export_for(user)]

    monkeypatch.setitem(personal_data._sections, "emails",
                        personal_data.Section(emails.name, emails.title, emails.fields,
                                              without_subjects, emails.erase_for))
    assert set(not_exported(person)) - already == {("outbox.Email", "user", "subject")}


def test_the_walk_reaches_the_persons_rows_every_way(db):
    routes = {(model._meta.label, route) for model, route in person_routes()}
    assert {
        ("accounts.User", SELF),
        ("runs.Participation", "runner"),
        ("strava.ActivityLink", "participation__runner"),
        ("runs.Route", "run__organiser"),
        ("privacy.DataRequestEvent", "request__user"),
        ("privacy.DataRequestEvent", "actor"),
        ("admin.LogEntry", "user"),
        ("admin.LogEntry", ABOUT),
        ("privacy.DataRequest", ADDRESS.format("contact_email")),
    } <= routes


def test_every_exclusion_names_a_column_the_walk_finds_and_says_why(db):
    routes = {(model._meta.label, route): model for model, route in person_routes()}
    for (label, route, column), reason in EXCLUDED.items():
        model = routes.get((label, route))
        assert model is not None, (label, route)
        assert column in ("*", OTHERS) or model._meta.get_field(column), (label, column)
        assert len(reason) > 20, (label, route, column)


# Register entries the walk cannot reach (it follows keys and addresses), each with where
# its export and erasure are tested instead.
OUTSIDE_THE_WALK = {
    ("django_tasks_database.DBTaskResult", "args_kwargs"):
        "a queued password reset holds the account id inside the task's JSON argument; "
        "tests/accounts/test_reset_same_work.py checks its export and erasure",
}


def test_what_the_register_says_is_exported_is_checked_and_the_rest_excluded(db):
    checked = {(model._meta.label, field.name) for model, route in person_routes()
               if (model._meta.label, route, "*") not in EXCLUDED
               for field in _columns(model)
               if not _excluded(model._meta.label, route, field.name,
                                _route_link(model, route))}
    excluded = {(label, column) for label, _, column in EXCLUDED}
    for entry in personal_data.fields():
        where = (entry.model, entry.field)
        if where in OUTSIDE_THE_WALK:
            continue
        assert where in (checked if entry.exported else excluded), where


def test_a_persons_own_request_shows_its_history_in_the_export(person):
    data = personal_data.export_for(person, now=NOW)
    (mine,) = data["data_requests"]
    assert [(step["step"], step["by"]) for step in mine["history"]] == [
        ("received", "requester"), ("verified", "staff")]
    assert (mine["how_it_reached_us"], mine["verified_how"], mine["refusal_basis"]) == (
        "email", "email_link", "other")
    # Which member of staff answers or took a step is not the requester's to see.
    assert "bojan" not in json.dumps(mine).lower()


def test_a_member_of_staff_sees_their_own_work_and_not_the_requests(person):
    data = personal_data.export_for(person, now=NOW)
    work = data["request_steps"]
    cene_ticket = DataRequest.objects.get(user__display_name="Cene")
    assert work["requests_assigned_to_you"] == [cene_ticket.reference]
    assert [(s["request"], s["step"]) for s in work["steps_you_took"]] == [
        (DataRequest.objects.get(user=person).reference, "received"),
        (cene_ticket.reference, "extended")]
    assert "cene@example.com" not in json.dumps(work)


def test_the_staff_pages_history_about_the_account_is_in_its_export(person):
    account = personal_data.export_for(person, now=NOW)["account"]
    (change,) = account["changes_staff_made_to_your_account"]
    assert (change["action"], change["change"]) == ("changed",
                                                    "Address corrected on her request.")
    assert "Bojan" not in json.dumps(change)


def test_an_address_nobody_confirmed_does_not_bring_its_request_into_the_export(person):
    DataRequest.objects.create(kind="erasure", contact_email="ANA@example.com",
                               details="Someone using Ana's address.")
    details = [t["details"] for t in personal_data.export_for(person)["data_requests"]]
    assert details == ["All of it, please."]


def test_a_signed_in_request_is_the_requesters_own_step_in_its_history(runner_client, runner):
    # It used to say "staff": the account that filed it is the requester's.
    file_request(runner_client)
    (step,) = personal_data.export_for(runner)["data_requests"][0]["history"]
    assert (step["step"], step["by"]) == ("received", "requester")
    (own,) = personal_data.export_for(runner)["request_steps"]["steps_you_took"]
    assert own["step"] == "received"


def test_the_policy_names_what_the_export_now_shows_in_plain_words(client, db):
    _page, text = get_policy(client)
    for words in ("Changes staff made to your account", "How you confirmed a request",
                  "Steps taken on your request", "Who took a step on a request",
                  "Your work on data requests"):
        assert words in text, words
    for bare in ("Change message", "Verified by"):
        assert bare not in text, bare
