"""Attendance: check-in, "I was there", the list as CSV (being written)."""

from django.http import Http404


def check_in(request, run_id):
    raise Http404


def mark(request, run_id, participation_id):
    raise Http404


def i_was_there(request, run_id):
    raise Http404


def runners_csv(request, run_id):
    raise Http404
