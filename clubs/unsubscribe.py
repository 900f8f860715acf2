"""One-click unfollow from 'New runs from <club>' (RFC 8058). Being written."""

from django.http import Http404


def unsubscribe(request):
    raise Http404
