"""The physical limit for any page of join run: a one-file Django app whose one view returns
"ok", with no middleware, no templates, no database and no apps.

tests/benchmarks/site_speed.py serves it with the site's own gunicorn settings
(joinrun/gunicorn.conf.py, the same worker count) and loads it the same way as the site's
pages, so each page's rate divided by this one says what our code costs on top of Django,
gunicorn and the load generator themselves:

    gunicorn --config joinrun/gunicorn.conf.py tests.benchmarks.trivial_app:application
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="trivial-app-serves-nothing-secret",  # noqa: S106 (nothing is signed)
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_I18N=False,
    LOGGING_CONFIG=None,
)

from django.core.wsgi import get_wsgi_application  # noqa: E402 (after settings)
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def ok(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("", ok)]

application = get_wsgi_application()
