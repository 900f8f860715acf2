"""Signing out other browsers from "Where you're signed in" on My account."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from . import sessions
from .models import Session

SIGNED_OUT_ONE = gettext_lazy("That browser is signed out.")
SIGNED_OUT_OTHERS = gettext_lazy("Every other browser is signed out. This one stays signed in.")


def _back_to_the_list():
    return HttpResponseRedirect(reverse("accounts:profile") + "#sessions")


@require_POST
@login_required
def sign_out_session(request):
    """Ends one of the person's other sessions. Only their own live sessions are
    searched, so another person's id (or a made-up one, or one already ended) is a 404.
    This browser signs out with "Log out" instead."""
    session = sessions.find_own(request.user, request.POST.get("session", "")[:64])
    if session is None or session.session_key == request.session.session_key:
        raise Http404
    session.delete()
    messages.success(request, SIGNED_OUT_ONE)
    return _back_to_the_list()


@require_POST
@login_required
def sign_out_others(request):
    """Ends every session of the person but this one, as a password change does."""
    Session.objects.filter(user=request.user).exclude(
        session_key=request.session.session_key).delete()
    messages.success(request, SIGNED_OUT_OTHERS)
    return _back_to_the_list()
