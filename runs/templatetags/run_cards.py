"""Run cards: ``{% run_card run %}`` renders one card of a run list.

A card has two parts. ``runs/includes/run_card.html`` is what every viewer sees of the run
(date, title, place, chips, how full it is): it is rendered from the run alone, never
from the viewer, and puts ``{{ mine }}`` where the viewer's own part goes.
``runs/includes/run_card_mine.html`` is that part ("You're going"), from the marks
``runs.views._mark_my_status`` set on the run (absent for a visitor).

The run list's whole body is kept once for every reader of a language at an address
(``kept_body``), with a marker for each card's viewer part that says what the part is made
from; each reader's page fills the markers in from their own marks (one query) with parts
kept per set of marks. Its cards come from the kept cards below.

Rendering twenty cards was most of a signed-in runner's run list, and the public part is
the same for everyone who reads it in one language. So each worker keeps a card, rendered
with a marker where ``{{ mine }}`` goes, and fills in the viewer's part, itself kept per
set of marks. A kept card is used only while everything it was made from is the same:

- every value this request loaded on the run (its fields, its counts, the marks) and on
  the rows loaded with it (the club): a card is never older than the data of the page it
  is on, even after a ``QuerySet.update()`` that announced nothing;
- whether the run has started and has ended, now, and the current minute (a card could
  say "today");
- the language, the time zone and the two templates;
- the page cache's version (``joinrun.page_cache``), which every change a visitor could
  see moves: for anything a card might show that is not on those rows.

Each viewer's part is kept only after the card made from the kept one matched the card
rendered in full; a card whose template does more with ``{{ mine }}`` than print it (a
``{% if mine %}``, a filter) fails that check and is then always rendered in full.
"""

import copy
import re
import secrets
from types import SimpleNamespace

from django import template
from django.template.loader import get_template, render_to_string
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from joinrun import page_cache
from runs import card_marks

register = template.Library()

CARD = "runs/includes/run_card.html"
MINE = "runs/includes/run_card_mine.html"
# Cards kept in this worker (a few hundred bytes each): a shared cache would cost about
# what rendering them does.
KEPT_CARDS = 3000
# What the viewer's part is made from (runs.views._mark_my_status, My runs' Strava link).
VIEWER_MARKS = ("my_status", "my_attended", "managing", "my_activity_id")
# A run the viewer has no part in: what runs.card_marks gives a visitor.
NO_MARKS = (None, False, False, None)
# Where the viewer's part goes in a kept card; random, so no text on a card can match it.
SECRET = secrets.token_hex(8)
MARKER = mark_safe(f"<!--mine-{SECRET}-->")  # noqa: S308 (our own comment)
# In a kept body: the run, whether it has started, its club and its organiser (_marked).
BODY_MARKER = re.compile(rf"<!--mine-{SECRET}:(\d+):([01]):(\d*):(\d*)-->")
MARKING = object()  # card_marks for a kept body: markers, no viewer's part
RENDER_EACH_TIME = "render each time"


cards = page_cache.WorkerMemory(KEPT_CARDS)


@register.simple_tag(takes_context=True)
def run_card(context, run):
    """The card of ``run``, with the viewer's part from the run's own marks; in a body
    kept for every reader (``kept_body``), with a marker in its place instead."""
    if context.get("card_marks") is MARKING:
        return _marked(run, context.get("request"), context["card_changes"])
    viewer = tuple(getattr(run, name, None) for name in VIEWER_MARKS)
    public = _public_key(run, context.get("request"))
    kept = cards.get(public)
    if kept is not None and kept != RENDER_EACH_TIME and viewer in kept[1]:
        parts, mines = kept
        return mark_safe(mines[viewer].join(parts))  # noqa: S308 (our own templates' output)
    if kept == RENDER_EACH_TIME:
        return _render(run, _mine(run))
    # Each viewer's part is kept only once the kept card with it is the card in full.
    mine = _mine(run)
    card = _render(run, mine)
    parts, mines = kept if kept is not None else (_render(run, MARKER).split(MARKER), {})
    if mine.join(parts) != card:
        cards.set(public, RENDER_EACH_TIME)
        return card
    cards.set(public, (tuple(parts), {**mines, viewer: mine}))
    return card


# A body kept for every reader: the run list's (templates/runs/includes/run_list_body.html)


class NotKeepable(Exception):
    """A card whose template does more with the viewer's part than print it."""


# Kept instead of a body that cannot be kept, so it is not tried again for every reader.
NOT_KEEPABLE = ("not keepable",)


def kept_body(request, template_name, context_for, runs_of):
    """``template_name`` rendered with ``context_for()``, kept in this worker for the
    address, the language, the time zone and the kind of reader (joinrun.page_cache.kept:
    until the version moves or the minute ends), with a marker where each card's viewer
    part goes; returned with ``request.user``'s parts filled in. What a signed-in
    reader's run list costs is then one look-up, their marks (one query) and the base
    page. ``runs_of(context)``: the runs whose cards the body shows, to render it in full
    when a card cannot be kept."""
    name = ":".join(["body", template_name, translation.get_language(),
                     timezone.get_current_timezone_name(),
                     str(request.user.is_authenticated)])

    def render():
        """(the body with markers, when it stops being true: the next start or end of a
        run on it), or None when a card cannot be kept."""
        changes = []
        # No CSRF token: this reader's would be served to every other (a POST form in the
        # body would show it missing at once, in its own tests).
        context = {**context_for(), "card_marks": MARKING, "card_changes": changes,
                   "csrf_token": None}
        try:
            body = render_to_string(template_name, context, request)
        except NotKeepable:
            return NOT_KEEPABLE
        return body, min(changes, default=None)

    def still_good(kept):
        return kept is NOT_KEEPABLE or kept[1] is None or timezone.now() < kept[1]

    kept = page_cache.kept(request, name, render, still_good)
    if kept is NOT_KEEPABLE:
        context = context_for()
        card_marks.mark(request.user, runs_of(context))
        return mark_safe(render_to_string(template_name, context, request))  # noqa: S308
    return _filled(kept[0], request.user)


def _marked(run, request, changes):
    """The run's card with a marker for the viewer's part that says what the part is made
    from: the run, whether it has started, its club and its organiser. Adds to ``changes``
    when the card will next say something else (the run starts or ends)."""
    now = timezone.now()
    changes.extend(moment for moment in (run.starts_at, run.estimated_end()) if moment > now)
    public = _public_key(run, request)
    if cards.get(public) is None:
        run = copy.copy(run)
        for name, value in zip(VIEWER_MARKS, NO_MARKS, strict=True):
            setattr(run, name, value)
        run_card({"request": request}, run)  # renders the card and keeps it
    kept = cards.get(public)
    if kept is None or kept == RENDER_EACH_TIME:
        raise NotKeepable(run.pk)
    marker = (f"<!--mine-{SECRET}:{run.pk}:{int(run.has_started(now))}:"
              f"{run.club_id or ''}:{run.organiser_id or ''}-->")
    return mark_safe(marker.join(kept[0]))  # noqa: S308 (our own templates' output)


def _filled(body, user):
    found = BODY_MARKER.findall(body)
    runs = [SimpleNamespace(pk=int(pk), club_id=int(club) if club else None,
                            organiser_id=int(organiser) if organiser else None)
            for pk, _started, club, organiser in found]
    marks = card_marks.marks_for(user, runs)
    language, template = translation.get_language(), get_template(MINE).template
    parts = {}

    def part(found):
        kind = (found[2] == "1", marks[int(found[1])])
        if kind not in parts:
            parts[kind] = _mine_of(language, template, *kind)
        return parts[kind]

    return mark_safe(BODY_MARKER.sub(part, body))  # noqa: S308 (our own templates' output)


def _mine_of(language, template, started, viewer):
    """The viewer's part of a card for these marks, kept per language and template (the
    part says only this: runs/includes/run_card_mine.html reads nothing else)."""
    key = ("mine", language, template, started, viewer)
    mine = cards.get(key)
    if mine is None:
        marks = dict(zip(VIEWER_MARKS, viewer, strict=True))
        mine = _mine(SimpleNamespace(has_started=started, my_position=None, **marks))
        cards.set(key, mine)
    return mine


def _render(run, mine):
    card = get_template(CARD).render({"run": run, "mine": mine})
    return mark_safe(card)  # noqa: S308 (our own template's output)


def _mine(run):
    mine = get_template(MINE).render({"run": run}).strip()
    return mark_safe(mine)  # noqa: S308 (our own template's output)


def _public_key(run, request):
    """The key of the run's card: the values themselves, not a digest of them, so two
    cards never share one."""
    now = timezone.now()
    loaded = _loaded(run)
    public = (run.pk, _rendering(request), run.has_started(now), run.has_ended(now), *loaded)
    try:
        hash(public)
    except TypeError:  # a value that cannot be a key (a list from a JSON field)
        public = repr(public)
    return public


def _loaded(run):
    """Every value loaded on the run but the viewer's marks, and on the rows loaded with
    it (its club). Not the private attributes (_state, _prefetched_objects_cache):
    prefetched rows change only with a save, which moves the version."""
    loaded = [value for name, value in run.__dict__.items()
              if name[0] != "_" and name not in VIEWER_MARKS]
    for relation, row in run._state.fields_cache.items():
        loaded.append(relation)
        if row is not None:
            loaded += [value for name, value in row.__dict__.items() if name[0] != "_"]
    return tuple(loaded)


def _rendering(request):
    """What every card of a page is rendered with: the version, the minute, the language,
    the time zone and the templates themselves (a new one after an edit in development);
    worked out once per page and language."""
    language = translation.get_language()
    rendering = getattr(request, "_card_rendering", None)
    if rendering is None or rendering[2] != language:
        rendering = (page_cache.version(request), page_cache.minute(), language,
                     timezone.get_current_timezone_name(),
                     get_template(CARD).template, get_template(MINE).template)
        if request is not None:
            request._card_rendering = rendering
    return rendering
