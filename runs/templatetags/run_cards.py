"""Run cards: ``{% run_card run %}`` renders one card of a run list.

A card has two parts. ``runs/includes/run_card.html`` is what every viewer sees of the run
(date, title, place, chips, how full it is): it is rendered from the run alone, never
from the viewer, and puts ``{{ mine }}`` where the viewer's own part goes.
``runs/includes/run_card_mine.html`` is that part ("You're going"), from the marks
``runs.views._mark_my_status`` set on the run (absent for a visitor), or on the run list,
whose rows every reader shares, from the page's ``card_marks`` (runs/card_marks.py).

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
import secrets

from django import template
from django.template.loader import get_template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from joinrun import page_cache

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
MARKER = mark_safe(f"<!--mine-{secrets.token_hex(8)}-->")  # noqa: S308 (our own comment)
RENDER_EACH_TIME = "render each time"


cards = page_cache.WorkerMemory(KEPT_CARDS)


@register.simple_tag(takes_context=True)
def run_card(context, run):
    """The card of ``run``. The viewer's marks are the run's own attributes, or, where
    the page's rows are shared by every reader (the run list), the page's
    ``card_marks``: {run id: marks in VIEWER_MARKS order}."""
    marks = context.get("card_marks")
    if marks is None:
        viewer = tuple(getattr(run, name, None) for name in VIEWER_MARKS)
    else:
        viewer = marks.get(run.pk, NO_MARKS)
    public = _public_key(run, context.get("request"))
    kept = cards.get(public)
    if kept is not None and kept != RENDER_EACH_TIME and viewer in kept[1]:
        parts, mines = kept
        return mark_safe(mines[viewer].join(parts))  # noqa: S308 (our own templates' output)
    if marks is not None:  # a row every reader shares: the viewer's marks on a copy
        run = copy.copy(run)
        for name, value in zip(VIEWER_MARKS, viewer, strict=True):
            setattr(run, name, value)
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


def keep_values(runs):
    """Works out once what each card's key takes from ``runs``, rows that a worker
    keeps for every reader of a page (joinrun.page_cache.kept) and that nothing changes
    afterwards."""
    for run in runs:
        run._card_values = _loaded(run)


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
    loaded = run.__dict__.get("_card_values")
    if loaded is None:
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
