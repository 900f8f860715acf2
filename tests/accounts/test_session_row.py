"""accounts/session_row.py loads a session and its account in one SELECT of its own; it
must give exactly what the ORM gives, column by column and type by type, on SQLite and
PostgreSQL, and nothing for a session that is gone."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts import session_row
from accounts.models import Session, User
from tests.conftest import make_user


def same_row(loaded, stored):
    for field in type(stored)._meta.concrete_fields:
        ours, theirs = getattr(loaded, field.attname), getattr(stored, field.attname)
        assert ours == theirs, field.name
        assert type(ours) is type(theirs), field.name


@pytest.fixture
def signed_in(db):
    ana = make_user("ana@example.com", "Ana", language="sl",
                    processing_restricted_at=timezone.now() - timedelta(days=1))
    ana.last_login = timezone.now()
    ana.save()
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Android 14; Mobile; rv:133.0) Firefox/133.0")
    client.force_login(ana)
    client.get("/runs/")
    return ana, client.session.session_key


def test_the_row_is_the_orms_column_by_column(signed_in):
    ana, key = signed_in
    session, user = session_row.load(key, timezone.now())
    same_row(session, Session.objects.get(session_key=key))
    same_row(user, User.objects.get(pk=ana.pk))
    assert user.processing_restricted_at is not None and user.language == "sl"
    assert not session._state.adding and not user._state.adding


def test_a_session_without_an_account_has_no_user(db):
    client = Client()
    client.get("/accounts/login/")
    store = Session.get_session_store_class()()
    store["kept"] = "a form's state"
    store.create()
    session, user = session_row.load(store.session_key, timezone.now())
    assert session.user_id is None and user is None


def test_an_expired_or_unknown_session_is_none(signed_in):
    _ana, key = signed_in
    assert session_row.load("x" * 32, timezone.now()) is None
    expiry = Session.objects.get(session_key=key).expire_date
    assert session_row.load(key, expiry) is None  # the moment it ends
    assert session_row.load(key, expiry - timedelta(seconds=1)) is not None


def test_a_deactivated_account_is_signed_out_on_its_next_page(signed_in):
    ana, key = signed_in
    client = Client()
    client.cookies["sessionid"] = key
    signed_in_header = 'action="/accounts/logout/"'
    assert signed_in_header in client.get("/runs/").content.decode()
    User.objects.filter(pk=ana.pk).update(is_active=False)
    page = client.get("/runs/").content.decode()
    assert signed_in_header not in page and 'href="/accounts/login/"' in page
