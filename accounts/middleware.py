from django.conf import settings
from django.contrib import auth
from django.contrib.auth import middleware
from django.utils import translation
from django.utils.functional import SimpleLazyObject

from .backends import PRELOADED

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


class AccountLanguageMiddleware:
    """Pages for a signed-in person are in their account's language; visitors keep the
    one LocaleMiddleware picked from Accept-Language (no language cookie either way).

    After AuthenticationMiddleware. A request without a session cookie never loads a
    user, so the public page cache (cookie-less requests only) is not affected."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.language in LANGUAGE_CODES:
            translation.activate(user.language)
            request.LANGUAGE_CODE = user.language
        return self.get_response(request)


class AuthenticationMiddleware(middleware.AuthenticationMiddleware):
    """Django's, but ``request.user`` is the account row the session's query loaded with
    it (accounts/sessions.py, accounts/backends.py): a signed-in page costs one query
    fewer. Django's ``auth.get_user`` still does every check."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _signed_in(request))


def _signed_in(request):
    if not hasattr(request, "_cached_user"):
        loaded = getattr(request.session, "loaded_user", None)
        token = PRELOADED.set(loaded)
        try:
            request._cached_user = auth.get_user(request)
        finally:
            PRELOADED.reset(token)
    return request._cached_user
