"""Audit finding 3: a Referer that urlsplit refuses (``http://[::1``) made every page a 500
in the access log, after the view had already done its work. Logging must never turn a
response into an error."""

import logging

import pytest

from privacy.middleware import referrer_origin
from runs.models import Participation
from tests.runs.conftest import make_run

BROKEN_REFERRERS = ["http://[::1", "https://[", "http://]x[/"]


@pytest.mark.parametrize("referrer", BROKEN_REFERRERS)
def test_a_referrer_that_cannot_be_parsed_has_no_origin(referrer):
    assert referrer_origin(referrer) == "-"


@pytest.mark.parametrize("referrer", BROKEN_REFERRERS)
def test_a_page_with_a_broken_referrer_answers_and_is_logged(client, db, caplog, referrer):
    caplog.set_level(logging.INFO, logger="joinrun.access")
    response = client.get("/privacy/", HTTP_REFERER=referrer)
    assert response.status_code == 200
    (line,) = [r.getMessage() for r in caplog.records if r.name == "joinrun.access"]
    assert line.endswith(" -")


def test_a_join_with_a_broken_referrer_is_stored_and_answered(runner_client, runner, organiser):
    run = make_run(organiser)
    response = runner_client.post(f"/runs/{run.pk}/join/", HTTP_REFERER="http://[::1")
    assert response.status_code < 400
    assert Participation.objects.filter(run=run, runner=runner).exists()


def test_a_log_line_that_fails_to_build_still_lets_the_response_through(
        client, db, caplog, monkeypatch):
    def broken(_referrer):
        raise RuntimeError("a bug in the log line")

    monkeypatch.setattr("privacy.middleware.referrer_origin", broken)
    response = client.get("/privacy/")
    assert response.status_code == 200
    failures = [r.getMessage() for r in caplog.records if r.name == "joinrun.access"]
    assert failures and "RuntimeError" in failures[-1]
