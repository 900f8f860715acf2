from django.conf import settings
from django.utils import translation

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
