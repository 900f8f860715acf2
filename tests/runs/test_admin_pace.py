"""Staff read and type a run's pace in the admin as runners do: 5:30 /km, not seconds."""

import html

import pytest

from runs.models import Run
from tests.runs.conftest import make_run

RUNS = "/admin/runs/run/"


@pytest.fixture
def staff_client(client, db):
    from accounts.models import User
    from tests.conftest import PASSWORD

    client.force_login(User.objects.create_superuser("staff@example.com", PASSWORD))
    return client


def test_the_list_shows_pace_in_minutes_per_km(staff_client, organiser):
    make_run(organiser, title="Band", pace_min=330, pace_max=360)
    make_run(organiser, title="One pace", pace_min=300, pace_max=300)
    make_run(organiser, title="Open", pace_min=None, pace_max=None)
    page = html.unescape(staff_client.get(RUNS).content.decode())
    assert '<td class="field-pace">5:30–6:00 /km</td>' in page
    assert '<td class="field-pace">5:00 /km</td>' in page
    assert '<td class="field-pace">any</td>' in page
    assert ">330<" not in page and ">360<" not in page


def test_the_run_page_shows_and_takes_pace_as_minutes_seconds(staff_client, organiser):
    run = make_run(organiser, pace_min=330, pace_max=360)
    page = staff_client.get(f"{RUNS}{run.pk}/change/").content.decode()
    assert 'name="pace_min" value="5:30"' in page
    assert 'name="pace_max" value="6:00"' in page
    assert "min/km" in page
    assert 'value="330"' not in page


def test_a_pace_in_seconds_or_out_of_range_is_refused_with_a_message(staff_client, organiser):
    run = make_run(organiser, pace_min=330, pace_max=360)
    form = staff_client.get(f"{RUNS}{run.pk}/change/").context["adminform"].form
    data = {name: field.value() if field.value() is not None else ""
            for name, field in ((n, form[n]) for n in form.fields)}
    data.update({"pace_min": "330", "pace_max": "0:30",
                 "participations-TOTAL_FORMS": "0", "participations-INITIAL_FORMS": "0"})
    response = staff_client.post(f"{RUNS}{run.pk}/change/", data)
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "Write a pace as minutes:seconds per km, like 5:30." in page
    assert "A pace must be between 2:00 and 15:00 per km." in page
    run.refresh_from_db()
    assert (run.pace_min, run.pace_max) == (330, 360)


def test_a_pace_typed_as_minutes_seconds_is_saved_in_seconds(staff_client, organiser):
    run = make_run(organiser, pace_min=330, pace_max=360)
    form = staff_client.get(f"{RUNS}{run.pk}/change/").context["adminform"].form
    data = {name: field.value() if field.value() is not None else ""
            for name, field in ((n, form[n]) for n in form.fields)}
    data.update({"pace_min": "5:45", "pace_max": "6:15",
                 "participations-TOTAL_FORMS": "0", "participations-INITIAL_FORMS": "0"})
    response = staff_client.post(f"{RUNS}{run.pk}/change/", data)
    assert response.status_code == 302
    assert Run.objects.values_list("pace_min", "pace_max").get(pk=run.pk) == (345, 375)
