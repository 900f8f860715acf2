"""Strava pages: connect and sign in (OAuth), disconnect, Strava's webhook, and linking a
runner's own activity to a run they joined."""

import json
import logging
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404, HttpResponseForbidden, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import second_factor
from joinrun.client_address import client_key
from joinrun.ratelimit import Limiter
from joinrun.text import one_line
from joinrun.views import next_url, too_many
from runs.models import Participation, Run

from . import client, events, services
from .client import StravaError
from .models import StravaConnection
from .services import LinkRefused

log = logging.getLogger(__name__)

PENDING_KEY = "strava_oauth"  # the state and return page of a connect in progress
# Set when Strava refused a connection for the app's capacity or because it is inactive:
# for a while, runners are told so here instead of being sent to Strava's error page.
CANNOT_CONNECT_KEY = "strava:cannot-connect"
CODE_RETRY_PAUSE = 1.0  # seconds before a refused fresh code is sent once more
EXCHANGES_PER_CLIENT = Limiter("strava-exchanges", limit=10, window=15 * 60)
CANNOT_CONNECT_SECONDS = 60 * 60
CANNOT_CONNECT = gettext_lazy("Join run cannot connect more Strava accounts right now. That is "
                              "on our side, not your account; please try again in a few days. "
                              "Everything else on join run works without Strava.")
ATHLETE_TAKEN = gettext_lazy("This Strava account is already connected to another join run "
                             "account. Sign in with Strava to use that account.")


def _require_strava():
    if not services.enabled():
        raise Http404("Strava is not configured on this site.")


def _connect_url(back_to, *, force=False):
    query = {"next": back_to}
    if force:
        query["force"] = "1"
    return f"{reverse('strava:connect')}?{urlencode(query)}"


def _needs_confirmed_email(request):
    """The refusal for a signed-in account whose address is not confirmed yet, or None.

    Someone could sign up with another person's address and link their own Strava to it;
    accounts without an email (made by "Sign in with Strava") are not refused."""
    user = request.user
    if user.is_authenticated and user.email and not user.email_confirmed:
        return render(request, "strava/needs_confirmed_email.html", status=403)
    return None


@require_GET
@never_cache
def connect(request):
    """Sends the browser to Strava's consent page, with a single-use state."""
    _require_strava()
    refused = _needs_confirmed_email(request)
    if refused:
        return refused
    if _cannot_connect_now(request.user):
        messages.error(request, CANNOT_CONNECT)
        return redirect(next_url(request) or reverse("accounts:profile"))
    state = secrets.token_urlsafe(32)
    request.session[PENDING_KEY] = {"state": state, "next": next_url(request)}
    return redirect(client.authorize_url(
        # Exactly SITE_URL + the path, no query: Strava appends its own parameters.
        redirect_uri=settings.SITE_URL + reverse("strava:callback"),
        state=state,
        force=request.GET.get("force") == "1",
    ))


@never_cache
def callback(request):
    """Strava sends the browser back here with a code (or a refusal)."""
    _require_strava()
    pending = request.session.pop(PENDING_KEY, None)
    state = request.GET.get("state", "")
    if not pending or not state or not constant_time_compare(state, pending["state"]):
        return render(request, "strava/bad_state.html", status=400)
    refused = _needs_confirmed_email(request)
    if refused:  # a connect begun before the account's address changed
        return refused
    default = "runs:mine" if request.user.is_authenticated else "runs:home"
    back_to = pending["next"] or reverse(default)
    if request.GET.get("error"):
        messages.info(request, _("Strava was not connected."))
        return redirect(back_to)
    code = request.GET.get("code", "")[:200]
    scope = request.GET.get("scope", "")[:200]
    if not code:
        return render(request, "strava/bad_state.html", status=400)
    if not services.ACTIVITY_SCOPES & set(scope.split(",")):
        # Nothing is exchanged or kept: without activity:read there is nothing to link.
        return render(request, "strava/needs_activity_scope.html",
                      {"retry_url": _connect_url(back_to, force=True), "back_to": back_to})
    # Each answer costs Strava calls from join run's shared limit (two when a fresh code
    # is refused once): a few refused ones a quarter-hour from one network. Answers Strava
    # accepts are not counted, so people sharing a network keep signing in.
    network = client_key(request)
    full = EXCHANGES_PER_CLIENT.exceeded(network)
    if full:
        return too_many(request, "strava/too_many.html",
                        datetime.fromtimestamp(full.resets_at, tz=UTC))
    try:
        tokens = _exchange(code)
    except StravaError as error:
        EXCHANGES_PER_CLIENT.record(network)
        if error.cause in (StravaError.CAPACITY, StravaError.INACTIVE):
            # The operator has the log line naming the cause (strava/client.py).
            cache.set(CANNOT_CONNECT_KEY, True, CANNOT_CONNECT_SECONDS)
            messages.error(request, CANNOT_CONNECT)
        elif error.code == StravaError.UNAUTHORIZED:
            messages.error(request, _("Strava did not accept this answer (it may have expired). "
                                      "Nothing was connected; try again."))
        else:
            messages.error(request, services.problem_message(error))
        return redirect(back_to)
    if not StravaConnection.objects.filter(athlete_id=tokens["athlete_id"],
                                           refresh_token__isnull=False).exists():
        cache.delete(CANNOT_CONNECT_KEY)  # Strava let a new athlete in: there is room again
    if request.user.is_authenticated:
        return _connect_account(request, tokens, scope, back_to)
    return _sign_in(request, tokens, scope, back_to)


def _cannot_connect_now(user):
    """Whether to tell this runner at once that Strava will not connect more athletes:
    only a signed-in runner who never connected one, when Strava refused a new athlete
    lately or join run has connected as many as the app may. "Sign in with Strava" always
    goes on (Strava's capacity refuses only new athletes, and an account that signs in
    only with Strava must never be locked out by someone else's refusal)."""
    # A connection whose access ended (its tokens gone) is new to Strava again.
    if not user.is_authenticated or services.connection_of(user) is not None:
        return False
    return bool(cache.get(CANNOT_CONNECT_KEY)) or services.at_capacity()


def _exchange(code):
    """Tokens for Strava's code. A fresh code Strava refuses (it has been seen refusing one
    a moment after issuing it, then accepting it) is sent once more after a short pause,
    so the runner does not have to start again; a code Strava has used stays refused."""
    try:
        return client.exchange_code(code)
    except StravaError as error:
        if (error.code != StravaError.UNAUTHORIZED
                or "AuthorizationCode/invalid" not in error.faults):
            raise
    time.sleep(CODE_RETRY_PAUSE)
    return client.exchange_code(code)


def _connect_account(request, tokens, scope, back_to):
    taken = StravaConnection.objects.filter(athlete_id=tokens["athlete_id"]).exclude(
        user=request.user).first()
    if taken:
        # Refused, but the exchange made Strava issue new tokens for the owner's athlete.
        services.keep_newest_tokens(taken, tokens, scope)
        messages.error(request, ATHLETE_TAKEN)
        return redirect(back_to)
    try:
        services.save_connection(request.user, tokens, scope)
    except IntegrityError:  # the same athlete connected elsewhere a moment ago
        messages.error(request, ATHLETE_TAKEN)
        return redirect(back_to)
    messages.success(request, _("Strava is connected."))
    return redirect(back_to)


def _sign_in(request, tokens, scope, back_to):
    """Signs in the account this athlete connected, or creates one for them."""
    connection = StravaConnection.objects.filter(athlete_id=tokens["athlete_id"]).select_related(
        "user").first()
    if connection is not None:
        user = connection.user
        if not user.is_active or user.is_staff:
            # Refused below, but the exchange made Strava issue new tokens.
            services.keep_newest_tokens(connection, tokens, scope)
        if not user.is_active:
            messages.error(request, _("This account is switched off. Write to us if you think "
                                      "that is a mistake."))
            return redirect("accounts:login")
        if user.is_staff:
            # Staff reach the admin; they log in with their password, under its limits.
            messages.error(request, _("Staff accounts log in with their email and password."))
            return redirect("accounts:login")
        services.save_connection(user, tokens, scope)
        welcome = _("Welcome back, %(name)s!")
    else:
        try:
            with transaction.atomic():
                # No email and no password: Strava is how this person signs in, until they
                # add both on their profile. Only the first name is kept from Strava.
                name = _shown_name(tokens["firstname"])
                user = get_user_model().objects.create_user(None, None, display_name=name)
                services.save_connection(user, tokens, scope)
        except IntegrityError:  # a twin callback created this athlete's account first
            messages.error(request, _("Signing in with Strava did not finish. Try again."))
            return redirect("accounts:login")
        welcome = _("Welcome to join run, %(name)s! You can add an email and a password on "
                    "your account page.")
    # login() rotates the session key; the session ends when the browser closes. Strava
    # stands for the password here (the session is checked as the password backend's).
    login(request, user, backend="accounts.backends.PasswordBackend")
    messages.success(request, welcome % {"name": user.display_name})
    # With two-step sign-in on, Strava stands for the password: the code comes next.
    return second_factor.after_password(request, user, back_to) or redirect(back_to)


@require_POST
@login_required
def disconnect(request):
    _require_strava()
    connection = services.connection_of(request.user)
    if connection is None:
        messages.info(request, _("Strava is not connected."))
        return redirect("accounts:profile")
    if services.signs_in_only_with_strava(request.user):
        # Strava is how this account signs in: without it, nobody could get back in.
        return render(request, "strava/disconnect_refused.html", status=409)
    services.disconnect(connection)
    messages.success(request, _("Strava is disconnected. We deleted your Strava connection "
                                "and every activity you had linked."))
    return redirect(next_url(request) or reverse("accounts:profile"))


# Strava's webhook

@csrf_exempt  # Strava posts here; it has no CSRF token, and the events change only our copy
@require_http_methods(["GET", "POST"])
def webhook(request):
    if request.method == "GET":
        return _confirm_subscription(request)
    try:
        event = json.loads(request.body)  # RecursionError: "[[[[…" nested deeply
        object_type, aspect_type = event["object_type"], event["aspect_type"]
        object_id, owner_id = event["object_id"], event["owner_id"]
        updates = event.get("updates") or {}
        # Epoch seconds: part of how a resend is recognised (and of a cache key).
        event_time = event["event_time"]
        if not (isinstance(object_type, str) and isinstance(aspect_type, str)
                and client.is_strava_id(object_id) and client.is_strava_id(owner_id)
                and client.is_strava_id(event_time) and isinstance(updates, dict)):
            raise ValueError("fields")
    except (ValueError, KeyError, TypeError, RecursionError):
        return JsonResponse({"error": "not a Strava event"}, status=400)
    # Acknowledged at once, whatever it is (Strava wants an answer within 2 seconds and
    # retries otherwise); a check with Strava is queued when it may concern a runner here.
    events.received({"object_type": object_type, "aspect_type": aspect_type,
                     "object_id": object_id, "owner_id": owner_id, "updates": updates,
                     "event_time": event_time})
    return JsonResponse({"ok": True})


def _confirm_subscription(request):
    expected = settings.STRAVA_WEBHOOK_VERIFY_TOKEN
    given = request.GET.get("hub.verify_token", "")
    challenge = request.GET.get("hub.challenge", "")
    if (not expected or request.GET.get("hub.mode") != "subscribe"
            or not constant_time_compare(given, expected) or not challenge):
        return HttpResponseForbidden("not a valid subscription check\n",
                                     content_type="text/plain")
    return JsonResponse({"hub.challenge": challenge})


# Linking an activity to a run

def _participation_for_linking(request, run_id):
    """The run and the viewer's place on it: only a runner of the run links to it."""
    _require_strava()
    run = get_object_or_404(Run, pk=run_id)
    participation = Participation.objects.filter(run=run, runner=request.user).select_related(
        "run", "activity_link").first()
    if participation is None:
        raise PermissionDenied
    return run, participation


@require_http_methods(["GET", "POST"])
@login_required
@never_cache
def choose_activity(request, run_id):
    """Lists the runner's activities around the run's start; POST links the chosen one."""
    run, participation = _participation_for_linking(request, run_id)
    connection = services.connection_of(request.user)
    if connection is None:
        return redirect(_connect_url(reverse("strava:choose", args=[run.pk])))
    context = {"run": run, "participation": participation, "activities": [], "problem": None,
               "window_open": services.link_window_open(run), "connected": True}
    status = 200
    if not context["window_open"]:
        context["problem"] = services.link_window_message()
        status = 409 if request.method == "POST" else 200
        return render(request, "strava/choose_activity.html", context, status=status)
    if request.method == "POST":
        try:
            activity_id = int(request.POST.get("activity", "")[:20])
            if not client.is_strava_id(activity_id):
                raise ValueError
        except ValueError:
            context["problem"] = _("Choose one of your activities.")
            status = 400
        else:
            try:
                services.link(participation, connection, activity_id)
            except LinkRefused as refused:
                context["problem"], status = str(refused), 400
            except StravaError as error:
                context["problem"] = services.problem_message(error)
            else:
                messages.success(request, _("Your Strava activity is linked. Only you see it."))
                return redirect(run)
    try:
        context["activities"] = services.activities_around(connection, run)
    except StravaError as error:
        context["problem"] = context["problem"] or services.problem_message(error)
        context["connected"] = connection.is_connected  # forgotten if Strava refused it
    return render(request, "strava/choose_activity.html", context, status=status)


@require_POST
@login_required
def unlink(request, run_id):
    run, participation = _participation_for_linking(request, run_id)
    services.unlink(participation)
    messages.success(request, _("The Strava activity is unlinked from this run."))
    return redirect(run)


def _shown_name(firstname):
    """The display name from Strava's first name, under the site's rule for names (no
    invisible or direction-changing characters); "Runner" when it breaks it."""
    name = (firstname or "").strip()[:50]
    try:
        one_line(name)
    except ValidationError:
        name = ""
    return name or _("Runner")
