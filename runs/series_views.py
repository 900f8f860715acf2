"""A weekly series' page and its actions (being written for the series issue)."""

from django.http import Http404


def series_detail(request, series_id):
    raise Http404


def join_all(request, series_id):
    raise Http404


def leave_all(request, series_id):
    raise Http404


def add_weeks(request, series_id):
    raise Http404
