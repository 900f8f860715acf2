"""Calendar feeds (being written)."""

from django.http import Http404


def club_calendar(request, slug):
    raise Http404


def my_calendar(request):
    raise Http404


def new_link(request):
    raise Http404
