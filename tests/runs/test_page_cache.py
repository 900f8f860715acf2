"""Signed-out visitors get public pages from the page cache, and never a stale one."""

import time
from datetime import timedelta

from django.utils import timezone

from joinrun import page_cache
from runs.models import Run
from tests.runs.conftest import make_run, make_runners


def test_a_signed_out_visitor_gets_a_stored_page_without_queries(
    client, run, django_assert_num_queries
):
    first = client.get("/runs/")
    with django_assert_num_queries(0):
        again = client.get("/runs/")
    assert again.content == first.content
    assert again.status_code == 200
    assert not again.cookies


def test_joins_show_at_once(client, run):
    assert "2 spots left" in client.get("/runs/").content.decode()
    (ana,) = make_runners(1)
    run.join(ana)
    assert "1 spot left" in client.get("/runs/").content.decode()
    assert "1 runner is going." in client.get(f"/runs/{run.pk}/").content.decode()


def test_promotions_and_cancellations_show_at_once(client, run):
    people = make_runners(3)
    for person in people:
        run.join(person)
    assert "Full, 1 waiting" in client.get("/runs/").content.decode()
    run.leave(people[0])  # promotes the waiting runner with QuerySet.update()
    assert "Full" in client.get("/runs/").content.decode()
    assert "waiting" not in client.get("/runs/").content.decode()
    run.cancel(reason="Ice")
    assert "This run is cancelled." in client.get(f"/runs/{run.pk}/").content.decode()


def test_an_organisers_new_name_shows_at_once(client, run, organiser):
    assert "Bojan" in client.get(f"/runs/{run.pk}/").content.decode()
    organiser.display_name = "Bojan the Brave"
    organiser.save(update_fields=["display_name"])
    assert "Bojan the Brave" in client.get(f"/runs/{run.pk}/").content.decode()


def test_each_language_and_address_is_stored_apart(client, run):
    english = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    slovenian = client.get("/runs/", HTTP_ACCEPT_LANGUAGE="sl").content.decode()
    assert '<html lang="en">' in english and '<html lang="sl">' in slovenian
    assert "Tuesday" not in client.get("/runs/?min_km=20").content.decode()


def test_signed_in_people_always_get_their_own_page(client, run, runner):
    client.get(f"/runs/{run.pk}/")
    client.force_login(runner)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "csrfmiddlewaretoken" in page
    run.join(runner)
    assert "You're going" in client.get(f"/runs/{run.pk}/").content.decode()


def test_a_run_that_has_started_stops_looking_open_within_a_minute(client, organiser,
                                                                     monkeypatch):
    run = make_run(organiser)
    assert "Join run" in client.get(f"/runs/{run.pk}/").content.decode()
    # The start moves without save(), so no change is announced: only the clock helps.
    Run.objects.filter(pk=run.pk).update(starts_at=timezone.now() - timedelta(minutes=1))
    assert "Join run" in client.get(f"/runs/{run.pk}/").content.decode()
    later = time.time() + 60
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    page = client.get(f"/runs/{run.pk}/").content.decode()
    assert "This run has started." in page
    assert "Join run" not in page


def test_a_visitor_with_any_cookie_gets_a_page_of_their_own(client, run,
                                                           ):
    client.get("/runs/")
    client.cookies["sessionid"] = "left-over-from-a-deactivated-account"
    response = client.get("/runs/")
    assert response.status_code == 200
    # Rendered (a stored page renders no template), not taken from the page cache.
    assert "runs/run_list.html" in [template.name for template in response.templates]


def test_made_up_parameters_are_not_stored(client, run, django_assert_num_queries):
    client.get("/runs/?utm=x")
    with django_assert_num_queries(2):
        client.get("/runs/?utm=x")
