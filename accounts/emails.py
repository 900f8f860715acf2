"""Every email accounts sends: one function each, one template pair each."""

import copy

from django.urls import reverse

from joinrun import mail

from .tokens import CONFIRM_MAX_AGE, make_confirm_token


def confirm_link(user, email=None):
    """The emailed link to the confirmation page; the token in the query string, which
    the access log leaves out."""
    token = make_confirm_token(user, email)
    return mail.site_url(f"{reverse('accounts:confirm_email')}?token={token}")


def send_confirmation(user, email=None):
    """The link confirming ``email`` (a new address for the account) or the account's own.

    To the account, so it is in the person's language and leaves with the account if it
    is erased first; a new address goes on a copy of it, since the account keeps its old
    address until the link is opened."""
    recipient = user
    if email and email != user.email:
        recipient = copy.copy(user)
        recipient.email = email
    mail.send("confirm_email", [recipient], {
        "name": user.display_name,
        "link": confirm_link(user, email),
        "days": CONFIRM_MAX_AGE.days,
        "new_address": recipient is not user,
    })


def send_address_in_use(user):
    """To the owner of an address someone tried to use for another account (signing up,
    or as a new address): the page tells the person trying nothing, this tells the owner."""
    mail.send("address_in_use", [user], {
        "name": user.display_name,
        "has_password": user.has_usable_password(),
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
        "login_url": mail.site_url(reverse("accounts:login")),
    })


def send_password_reset(user, link, *, disconnects_strava=False):
    mail.send("password_reset", [user], {"name": user.display_name, "link": link,
                                         "disconnects_strava": disconnects_strava})


def send_goodbye(email, name, language):
    # The account is gone: to the bare address, in the language it had.
    mail.send("goodbye", [email], {"name": name}, language=language)


def send_email_changed(old_email, user):
    """To the old address, when a change to another one is asked for: its owner can stop
    it (a password reset outdates the link) before the new address confirms it."""
    mail.send("email_changed", [old_email], {
        "name": user.display_name,
        "days": CONFIRM_MAX_AGE.days,
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
    }, language=user.language)


def send_passkey_added(user, passkey):
    """To the owner, when a passkey is added: a passkey signs in without the password, so
    someone who had the password must not be able to add one unnoticed."""
    mail.send("passkey_added", [user], {
        "name": user.display_name,
        "passkey": passkey.name,
        "account_url": mail.site_url(reverse("accounts:profile") + "#passkeys"),
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
    })


def send_mailbox_code(user, code, minutes):
    """The code a member of staff types before setting up their first second factor
    (accounts/mailbox_proof.py)."""
    mail.send("mailbox_code", [user], {
        "name": user.display_name,
        "code": code,
        "minutes": minutes,
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
    })


def send_passkey_removed(user, name):
    """To the owner, when a passkey is removed on My account: someone signed in as them
    could remove the owner's own way in, and the owner should hear of it."""
    mail.send("passkey_removed", [user], {
        "name": user.display_name,
        "passkey": name,
        "account_url": mail.site_url(reverse("accounts:profile") + "#passkeys"),
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
    })


def send_second_factor_off(user, *, reset=False):
    """To the owner, when two-step sign-in was turned off on My account, or (``reset``) a
    superuser removed their factors: a password alone opens the account again."""
    mail.send("second_factor_off", [user], {
        "name": user.display_name,
        "reset": reset,
        "account_url": mail.site_url(reverse("accounts:profile") + "#two-factor"),
        "reset_url": mail.site_url(reverse("accounts:password_reset")),
    })
