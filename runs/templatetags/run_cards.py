"""Run cards: ``{% run_card run %}`` renders one card of a run list.

A card has two parts. ``runs/includes/run_card.html`` is what every viewer sees of the run
(date, title, place, chips, how full it is): it is rendered from the run alone, never
from the viewer, and puts ``{{ mine }}`` where the viewer's own part goes.
``runs/includes/run_card_mine.html`` is that part ("You're going"), from the marks
``runs.views._mark_my_status`` set on the run (absent for a visitor).

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

import secrets
import threading
from collections import OrderedDict

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
# Where the viewer's part goes in a kept card; random, so no text on a card can match it.
MARKER = mark_safe(f"<!--mine-{secrets.token_hex(8)}-->")  # noqa: S308 (our own comment)
RENDER_EACH_TIME = "render each time"


class KeptCards:
    """The cards of this worker, the least recently used forgotten first. A kept value
    is never changed, only replaced, so a card being read is never half written."""

    def __init__(self, size):
        self.size = size
        self.cards = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key):
        with self.lock:
            card = self.cards.get(key)
            if card is not None:
                self.cards.move_to_end(key)
            return card

    def set(self, key, card):
        with self.lock:
            self.cards[key] = card
            self.cards.move_to_end(key)
            while len(self.cards) > self.size:
                self.cards.popitem(last=False)

    def clear(self):
        with self.lock:
            self.cards.clear()


cards = KeptCards(KEPT_CARDS)


@register.simple_tag(takes_context=True)
def run_card(context, run):
    public, viewer = _keys(run, context.get("request"))
    kept = cards.get(public)
    if kept == RENDER_EACH_TIME:
        return _render(run, _mine(run))
    if kept is not None and viewer in kept[1]:
        parts, mines = kept
        return mark_safe(mines[viewer].join(parts))  # noqa: S308 (our own templates' output)
    # Each viewer's part is kept only once the kept card with it is the card in full.
    mine = _mine(run)
    card = _render(run, mine)
    parts, mines = kept if kept is not None else (_render(run, MARKER).split(MARKER), {})
    if mine.join(parts) != card:
        cards.set(public, RENDER_EACH_TIME)
        return card
    cards.set(public, (tuple(parts), {**mines, viewer: mine}))
    return card


def _render(run, mine):
    card = get_template(CARD).render({"run": run, "mine": mine})
    return mark_safe(card)  # noqa: S308 (our own template's output)


def _mine(run):
    mine = get_template(MINE).render({"run": run}).strip()
    return mark_safe(mine)  # noqa: S308 (our own template's output)


def _keys(run, request):
    """(the key of the run's card, the key of the viewer's part within it). The key is
    the values themselves, not a digest of them: two cards never share one."""
    now = timezone.now()
    # Not the private attributes (_state, _prefetched_objects_cache): prefetched rows
    # change only with a save, which moves the version.
    loaded = [value for name, value in run.__dict__.items()
              if name[0] != "_" and name not in VIEWER_MARKS]
    for relation, row in run._state.fields_cache.items():
        loaded.append(relation)
        if row is not None:
            loaded += [value for name, value in row.__dict__.items() if name[0] != "_"]
    public = (run.pk, _rendering(request), run.has_started(now), run.has_ended(now), *loaded)
    try:
        hash(public)
    except TypeError:  # a value that cannot be a key (a list from a JSON field)
        public = repr(public)
    return public, tuple(getattr(run, name, None) for name in VIEWER_MARKS)


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
