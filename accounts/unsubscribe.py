"""One-click unsubscribe (RFC 8058) from the two kinds of email a runner may turn off:
reminders before their runs and messages from organisers.

The link carries a signed token naming the account and the kind, and nothing else is
needed: no sign-in, no cookie. The token never expires, because RFC 8058 asks that the
link in an old email keep working, and the worst a leaked one can do is turn off one kind
of email, which its owner turns back on under My account. Rotating SECRET_KEY (without
keeping the old one in SECRET_KEY_FALLBACKS) breaks every link, and says so on the page.

- POST with the body ``List-Unsubscribe=One-Click``: the mail program's own request (the
  person pressed "Unsubscribe" in it). It is exempt from CSRF checking: it comes from the
  mail provider's server with no cookie and no CSRF token, and it needs no protection,
  because CSRF abuses ambient credentials (a session cookie) and this request uses none:
  the secret token in the URL is all the authority it has.
- GET: the page the email's body links to, with a button; it changes nothing, so a mail
  scanner that opens links unsubscribes nobody. The button is an ordinary
  CSRF-protected form POST.

clubs/unsubscribe.py (unfollowing a club from its "New runs" digest) works the same way
and shares one_click_headers, is_one_click and render_page with this module.
"""

from django.contrib.auth import get_user_model
from django.core import signing
from django.http import HttpResponseNotAllowed
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect

from joinrun.mail import site_url

SALT = "accounts.unsubscribe"
REMINDERS = "reminders"
ORGANISER_MESSAGES = "organiser"
# kind -> the account's switch for it
KINDS = {REMINDERS: "reminder_emails", ORGANISER_MESSAGES: "organiser_emails"}
ONE_CLICK_BODY = ("List-Unsubscribe", "One-Click")


class BrokenLink(Exception):
    """The token was tampered with or cut short, or its account is gone."""


def make_token(user, kind):
    if kind not in KINDS:
        raise ValueError(kind)
    return signing.dumps({"user": user.pk, "kind": kind}, salt=SALT)


def unsubscribe_url(user, kind):
    query = urlencode({"token": make_token(user, kind)})
    return site_url(f"{reverse('accounts:unsubscribe')}?{query}")


def one_click_headers(url):
    """RFC 8058's headers for an email whose unsubscribe link is ``url``."""
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def read_token(token):
    """(user, kind) from a token; raises BrokenLink."""
    try:
        data = signing.loads(token or "", salt=SALT)
        user_id, kind = data["user"], data["kind"]
    except (signing.BadSignature, KeyError, TypeError):
        raise BrokenLink from None
    if kind not in KINDS:
        raise BrokenLink
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise BrokenLink
    return user, kind


def turn_off(user, kind):
    """True when this call turned ``kind`` off; False when it was off already (a second
    click, or the one-click POST and the button both), so nothing changes twice."""
    field = KINDS[kind]
    changed = get_user_model().objects.filter(pk=user.pk, **{field: True}).update(
        **{field: False})
    return changed == 1


def is_one_click(request):
    return request.method == "POST" and request.POST.get(ONE_CLICK_BODY[0]) == ONE_CLICK_BODY[1]


def one_click_view(*, read_token, is_off, turn_off, name, template, broken_template):
    """An RFC 8058 endpoint (this module's docstring says how it works): ``read_token``
    turns the link's token into (user, what) or raises BrokenLink; ``is_off(user, what)``
    and ``turn_off(user, what)`` (True when this call changed something) do the rest.
    ``template`` gets ``what`` under ``name``."""

    def respond(request, user, what, **context):
        context = {name: what, **context}
        return render_page(request, template, context, language=user.language)

    def result(request, user, what):
        return respond(request, user, what, changed=turn_off(user, what), already_off=True)

    @csrf_protect
    def page_with_button(request, user, what):
        if request.method == "POST":
            return result(request, user, what)
        return respond(request, user, what, token=request.GET["token"],
                       already_off=is_off(user, what))

    @csrf_exempt  # only the RFC 8058 POST skips the check: see the module's docstring
    @never_cache  # the page's address holds a secret token: never kept by a cache
    def view(request):
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        try:
            user, what = read_token(request.GET.get("token"))
        except BrokenLink:
            return render_page(request, broken_template, {}, status=400)
        if is_one_click(request):
            return result(request, user, what)
        return page_with_button(request, user, what)

    return view


unsubscribe = one_click_view(
    read_token=read_token, turn_off=turn_off, name="kind",
    is_off=lambda user, kind: not getattr(user, KINDS[kind]),
    template="accounts/unsubscribe.html", broken_template="accounts/unsubscribe_broken.html",
)


def render_page(request, template, context, *, status=200, language=None):
    # In the account's language, as the email was: the person may be signed out, and
    # then the browser's language would be a guess.
    with translation.override(language or translation.get_language()):
        response = render(request, template, context, status=status)
        response["Content-Language"] = translation.get_language()
    # The token is in this page's address: no other site learns it from a link here.
    response["Referrer-Policy"] = "no-referrer"
    return response
