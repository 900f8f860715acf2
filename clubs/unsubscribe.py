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
from django.http import HttpResponseNotAllowed
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from accounts.unsubscribe import BrokenLink, is_one_click, render_page
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


@csrf_exempt  # only the RFC 8058 POST skips the check: see accounts/unsubscribe.py
@never_cache  # the page's address holds a secret token: never kept by a cache
def unsubscribe(request):
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    try:
        user, club = read_token(request.GET.get("token"))
    except BrokenLink:
        return render_page(request, "clubs/unsubscribe_broken.html", {}, status=400)
    if is_one_click(request):
        return _result(request, user, club)
    return _page_with_button(request, user, club)


@csrf_protect
def _page_with_button(request, user, club):
    if request.method == "POST":
        return _result(request, user, club)
    following = Follow.objects.filter(club=club, user=user).exists()
    context = {"club": club, "token": request.GET["token"], "already_off": not following}
    return render_page(request, "clubs/unsubscribe.html", context, language=user.language)


def _result(request, user, club):
    # A second click (or the one-click POST and the button both) unfollows nothing twice.
    context = {"club": club, "changed": services.unfollow(club, user), "already_off": True}
    return render_page(request, "clubs/unsubscribe.html", context, language=user.language)
