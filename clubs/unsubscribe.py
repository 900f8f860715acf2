"""One-click unfollow from "New runs from <club>" (RFC 8058).

The same shape as accounts/unsubscribe.py, whose docstring says why: a signed token in
the link names the account and the club and is all the authority needed (no sign-in, no
cookie); it never expires, since an old email's link must keep working, and the worst a
leaked one can do is unfollow one club, which its owner follows again on the club's page.

- POST with the body ``List-Unsubscribe=One-Click`` (the mail program's own request) is
  exempt from CSRF checking and unfollows.
- GET shows a page with a button and changes nothing, so a mail scanner that opens links
  unfollows nobody; the button is an ordinary CSRF-protected POST.
"""

from django.contrib.auth import get_user_model
from django.core import signing
from django.urls import reverse
from django.utils.http import urlencode

from accounts.unsubscribe import BrokenLink, one_click_view
from joinrun.mail import site_url

from . import services
from .models import Club, Follow

# Its own salt: an accounts unsubscribe token is never a club one, nor the other way.
SALT = "clubs.unsubscribe"


def make_token(user, club):
    return signing.dumps({"user": user.pk, "club": club.pk}, salt=SALT)


def unsubscribe_url(user, club):
    query = urlencode({"token": make_token(user, club)})
    return site_url(f"{reverse('clubs:unsubscribe')}?{query}")


def read_token(token):
    """(user, club) from a token; raises BrokenLink."""
    try:
        data = signing.loads(token or "", salt=SALT)
        user_id, club_id = data["user"], data["club"]
    except (signing.BadSignature, KeyError, TypeError):
        raise BrokenLink from None
    user = get_user_model().objects.filter(pk=user_id).first()
    club = Club.objects.filter(pk=club_id).first()
    if user is None or club is None:
        raise BrokenLink
    return user, club


unsubscribe = one_click_view(
    read_token=read_token, name="club",
    is_off=lambda user, club: not Follow.objects.filter(club=club, user=user).exists(),
    # A second click (or the one-click POST and the button both) unfollows nothing twice.
    turn_off=lambda user, club: services.unfollow(club, user),
    template="clubs/unsubscribe.html", broken_template="clubs/unsubscribe_broken.html",
)
