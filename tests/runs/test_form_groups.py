"""templates/includes/form_groups.html: a form shown in the sections its ``groups`` names."""

import re

from django import forms
from django.template.loader import render_to_string

from runs.forms import NewRunForm, RunForm
from tests.runs.conftest import make_run


class Example(forms.Form):
    name = forms.CharField(label="Name")
    place = forms.CharField(label="Place")
    latitude = forms.DecimalField(label="Latitude", required=False)
    note = forms.CharField(label="Note", required=False)
    token = forms.CharField(widget=forms.HiddenInput, initial="abc")

    groups = [
        ("Who", ["name", "nickname"]),
        ("Where", ["place", ("More", ["latitude"])]),
    ]


def rendered(form, **context):
    return render_to_string("includes/form_groups.html", {"form": form, **context})


def legends(html):
    return re.findall(r"<legend[^>]*>([^<]+)</legend>", html)


def test_fields_come_under_their_headings_and_the_rest_last():
    html = rendered(Example())
    assert legends(html) == ["Who", "Where"]
    order = [html.index(f'for="id_{name}"') for name in ("name", "place", "latitude", "note")]
    assert order == sorted(order)
    assert html.index("</fieldset>", html.index("id_latitude")) < html.index('for="id_note"')
    # A name the form lacks is skipped; the hidden field is there, unlabelled.
    assert "nickname" not in html
    assert '<input type="hidden" name="token" value="abc"' in html
    assert 'for="id_token"' not in html


def test_a_fold_opens_when_it_holds_a_value_or_an_error():
    assert "<details" in rendered(Example()) and " open>" not in rendered(Example())
    with_value = Example(initial={"latitude": "46.05"})
    assert '<details class="form-more" open>' in rendered(with_value)
    with_error = Example(data={"name": "A", "place": "B", "latitude": "north", "token": "x"})
    assert not with_error.is_valid()
    assert '<details class="form-more" open>' in rendered(with_error)


def test_a_page_can_render_a_field_itself(organiser):
    run = make_run(organiser)
    form = RunForm(instance=run)
    html = rendered(form, skip="capacity,description")
    assert 'name="capacity"' not in html and 'name="description"' not in html
    assert 'name="title"' in html


def test_the_new_run_form_reads_as_when_where_how_far_how_many(organiser):
    html = rendered(NewRunForm(user=organiser))
    assert legends(html) == ["The run", "When", "Where", "How far and how fast", "How many"]
    # Someone who organises no club is not asked for one.
    assert 'name="club"' not in html
