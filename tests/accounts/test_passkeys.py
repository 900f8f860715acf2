"""Passkeys without a browser (the journeys with Chromium's virtual authenticator are in
tests/e2e/test_passkey_journey.py): what the browser's calls do with bad or hostile input,
who may rename or remove a passkey, how a passkey counts as a second factor, and that a
visitor's sign-in leaves no session behind."""

import json

import pytest
from django.contrib.sessions.backends.base import SessionBase
from django.core.management import call_command
from django.db import DataError, IntegrityError
from django.test import Client
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

from accounts import passkey_views, passkeys, second_factor
from accounts.models import User
from joinrun import personal_data
from tests.conftest import PASSWORD, make_user

BEGIN_SIGN_IN = "/accounts/passkeys/sign-in/begin/"
COMPLETE_SIGN_IN = "/accounts/passkeys/sign-in/complete/"
BEGIN_ADD = "/accounts/passkeys/add/begin/"
COMPLETE_ADD = "/accounts/passkeys/add/complete/"
CALLS = [BEGIN_SIGN_IN, COMPLETE_SIGN_IN, BEGIN_ADD, COMPLETE_ADD]
HOSTILE_BODIES = [
    b"", b"{", b"[]", b"null", b'"text"', b"{}", b'{"id": 1}',
    json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": {"clientDataJSON": "not base64url!", "authenticatorData": 5}}).encode(),
    json.dumps({"id": "\u202e\x00", "rawId": None, "response": []}).encode(),
    # Well-formed but made up: a passkey nobody has, an attestation that is not one.
    json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": {"clientDataJSON": "eyJ0eXBlIjoxfQ", "authenticatorData": "AAAA",
                             "signature": "AAAA", "userHandle": "AAAA"}}).encode(),
    b"[" * 100_000,  # deeper than Python's JSON reader goes
    json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "response": {"clientDataJSON": "eyJ0eXBlIjoxfQ", "authenticatorData": "AAAA",
                             "signature": "AAAA", "userHandle": "A"}}).encode(),
    json.dumps({"id": "AAAA", "rawId": "AAAA", "type": "public-key",
                "clientExtensionResults": {"credProps": []},
                "response": {"clientDataJSON": "eyJ0eXBlIjoxfQ",
                             "attestationObject": "oA"}}).encode(),
]


def passkey_of(user, name="Phone", **extra):
    return WebAuthnCredential.objects.create(
        user=user, name=name, confirmed=True, credential_id=f"{user.pk}-{name}".encode(),
        public_key=b"public", **extra)


@pytest.fixture
def ana(db):
    return make_user("ana@example.com", "Ana")


@pytest.fixture
def signed_in(ana):
    client = Client()
    client.force_login(ana)
    return client


def visitor_on_the_login_page():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/").content.decode()
    token = json.loads(page.split('id="otp_webauthn_config" type="application/json">')[1]
                       .split("</script>")[0])["csrfToken"]
    return client, token


@pytest.mark.parametrize("path", CALLS)
@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_hostile_answers_get_a_4xx_with_a_message_never_a_500(signed_in, path, body):
    signed_in.post(BEGIN_SIGN_IN if "sign-in" in path else BEGIN_ADD)  # a ceremony begun
    response = signed_in.post(path, body, content_type="application/json")
    assert 400 <= response.status_code < 500 or (path.endswith("begin/")
                                                  and response.status_code == 200)
    if response.status_code >= 400:
        assert response.json()["detail"]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
def test_a_visitors_hostile_answers_get_a_4xx_too(db, body):
    client, token = visitor_on_the_login_page()
    assert client.post(BEGIN_SIGN_IN, HTTP_X_CSRFTOKEN=token).status_code == 200
    response = client.post(COMPLETE_SIGN_IN, body, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token)
    assert 400 <= response.status_code < 500
    assert "_auth_user_id" not in client.session


def test_a_refusal_is_in_the_readers_language(db):
    make_user("sl@example.com", "Špela", language="sl")
    client = Client()
    client.force_login(User.objects.get(email="sl@example.com"))
    client.post(BEGIN_SIGN_IN)
    answer = client.post(COMPLETE_SIGN_IN, HOSTILE_BODIES[-4], content_type="application/json")
    assert answer.status_code == 404  # a made-up passkey: not found
    assert answer.json()["code"] == "credential_not_found"
    with translation.override("en"):
        english = str(passkey_views.SAID["credential_not_found"])
    with translation.override("sl"):
        slovenian = str(passkey_views.SAID["credential_not_found"])
    assert slovenian != english
    assert answer.json()["detail"] == slovenian


def test_a_visitors_passkey_sign_in_makes_no_session_and_keeps_nothing(db):
    client, token = visitor_on_the_login_page()
    response = client.post(BEGIN_SIGN_IN, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 200
    options = response.json()
    assert options["rpId"] == "localhost" and options["challenge"]
    assert options["userVerification"] == "required"  # the passkey alone signs in
    assert set(client.cookies) == {"csrftoken"}  # no session cookie before signing in
    # The same visitor gets the same challenge within its few minutes; another visitor
    # another one.
    assert client.post(BEGIN_SIGN_IN, HTTP_X_CSRFTOKEN=token).json()["challenge"] == \
        options["challenge"]
    other, other_token = visitor_on_the_login_page()
    assert other.post(BEGIN_SIGN_IN, HTTP_X_CSRFTOKEN=other_token).json()["challenge"] != \
        options["challenge"]


def test_a_flood_of_visitors_asking_to_sign_in_writes_nothing(db):
    """Each request with a made-up CSRF cookie of its own costs the site no storage, so
    it cannot push the login limits out of the cache."""
    from django.core.cache import cache

    visitor_on_the_login_page()  # the pages' version is in the cache from here on
    before = len(cache._cache)
    for _ in range(50):
        client, token = visitor_on_the_login_page()
        assert client.post(BEGIN_SIGN_IN, HTTP_X_CSRFTOKEN=token).status_code == 200
        client.post(COMPLETE_SIGN_IN, HOSTILE_BODIES[-4], content_type="application/json",
                    HTTP_X_CSRFTOKEN=token)
    assert len(cache._cache) == before


def test_a_signed_challenge_signs_someone_in_once():
    from django.core.cache import cache

    cache.clear()
    assert passkeys.first_use(b"challenge")
    assert not passkeys.first_use(b"challenge")
    assert passkeys.first_use(b"another")


def test_an_answer_to_a_challenge_from_long_ago_or_for_another_visitor_is_refused(db):
    from django.test import RequestFactory
    from webauthn.helpers import bytes_to_base64url

    request = RequestFactory().post("/")
    request.META["CSRF_COOKIE"] = "a" * 32

    def answer(challenge):
        data = json.dumps({"challenge": bytes_to_base64url(challenge)}).encode()
        return {"response": {"clientDataJSON": bytes_to_base64url(data)}}

    now = passkeys._window()
    for window in (now, now - 1):
        challenge = passkeys.visitor_challenge(request, window)
        assert passkeys.signed_visitor_challenge(request, answer(challenge)) == challenge
    old = passkeys.visitor_challenge(request, now - 2)
    assert passkeys.signed_visitor_challenge(request, answer(old)) is None
    someone_else = RequestFactory().post("/")
    someone_else.META["CSRF_COOKIE"] = "b" * 32
    theirs = passkeys.visitor_challenge(someone_else)
    assert passkeys.signed_visitor_challenge(request, answer(theirs)) is None


def test_the_calls_need_the_csrf_token(db):
    client, _token = visitor_on_the_login_page()
    assert client.post(BEGIN_SIGN_IN).status_code == 403


def test_adding_a_passkey_needs_an_account(db):
    client, token = visitor_on_the_login_page()
    response = client.post(BEGIN_ADD, HTTP_X_CSRFTOKEN=token)
    assert response.status_code in (401, 403)


def test_an_account_holds_at_most_so_many_passkeys(signed_in, ana):
    for number in range(passkeys.MOST_PASSKEYS):
        passkey_of(ana, f"Key {number}")
    response = signed_in.post(BEGIN_ADD)
    assert response.status_code == 400
    assert "as many passkeys as an account can have" in response.json()["detail"]


def test_with_an_authenticator_app_a_passkey_is_added_only_after_the_code(ana):
    TOTPDevice.objects.create(user=ana, name="App", confirmed=True)
    client = Client()
    client.post("/accounts/login/", {"email": ana.email, "password": PASSWORD})
    # Past the password, not the code: the session may not add a way in.
    response = client.post(BEGIN_ADD)
    assert response.status_code in (302, 403)
    assert not WebAuthnCredential.objects.exists()


def test_the_owner_renames_and_removes_a_passkey(signed_in, ana):
    passkey = passkey_of(ana)
    response = signed_in.post(f"/accounts/passkeys/{passkey.pk}/rename/", {"name": "Work laptop"},
                              follow=True)
    assert "The passkey is now called “Work laptop”." in response.content.decode()
    passkey.refresh_from_db()
    assert passkey.name == "Work laptop"
    response = signed_in.post(f"/accounts/passkeys/{passkey.pk}/remove/", follow=True)
    assert "Passkey “Work laptop” removed." in response.content.decode()
    assert not WebAuthnCredential.objects.exists()


@pytest.mark.parametrize("name", ["", "Phone\u202eenohp", "Zero\u200bwidth", "x" * 65])
def test_a_bad_name_is_refused_with_a_message_and_the_old_one_kept(signed_in, ana, name):
    passkey = passkey_of(ana)
    response = signed_in.post(f"/accounts/passkeys/{passkey.pk}/rename/", {"name": name})
    assert response.status_code == 400
    assert "The passkey keeps its name" in response.content.decode()
    passkey.refresh_from_db()
    assert passkey.name == "Phone"


def test_nobody_else_can_rename_or_remove_a_passkey(signed_in, db):
    bojan = make_user("bojan@example.com", "Bojan")
    theirs = passkey_of(bojan)
    assert signed_in.post(f"/accounts/passkeys/{theirs.pk}/rename/",
                          {"name": "Mine now"}).status_code == 404
    assert signed_in.post(f"/accounts/passkeys/{theirs.pk}/remove/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Phone"
    assert Client().post(f"/accounts/passkeys/{theirs.pk}/remove/").status_code == 302
    assert WebAuthnCredential.objects.filter(pk=theirs.pk).exists()


def test_removing_is_a_post(signed_in, ana):
    passkey = passkey_of(ana)
    assert signed_in.get(f"/accounts/passkeys/{passkey.pk}/remove/").status_code == 405
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_my_account_lists_passkeys_with_their_days(signed_in, ana):
    passkey_of(ana, "Ana's phone")
    page = signed_in.get("/accounts/profile/").content.decode()
    assert "Ana&#x27;s phone" in page and "not used yet" in page
    assert 'id="passkey-register-button"' in page


def test_for_staff_a_passkey_is_a_second_factor_for_a_runner_a_way_in(ana):
    passkey_of(ana)
    assert not second_factor.has_second_factor(ana)  # a runner's password still works alone
    staff = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    assert not second_factor.has_second_factor(staff)
    passkey_of(staff)
    assert second_factor.has_second_factor(staff)


def test_staff_with_only_a_passkey_are_asked_for_it_and_reach_nothing_else(db):
    staff = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    passkey_of(staff)
    client = Client()
    response = client.post("/accounts/login/", {"email": staff.email, "password": PASSWORD,
                                                "next": "/admin/"})
    assert response.url.startswith("/accounts/two-factor/")
    page = client.get(response.url).content.decode()
    assert "Use a passkey" in page and 'name="code"' not in page
    assert client.get("/admin/").url.startswith("/accounts/two-factor/")
    assert client.get("/accounts/profile/").url.startswith("/accounts/two-factor/")
    # The passkey's own calls are open to the waiting session.
    assert client.post(BEGIN_SIGN_IN).status_code == 200
    # A code typed anyway changes nothing: there is no app.
    assert client.post("/accounts/two-factor/", {"code": "123456"}).status_code == 200
    assert client.get("/admin/").url.startswith("/accounts/two-factor/")


def test_staff_remove_a_passkey_only_in_a_verified_session(db):
    staff = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    passkey = passkey_of(staff)
    client = Client()
    client.force_login(staff)
    session = client.session
    session.pop("otp_device_id", None)
    session.save()
    response = client.post(f"/accounts/passkeys/{passkey.pk}/remove/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/")
    assert WebAuthnCredential.objects.filter(pk=passkey.pk).exists()


def test_turning_the_app_off_keeps_the_passkeys_and_a_reset_removes_both(db, capsys):
    boss = User.objects.create_superuser("boss@example.com", PASSWORD, display_name="Boss")
    staff = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    TOTPDevice.objects.create(user=staff, name="App", confirmed=True)
    passkey_of(staff)
    assert second_factor.turn_off(staff) == 1
    assert WebAuthnCredential.objects.filter(user=staff).count() == 1
    call_command("reset_second_factor", staff.email, "--by", boss.email)
    assert not WebAuthnCredential.objects.filter(user=staff).exists()
    assert "Second factors removed" in capsys.readouterr().out


def test_passkeys_are_in_the_export_and_gone_with_the_account(ana):
    passkey_of(ana, "Ana's phone", transports=["internal"], sign_count=4)
    data = personal_data.export_for(ana)["passkeys"]
    (exported,) = data["passkeys"]
    assert exported["name"] == "Ana's phone"
    assert exported["times_used_as_counted_by_your_device"] == 4
    assert "public_key" not in json.dumps(data) and "credential_id" not in json.dumps(data)
    personal_data.erase_for(ana)
    assert not WebAuthnCredential.objects.exists()


def test_no_session_data_is_left_by_a_signed_in_ceremony_after_its_end(signed_in):
    signed_in.post(BEGIN_ADD)
    assert "otp_webauthn_register_state" in signed_in.session
    signed_in.post(COMPLETE_ADD, b"{}", content_type="application/json")
    assert "otp_webauthn_register_state" not in signed_in.session
    assert isinstance(signed_in.session, SessionBase)


def test_the_passkey_buttons_speak_slovenian(db):
    """Every message django-otp-webauthn's scripts show has join run's Slovenian, and a
    Slovenian reader's page gets it."""
    import re
    from pathlib import Path

    import django_otp_webauthn

    scripts = Path(django_otp_webauthn.__file__).parent / "static" / "django_otp_webauthn"
    shown = set()
    for script in ("otp_webauthn_auth.js", "otp_webauthn_register.js"):
        shown |= set(re.findall(r'gettext\("([^"]+)"\)', (scripts / script).read_text()))
    assert len(shown) > 20
    client = Client()
    client.force_login(make_user("sl@example.com", "Špela", language="sl"))
    catalog = client.get("/accounts/passkeys/messages.js").content.decode()
    untranslated = [message for message in shown
                    if json.dumps(message) not in catalog.replace("\\u2026", "…")]
    assert untranslated == []
    assert "Dodajam" in catalog


def test_a_staff_session_from_before_the_first_passkey_cannot_set_up_an_app(db):
    """Someone who signed in with a member of staff's password before the owner added a
    passkey is sent to the second step, and cannot make themselves verified on the
    setup page."""
    staff = User.objects.create_superuser("staff@example.com", PASSWORD, display_name="Sara")
    earlier = Client()
    earlier.post("/accounts/login/", {"email": staff.email, "password": PASSWORD})
    passkey_of(staff)  # the owner's first factor
    response = earlier.get("/accounts/two-factor/setup/")
    assert response.status_code == 302 and response.url.startswith("/accounts/two-factor/")
    assert not TOTPDevice.objects.filter(user=staff).exists()
    assert earlier.get("/admin/").status_code == 302


def test_the_owner_is_emailed_when_a_passkey_is_added(ana, mailoutbox):
    from accounts import emails

    emails.send_passkey_added(ana, passkey_of(ana, "Chrome on Android"))
    (email,) = mailoutbox
    assert email.to == ["ana@example.com"]
    assert email.subject == "A passkey was added to your join run account"
    assert '("Chrome on Android")' in email.body
    assert "/accounts/password-reset/" in email.body and "#passkeys" in email.body


def test_the_owner_is_emailed_when_a_passkey_is_removed(signed_in, ana, mailoutbox):
    passkey = passkey_of(ana, "Chrome on Android")

    signed_in.post(f"/accounts/passkeys/{passkey.pk}/remove/")

    (email,) = mailoutbox
    assert email.to == ["ana@example.com"]
    assert email.subject == "A passkey was removed from your join run account"
    assert '("Chrome on Android") was removed' in email.body
    assert "/accounts/password-reset/" in email.body and "#passkeys" in email.body


@pytest.mark.parametrize("refusal", [
    IntegrityError("UNIQUE constraint failed: credential_id_sha256"),  # a second account
    DataError("integer out of range"),  # a use counter past 2**31 on PostgreSQL
])
def test_what_the_database_refuses_is_a_4xx_too(refusal):
    for view in (passkey_views.CompleteRegistration(), passkey_views.CompleteAuthentication()):
        answer = view.handle_exception(refusal)
        assert answer.status_code == 400
        assert json.loads(answer.content)["detail"]
