"""Single-pass event clustering of a time-ordered stream of tokenised items.

The algorithm (see ``docs/decisions/0004-online-clustering.md`` for the measurements behind it):

1. **Term weights, learned as the stream goes.** A term's weight is an *event-level* IDF,
   ``log((live_events + 2) / (events_with_term + 1))``: a word spread over many live events says
   little about which event an item belongs to, however rare it is among items. It needs no
   vocabulary fixed in advance and forgets retired events.
2. **Candidates through an inverted index.** ``term -> live events containing it``, each posting list
   kept in order of the events' last use of the term; only the ``max_scan`` most recent events of a
   term are scanned, so the cost per item is bounded whatever the stream's size.
3. **Similarity.** The item's TF-IDF vector (unit length) against each candidate's centroid (the sum
   of its members' unit vectors, weighted when they joined): cosine, multiplied by a time decay
   ``exp(-Δposition / decay_items) * exp(-Δseconds / decay_seconds)``. Decay in stream *position*
   works when every item has the same time (MStream); decay in seconds (one day by default) follows
   the news on streams with real timestamps.
4. **Decision.** Best candidate at or above ``threshold``: join it; otherwise open a new event.
5. **Second chance for young events.** When an event reaches 2, 4, 8, … ≤ ``young_size`` members, its
   centroid is compared to other live events; at or above ``merge_threshold`` the smaller is merged
   into the larger (the hit reports the absorbed ids; :meth:`OnlineClusterer.resolve` maps an
   absorbed id to its survivor). This repairs a story that opened twice before its vocabulary settled.
6. **Words an event holds.** A post that would join a large event only weakly (decayed cosine
   < 0.35) goes to another live event of ≥ 20 items when that event holds the words that carry the
   post (≥ 60 % of each word's weight in the index, words carrying ≥ 80 % of the post's
   IDF²-weighted vector): a story's post is not swallowed by a diffuse event of everyday chatter
   through the everyday words it also has (晚上, 好多). The consolidation pass applies the same test
   to small fragments (a sub-topic of a story, told in words the story holds). Decision 0121.
7. **Retirement.** An event idle for more than ``window_seconds`` or ``window_items`` positions is
   removed from the index and reported once as a :class:`RetiredEvent` (in
   :attr:`ClusterHit.retired`, or from :meth:`OnlineClusterer.retire`), so memory stays bounded.
   A centroid keeps at most ``2 * max_terms`` terms (pruned to the ``max_terms`` heaviest).

Items without tokens get ``event_id=None`` (nothing to compare; the caller routes them, e.g. a
repost by its parent). The algorithm draws no random numbers: the same stream always gives the same
events, and a pickled clusterer continues exactly where it stopped.
"""

from __future__ import annotations

import heapq
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

import numpy as np

from qingting.core.text.romanise import romanised


@dataclass(frozen=True, slots=True)
class RetiredEvent:
    """The compact summary an event leaves behind when it retires (idle beyond the window)."""

    event_id: int
    keywords: tuple[str, ...]
    size: int
    first_time: float
    last_time: float


@dataclass(frozen=True, slots=True)
class ClusterHit:
    """Where :meth:`OnlineClusterer.add` put one item.

    ``event_id`` is ``None`` only for an item without tokens. ``similarity`` is the decayed cosine
    to the chosen event (0.0 when the item opened a new event). ``merged`` lists events absorbed
    into ``event_id`` during this call; ``retired`` lists events that retired during this call.
    ``consolidated`` lists the merges of the periodic consolidation pass that ran during this call,
    as :class:`Merge` records (absorbed → survivor), in the order they were made.
    """

    event_id: int | None
    similarity: float
    created: bool
    merged: tuple[int, ...] = ()
    retired: tuple[RetiredEvent, ...] = ()
    consolidated: tuple[Merge, ...] = ()
    moved: tuple[Move, ...] = ()


@dataclass(frozen=True, slots=True)
class Move:
    """A post placed earlier moved by the consolidation pass to the event that now holds its words.

    ``key`` is the key the post was added with (:meth:`OnlineClusterer.add`), ``source`` the live
    event it leaves, ``target`` the one it joins (both as live at the time of the move), ``share``
    the share of its IDF²-weighted profile on words ``target`` holds. Decision 0128.
    """

    key: str
    source: int
    target: int
    time: float
    share: float


@dataclass(frozen=True, slots=True)
class Merge:
    """One event absorbed into another by the consolidation pass — the record that makes it reversible.

    ``terms`` and ``weights`` are the absorbed event's centroid at the time of the merge (at most
    ``max_terms``), ``size`` its item count: :meth:`OnlineClusterer.split` takes them back out of the
    survivor. ``similarity`` is the decayed cosine that decided the merge.
    """

    absorbed: int
    survivor: int
    time: float
    similarity: float
    size: int
    terms: tuple[str, ...] = ()
    weights: tuple[float, ...] = ()


@dataclass(slots=True)
class _PassContext:
    """Caches for one consolidation pass: term IDFs, IDF-weighted norms, entity holders."""

    idf: dict[str, float] = field(default_factory=dict)
    norms: dict[int, float] = field(default_factory=dict)
    holders: dict[str, list[tuple[int, int]]] = field(default_factory=dict)  # built on first use
    live_items: int = 0  # items of the live events counted in ``holders``
    romanised: dict[str, list[str]] | None = None  # pinyin -> Chinese terms of live events
    han_events: set[int] = field(default_factory=set)  # the live, mostly Chinese events indexed
    # term -> (largest holder, its weight, second holder, its weight, total weight) in the index
    owners: dict[str, tuple[int, float, int, float, float]] = field(default_factory=dict)


@dataclass(slots=True)
class _Event:
    """Mutable state of one live event (private: callers see ids and summaries)."""

    centroid: dict[str, float]  # the same weights are mirrored in the postings, for fast scoring
    norm2: float
    norm: float
    size: int
    first_time: float
    last_time: float
    last_pos: int
    absorbed: list[int] = field(default_factory=list)
    checked: int = 0  # size at its last consolidation check
    entities: dict[str, int] = field(default_factory=dict)  # hashtags, @accounts: bounded counts


def _count_entities(event: _Event, entities: Sequence[str]) -> None:
    counts = event.entities
    for x in entities:
        counts[x] = counts.get(x, 0) + 1
    if len(counts) > 2 * _MAX_ENTITIES:  # keep the most frequent: what names the story
        event.entities = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:_MAX_ENTITIES])


_MAX_ENTITIES = 12
# A retiring event this large (a story, not a passing remark) looks for its continuation.
_CONTINUED_MIN_SIZE = 20
# A retiring event may join a live event this small: a story's continuation after a lull is a
# handful of items when the old event's window runs out.
_LAST_CHANCE_MIN_SIZE = 2
# Chinese events this large are indexed by the pinyin of their words (English fragments join them).
_ROMANISED_MIN_SIZE = 20
# A fragment smaller than this may be a satellite of a story that holds its words (_by_containment) …
_SATELLITE_MAX_SIZE = 20
# … of an event at least this many times its size, …
_SATELLITE_RATIO = 4
# … holding ≥ 60 % of the index weight of each such word, words that carry ≥ 80 % of the fragment's profile.
_HELD_SHARE = 0.6
_SATELLITE_SHARE = 0.8
# An item that would join an event at a decayed cosine below this may go to the event holding its words.
_WEAK_JOIN = 0.35
# A pass due by time waits for this many items since the previous one (bursts of passes cost).
_MIN_PASS_ITEMS = 50
# Weakly joined posts kept for a later look (decision 0128): at most this many, …
_STRAYS_MAX = 512
# … and at most this many looked at per pass (the most recent first).
_STRAYS_PER_PASS = 64


def _positive(name: str, value: float) -> float:
    if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


class OnlineClusterer:
    """Group a time-ordered stream of tokenised items into events, in one pass.

    Parameters (keyword-only; defaults chosen for robustness, see the decision record):

    - ``threshold``: minimum decayed cosine for an item to join an existing event, in (0, 1].
    - ``merge_threshold``: minimum centroid cosine for a young event to merge into another, in
      (0, 1]; ``None`` disables merging.
    - ``decay_items``: e-folding length of the similarity decay in stream positions.
    - ``decay_seconds``: e-folding time of the decay in seconds, or ``None`` for no decay in time.
    - ``window_seconds`` / ``window_items``: an event idle longer than either retires.
    - ``young_size``: largest size at which an event still gets a merge check.
    - ``max_scan``: events scanned per term (the most recently active ones).
    - ``max_terms``: terms a centroid keeps after pruning.
    - ``max_item_terms``: terms an item's vector keeps (its heaviest by TF-IDF), so the state an item
      leaves behind is bounded however long its text (a 600-character letter, a whole article).
    - ``consolidate_threshold``: minimum decayed cosine for the periodic consolidation pass to merge
      two events of at least ``consolidate_min_size`` items (fragments of one story); ``None``
      disables the pass. It runs every ``consolidate_every`` stream positions over the events active
      since the previous pass (:meth:`consolidate`), and records each merge (:class:`Merge`) so that
      :meth:`split` can undo it. ``None`` also turns off the weak join's test of the words an
      event holds (step 6 above).
    - ``seed``: accepted for API uniformity; the algorithm is deterministic and draws no randoms.

    Example:
        >>> c = OnlineClusterer()
        >>> a = c.add(["flood", "river", "bridge"], time=0.0)
        >>> b = c.add(["river", "flood", "rescue"], time=60.0)
        >>> a.created, b.event_id == a.event_id
        (True, True)
        >>> c.keywords(a.event_id, k=2)
        ['flood', 'river']
    """

    def __init__(
        self,
        *,
        threshold: float = 0.14,
        merge_threshold: float | None = 0.2,
        decay_items: float = 5000.0,
        decay_seconds: float | None = 86400.0,
        window_seconds: float = 7 * 86400.0,
        window_items: int = 50_000,
        young_size: int = 256,
        max_scan: int = 8,
        max_terms: int = 300,
        max_item_terms: int = 64,
        consolidate_threshold: float | None = 0.15,
        consolidate_every: int = 1000,
        consolidate_min_size: int = 4,
        consolidate_seconds: float | None = 6 * 3600.0,
        seed: int = 0,
    ) -> None:
        if not (isinstance(threshold, int | float) and 0.0 < threshold <= 1.0):
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        if merge_threshold is not None and not (
            isinstance(merge_threshold, int | float) and 0.0 < merge_threshold <= 1.0
        ):
            raise ValueError(f"merge_threshold must be in (0, 1] or None, got {merge_threshold!r}")
        if consolidate_threshold is not None and not (
            isinstance(consolidate_threshold, int | float) and 0.0 < consolidate_threshold <= 1.0
        ):
            raise ValueError(f"consolidate_threshold must be in (0, 1] or None, got {consolidate_threshold!r}")
        for name, ivalue in (
            ("window_items", window_items),
            ("young_size", young_size),
            ("max_scan", max_scan),
            ("max_terms", max_terms),
            ("max_item_terms", max_item_terms),
            ("consolidate_every", consolidate_every),
            ("consolidate_min_size", consolidate_min_size),
        ):
            if not isinstance(ivalue, int) or isinstance(ivalue, bool) or ivalue < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {ivalue!r}")
        if not isinstance(seed, int):
            raise ValueError(f"seed must be an integer, got {seed!r}")
        self.threshold = float(threshold)
        self.merge_threshold = None if merge_threshold is None else float(merge_threshold)
        self.decay_items = _positive("decay_items", decay_items)
        self.decay_seconds = None if decay_seconds is None else _positive("decay_seconds", decay_seconds)
        self.window_seconds = _positive("window_seconds", window_seconds)
        self.window_items = window_items
        self.young_size = young_size
        self.max_scan = max_scan
        self.max_terms = max_terms
        self.max_item_terms = max_item_terms
        self.consolidate_threshold = None if consolidate_threshold is None else float(consolidate_threshold)
        self.consolidate_every = consolidate_every
        self.consolidate_min_size = consolidate_min_size
        self.consolidate_seconds = (
            None if consolidate_seconds is None else _positive("consolidate_seconds", consolidate_seconds)
        )
        self.seed = seed

        # Learned state.
        self.events_: dict[int, _Event] = {}  # live events, oldest activity first (LRU order)
        # term -> {event: centroid weight}, least recently updated first
        self.postings_: dict[str, dict[int, float]] = {}
        self.aliases_: dict[int, int] = {}  # absorbed event -> live survivor
        self.next_id_: int = 0
        self.position_: int = 0  # items seen, including empty ones
        self.now_: float = -math.inf  # latest time seen; time never runs backwards inside
        self.n_merges_: int = 0
        self.n_retired_: int = 0
        # When the least recently active event can first be due to retire (conservative bounds).
        self.due_time_: float = -math.inf
        self.due_pos_: float = -math.inf
        # Consolidation: the position of the last pass, the merges it made (absorbed -> record, while
        # the survivor is live, so split() can undo them) and the pairs split() keeps apart.
        self.consolidated_pos_: int = 0
        self.quick_pos_: int = 0  # position and stream time of the last pass, quick or full
        self.quick_time_: float = -math.inf
        self.merge_log_: dict[int, Merge] = {}
        self.apart_: set[tuple[int, int]] = set()
        # merges made while retiring events, not yet reported (add() reports them; see take_merges)
        self.pending_merges_: list[Merge] = []
        # event -> (its size then, its heaviest terms if mostly Chinese): a cache for the pinyin
        # index of consolidation (derived, not checkpointed)
        self.han_top_: dict[int, tuple[int, tuple[str, ...]]] = {}
        # the pinyin index and the events in it, and the position it was built at: rebuilt at most
        # once per consolidate_every positions (derived, not checkpointed)
        self.romanised_: tuple[dict[str, list[str]], set[int]] = ({}, set())
        self.romanised_at_: int = -(2**62)
        # Posts that joined an event weakly (decayed cosine < _WEAK_JOIN), by the key they were added
        # with: (event, time, vector), oldest first, at most _STRAYS_MAX and a window old. A later
        # pass moves one to the event that has come to hold its words (decision 0128).
        self.strays_: dict[str, tuple[int, float, dict[str, float]]] = {}
        # term -> keys of strays with it (stale keys skipped, rebuilt when large)
        self.stray_terms_: dict[str, list[str]] = {}
        self.stray_indexed_: int = 0  # keys in stray_terms_, stale ones included
        self.pending_moves_: list[Move] = []
        # event -> (its size then, its 30 heaviest terms): what _rehome looks up strays by (checkpointed)
        self.stray_tops_: dict[int, tuple[int, frozenset[str]]] = {}
        # stray -> {event that wanted a look at it: its size then} (checkpointed)
        self.stray_seen_: dict[str, dict[int, int]] = {}

    # ------------------------------------------------------------------ public API

    def add(
        self,
        tokens: Sequence[str],
        time: float,
        *,
        may_open: bool = True,
        entities: Sequence[str] = (),
        key: str | None = None,
    ) -> ClusterHit:
        """Assign one item (its tokens, and its time in unix seconds) to an event.

        Times earlier than the latest time seen are treated as that latest time (streams arrive
        slightly out of order; events never move back in time). With ``may_open=False`` the item
        joins an event it matches but never opens one (``event_id`` is then ``None``): for posts
        that carry no story of their own, such as a bare hashtag. ``entities`` (the item's hashtags
        and @accounts, e.g. ``"#柳湾镇停水"``) are counted in the event it joins: consolidation
        merges fragments that share a hashtag or account held by few events. With a ``key`` (the
        item's id), a weak join (decayed cosine < 0.35) is kept for a while: when a later pass finds
        that another event has come to hold the item's words, it moves the item there and reports
        a :class:`Move` with that key (in a later hit's ``moved``, or :meth:`take_moves`). Returns
        the :class:`ClusterHit`.
        Raises ``ValueError`` for a non-finite time and ``TypeError`` for a plain string.
        """
        if not math.isfinite(time):
            raise ValueError(f"time must be a finite number of seconds, got {time!r}")
        if isinstance(tokens, str):  # would silently cluster single characters
            raise TypeError("tokens must be a sequence of tokens, not one string (tokenize the text first)")
        if time > self.now_:
            self.now_ = time
        now = self.now_
        pos = self.position_
        self.position_ = pos + 1
        # Cheap test first: nothing can be due before the oldest event's deadline.
        retired = self._retire_due(now, pos) if now > self.due_time_ or pos > self.due_pos_ else ()
        # The periodic pass runs before the item is placed, so the hit's ids are final.
        consolidated: tuple[Merge, ...] = ()
        if self.pending_merges_:
            consolidated = self.take_merges()
        if self.consolidate_threshold is not None:
            if pos - self.consolidated_pos_ >= self.consolidate_every:
                consolidated += self._consolidate(now, pos)
            elif self._quick_due(now, pos):
                consolidated += self._consolidate(now, pos, quick=True)
        moved = self.take_moves() if self.pending_moves_ else ()
        if not tokens:
            return ClusterHit(None, 0.0, False, (), retired, consolidated, moved)

        vector = self._vector(tokens)
        scores = self._scores(vector)
        best, best_sim = self._best(scores, 1.0, self.threshold, pos, now)
        if (
            best >= 0
            and best_sim < _WEAK_JOIN
            and self.consolidate_threshold is not None
            and self.events_[best].size >= _CONTINUED_MIN_SIZE
        ):
            holder = self._holder(vector, best, now)
            if holder >= 0 and (min(best, holder), max(best, holder)) not in self.apart_:
                # a weak likeness yields to the event that holds the item's words
                best = holder
                dot = scores.get(holder)
                if dot is None:
                    c = self.events_[holder].centroid
                    dot = sum(w * c.get(t, 0.0) for t, w in vector.items())
                best_sim = dot / self.events_[holder].norm
        if best < 0:
            if not may_open:
                return ClusterHit(None, 0.0, False, (), retired, consolidated, moved)
            eid = self._open(vector, now, pos)
            if entities:
                _count_entities(self.events_[eid], entities)
            return ClusterHit(eid, 0.0, True, (), retired, consolidated, moved)

        event = self._join(best, vector, now, pos)
        if entities:
            _count_entities(event, entities)
        merged: tuple[int, ...] = ()
        size = event.size
        if self.merge_threshold is not None and size <= self.young_size and size & (size - 1) == 0:
            survivor, absorbed = self._second_chance(best, now, pos)
            if absorbed >= 0:
                best, merged = survivor, (absorbed,)
        if key is not None and best_sim < _WEAK_JOIN and self.consolidate_threshold is not None:
            self._keep_stray(key, best, now, vector)
        return ClusterHit(best, best_sim, False, merged, retired, consolidated, moved)

    def touch(self, event_id: int, time: float, entities: Sequence[str] = ()) -> None:
        """Keep a live event alive (a duplicate joined it) without changing its term profile.

        Counts the item in the event's size and last activity, and as one stream position (like
        :meth:`add`, so position decay and ``window_items`` see duplicates). An absorbed id is
        resolved to its survivor. Raises ``KeyError`` for an event that is not live (never existed,
        or retired) and ``ValueError`` for a non-finite time.
        """
        if not math.isfinite(time):
            raise ValueError(f"time must be a finite number of seconds, got {time!r}")
        eid = self.resolve(event_id)
        if eid is None:
            raise KeyError(f"event {event_id} is not live (unknown or retired)")
        if time > self.now_:
            self.now_ = time
        pos = self.position_
        self.position_ = pos + 1
        event = self.events_.pop(eid)
        event.size += 1
        event.last_time = self.now_
        event.last_pos = pos
        if entities:
            _count_entities(event, entities)
        self.events_[eid] = event  # re-insert: most recent activity last

    def keywords(self, event_id: int, k: int = 10, *, specific: bool = False) -> list[str]:
        """The ``k`` heaviest terms of a live event's profile, heaviest first (for titles, boards).

        With ``specific``, the heaviest ``3k`` terms are ranked again by their weight times the
        current event-level IDF, so words that this event has and others lack (``停水``, ``柳湾镇``)
        come before words every event has (``今天``, ``希望``). Raises ``KeyError`` if the event is
        not live.
        """
        eid = self.resolve(event_id)
        if eid is None:
            raise KeyError(f"event {event_id} is not live (unknown or retired)")
        centroid = self.events_[eid].centroid
        return self._specific_terms(centroid, k) if specific else _top_terms(centroid, k)

    def _specific_terms(self, centroid: dict[str, float], k: int) -> list[str]:
        n = len(self.events_) + 2.0
        postings = self.postings_
        scored = [
            (-centroid[t] * math.log(n / (len(postings.get(t, ())) + 1.0)), t) for t in _top_terms(centroid, 3 * k)
        ]
        return [t for _, t in sorted(scored)[:k]]

    def resolve(self, event_id: int) -> int | None:
        """The live event that ``event_id`` is now part of (itself, or its merge survivor), else None."""
        eid = self.aliases_.get(event_id, event_id)
        return eid if eid in self.events_ else None

    def retire(self, now: float) -> list[RetiredEvent]:
        """Retire every event idle beyond the window at time ``now``; return their summaries.

        :meth:`add` already retires as the stream advances; call this when time passes without items.
        """
        if not math.isfinite(now):
            raise ValueError(f"now must be a finite number of seconds, got {now!r}")
        if now > self.now_:
            self.now_ = now
        return list(self._retire_due(self.now_, self.position_))

    def take_merges(self) -> tuple[Merge, ...]:
        """The consolidation merges made while retiring events and not reported yet.

        An event about to retire gets a last consolidation check (a story that went quiet and went
        on in a new event joins it); :meth:`add` reports such merges in its hit's ``consolidated``;
        after :meth:`retire`, call this to collect them.
        """
        out, self.pending_merges_ = tuple(self.pending_merges_), []
        return out

    def take_moves(self) -> tuple[Move, ...]:
        """The moves of posts made by passes and not reported yet (:meth:`add` reports them in its
        hit's ``moved``; after :meth:`consolidate`, call this to collect them)."""
        out, self.pending_moves_ = tuple(self.pending_moves_), []
        return out

    def tracks(self, key: str) -> bool:
        """Whether the post added with ``key`` may still be moved by a later pass (a weak join kept)."""
        return key in self.strays_

    def transfer(self, source: int, target: int, n: int) -> None:
        """Count ``n`` items (copies and replies of a moved post, which add no words) in ``target``
        instead of ``source``. Events that are not live are left alone."""
        s, t = self.resolve(source), self.resolve(target)
        if s is None or t is None or s == t or n <= 0:
            return
        src = self.events_[s]
        n = min(n, src.size - 1)
        if n > 0:
            src.size -= n
            self.events_[t].size += n

    def consolidate(self, now: float | None = None) -> list[Merge]:
        """Run the consolidation pass now (``add`` runs it every ``consolidate_every`` positions).

        Every event of at least ``consolidate_min_size`` items that was active since the previous
        pass is compared, by its 30 heaviest terms through the index, with the other live events of
        that size; the best at a decayed cosine ≥ ``consolidate_threshold`` is merged, the smaller
        into the larger. The cosine is over the full centroids with each term weighted again by its
        current event-level IDF (words every event has, such as 周末 or 孩子, cannot chain everyday
        chatter into one blob; the words of one story, such as 荷花节, carry it), decayed in
        positions and in the time gap between the two events' spans. Returns the merges made, in
        order. Does nothing when the pass is disabled.
        """
        if self.consolidate_threshold is None:
            return []
        if now is not None:
            if not math.isfinite(now):
                raise ValueError(f"now must be a finite number of seconds, got {now!r}")
            self.now_ = max(self.now_, now)
        return list(self._consolidate(self.now_, self.position_))

    def split(self, absorbed: int) -> int:
        """Undo a consolidation merge: ``absorbed`` becomes a live event of its own again.

        Its terms and size at the time of the merge are taken back out of the survivor, and the
        pair is kept apart by later passes. Returns the survivor's id. Raises ``KeyError`` when
        there is no such merge on record (not merged by consolidation, or the survivor retired).
        """
        rec = self.merge_log_.pop(absorbed, None)
        if rec is None or rec.survivor not in self.events_:
            raise KeyError(f"event {absorbed} has no consolidation merge on record with a live survivor")
        keep = self.events_[rec.survivor]
        back = dict(zip(rec.terms, rec.weights, strict=True))
        self._subtract(rec.survivor, keep, back)
        keep.size = max(keep.size - rec.size, 1)
        if absorbed in keep.absorbed:
            keep.absorbed.remove(absorbed)
        self.aliases_.pop(absorbed, None)
        # the absorbed event comes back at the recent end, as activity now
        event = _Event({}, 0.0, 0.0, rec.size, rec.time, self.now_, self.position_)
        self.events_[absorbed] = event
        self._add_into(absorbed, event, back)
        self.apart_.add((min(absorbed, rec.survivor), max(absorbed, rec.survivor)))
        return rec.survivor

    def split_off(self, event_id: int, items: Sequence[Sequence[str]]) -> int:
        """An analyst moved ``items`` (their tokens) out of a live event: they become an event of their own.

        Their vectors (at the current term weights) are taken out of the event's centroid and make
        the new event's; the two are kept apart from then on — no consolidation pass or young
        event's second chance merges them again — so later posts like the moved ones join the new
        event. Returns the new event's id. Raises ``KeyError`` when the event is not live and
        ``ValueError`` when no item has a token.
        """
        eid = self.resolve(event_id)
        if eid is None:
            raise KeyError(f"event {event_id} is not live (unknown or retired)")
        part: dict[str, float] = {}
        n = 0
        for tokens in items:
            if tokens:
                n += 1
                for t, w in self._vector(tokens).items():
                    part[t] = part.get(t, 0.0) + w
        if not part:
            raise ValueError("none of the items split off has a token")
        keep = self.events_[eid]
        self._subtract(eid, keep, part)
        keep.size = max(keep.size - n, 1)
        new = self.next_id_
        self.next_id_ = new + 1
        event = _Event({}, 0.0, 0.0, n, self.now_, self.now_, self.position_)
        self.events_[new] = event
        self._add_into(new, event, part)
        self.apart_.add((min(eid, new), max(eid, new)))
        return new

    def merge_into(self, absorbed: int, survivor: int) -> int:
        """An analyst found two live events to be one story: ``absorbed`` joins ``survivor``.

        Its terms, size and aliases move into the survivor (as a consolidation merge would, but
        with the survivor the analyst chose), and a split that kept the two apart is forgotten.
        Returns the survivor's live id. Raises ``KeyError`` when either event is not live.
        """
        a, s = self.resolve(absorbed), self.resolve(survivor)
        if a is None or s is None:
            raise KeyError(f"events {absorbed} and {survivor} must both be live (not unknown or retired)")
        if a != s:
            self.apart_.discard((min(a, s), max(a, s)))
            self._merge(s, a)
        return s

    def _subtract(self, eid: int, event: _Event, part: dict[str, float]) -> None:
        """Take term weights out of a live event's centroid (and its postings)."""
        rest = {t: w - part.get(t, 0.0) for t, w in event.centroid.items()}
        for t in event.centroid:
            self._unpost(t, eid)
        rest = {t: w for t, w in rest.items() if w > 1e-9}
        if not rest:  # nothing of its own left: keep the heaviest term so the event stays findable
            t = max(event.centroid, key=event.centroid.__getitem__)
            rest = {t: event.centroid[t]}
        event.centroid = {}
        event.norm2 = 0.0
        self._add_into(eid, event, rest)

    @property
    def n_events_(self) -> int:
        """Number of live events."""
        return len(self.events_)

    def size(self, event_id: int) -> int:
        """Items in a live event (joined, merged or touched)."""
        eid = self.resolve(event_id)
        if eid is None:
            raise KeyError(f"event {event_id} is not live (unknown or retired)")
        return self.events_[eid].size

    def to_state(self) -> dict[str, Any]:
        """Parameters and learned state as plain values and numeric arrays (for checkpoints).

        Posting lists are written as the order of their events only: their weights are the
        centroids' (the index mirrors them), so each (term, event) weight is stored once.
        """
        events = self.events_
        term_ids: dict[str, int] = {t: i for i, t in enumerate(self.postings_)}
        cent_terms: list[int] = []
        cent_weights: list[float] = []
        absorbed: list[int] = []
        for ev in events.values():
            for t, w in ev.centroid.items():
                cent_terms.append(term_ids[t])
                cent_weights.append(w)
            absorbed.extend(ev.absorbed)
        post_events = [e for p in self.postings_.values() for e in p]
        evs = list(events.values())
        log = list(self.merge_log_.values())
        seen = {k: v for k, v in self.stray_seen_.items() if k in self.strays_}
        tops = {e: v for e, v in self.stray_tops_.items() if e in events}
        return {
            "params": {
                "threshold": self.threshold,
                "merge_threshold": self.merge_threshold,
                "decay_items": self.decay_items,
                "decay_seconds": self.decay_seconds,
                "window_seconds": self.window_seconds,
                "window_items": self.window_items,
                "young_size": self.young_size,
                "max_scan": self.max_scan,
                "max_terms": self.max_terms,
                "max_item_terms": self.max_item_terms,
                "consolidate_threshold": self.consolidate_threshold,
                "consolidate_every": self.consolidate_every,
                "consolidate_min_size": self.consolidate_min_size,
                "consolidate_seconds": self.consolidate_seconds,
                "seed": self.seed,
            },
            "terms": list(term_ids),
            "event_ids": np.array(list(events), dtype="<i8"),
            "norm2": np.array([e.norm2 for e in evs], dtype="<f8"),
            "size": np.array([e.size for e in evs], dtype="<i8"),
            "first_time": np.array([e.first_time for e in evs], dtype="<f8"),
            "last_time": np.array([e.last_time for e in evs], dtype="<f8"),
            "last_pos": np.array([e.last_pos for e in evs], dtype="<i8"),
            "n_terms": np.array([len(e.centroid) for e in evs], dtype="<i8"),
            "centroid_terms": np.array(cent_terms, dtype="<i4"),
            "centroid_weights": np.array(cent_weights, dtype="<f8"),
            "n_absorbed": np.array([len(e.absorbed) for e in evs], dtype="<i8"),
            "checked": np.array([e.checked for e in evs], dtype="<i8"),
            "n_entities": np.array([len(e.entities) for e in evs], dtype="<i8"),
            "entity_names": [x for e in evs for x in e.entities],
            "entity_counts": np.array([n for e in evs for n in e.entities.values()], dtype="<i8"),
            "absorbed": np.array(absorbed, dtype="<i8"),
            "posting_lengths": np.array([len(p) for p in self.postings_.values()], dtype="<i8"),
            "posting_events": np.array(post_events, dtype="<i8"),
            "alias_from": np.array(list(self.aliases_), dtype="<i8"),
            "alias_to": np.array(list(self.aliases_.values()), dtype="<i8"),
            "next_id": self.next_id_,
            "position": self.position_,
            "now": self.now_,
            "n_merges": self.n_merges_,
            "n_retired": self.n_retired_,
            "due_time": self.due_time_,
            "due_pos": self.due_pos_,
            "consolidated_pos": self.consolidated_pos_,
            "quick_pos": self.quick_pos_,
            "quick_time": self.quick_time_,
            "merge_ids": np.array([[m.absorbed, m.survivor, m.size, len(m.terms)] for m in log], dtype="<i8").reshape(
                len(log), 4
            ),
            "merge_floats": np.array([[m.time, m.similarity] for m in log], dtype="<f8").reshape(len(log), 2),
            "merge_terms": [t for m in log for t in m.terms],
            "merge_weights": np.array([w for m in log for w in m.weights], dtype="<f8"),
            "apart": np.array(sorted(self.apart_), dtype="<i8").reshape(len(self.apart_), 2),
            # weak joins that may move (decision 0128; optional keys, none when absent)
            "stray_keys": list(self.strays_),
            "stray_events": np.array([e for e, _, _ in self.strays_.values()], dtype="<i8"),
            "stray_times": np.array([t for _, t, _ in self.strays_.values()], dtype="<f8"),
            "stray_n_terms": np.array([len(v) for _, _, v in self.strays_.values()], dtype="<i8"),
            "stray_terms": [t for _, _, v in self.strays_.values() for t in v],
            "stray_weights": np.array([w for _, _, v in self.strays_.values() for w in v.values()], dtype="<f8"),
            # what the passes last saw (so a restored engine looks at the same strays as one that ran on)
            "stray_seen_keys": list(seen),
            "stray_seen_n": np.array([len(v) for v in seen.values()], dtype="<i8"),
            "stray_seen_events": np.array([e for v in seen.values() for e in v], dtype="<i8"),
            "stray_seen_sizes": np.array([n for v in seen.values() for n in v.values()], dtype="<i8"),
            "stray_top_events": np.array(list(tops), dtype="<i8"),
            "stray_top_sizes": np.array([n for n, _ in tops.values()], dtype="<i8"),
            "stray_top_n": np.array([len(ts) for _, ts in tops.values()], dtype="<i8"),
            "stray_top_terms": [t for _, ts in tops.values() for t in sorted(ts)],
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> OnlineClusterer:
        """A clusterer that continues where the one that wrote ``state`` (:meth:`to_state`) stopped."""
        self = cls(**state["params"])
        terms: list[str] = state["terms"]
        cterms = state["centroid_terms"].tolist()
        cweights = state["centroid_weights"].tolist()
        absorbed = state["absorbed"].tolist()
        pos = apos = 0
        events: dict[int, _Event] = {}
        for eid, norm2, size, t0, t1, lpos, nt, na in zip(
            state["event_ids"].tolist(),
            state["norm2"].tolist(),
            state["size"].tolist(),
            state["first_time"].tolist(),
            state["last_time"].tolist(),
            state["last_pos"].tolist(),
            state["n_terms"].tolist(),
            state["n_absorbed"].tolist(),
            strict=True,
        ):
            centroid = {terms[i]: w for i, w in zip(cterms[pos : pos + nt], cweights[pos : pos + nt], strict=True)}
            pos += nt
            events[eid] = _Event(centroid, norm2, math.sqrt(norm2), size, t0, t1, lpos, absorbed[apos : apos + na])
            apos += na
        if "checked" in state:  # format 2
            names: list[str] = state["entity_names"]
            counts = state["entity_counts"].tolist()
            k = 0
            for ev, checked, ne in zip(
                events.values(), state["checked"].tolist(), state["n_entities"].tolist(), strict=True
            ):
                ev.checked = checked
                ev.entities = dict(zip(names[k : k + ne], counts[k : k + ne], strict=True))
                k += ne
        self.events_ = events
        postings: dict[str, dict[int, float]] = {}
        pev = state["posting_events"].tolist()
        pos = 0
        for term, n in zip(terms, state["posting_lengths"].tolist(), strict=True):
            postings[term] = {e: events[e].centroid[term] for e in pev[pos : pos + n]}
            pos += n
        self.postings_ = postings
        self.aliases_ = dict(zip(state["alias_from"].tolist(), state["alias_to"].tolist(), strict=True))
        self.next_id_ = int(state["next_id"])
        self.position_ = int(state["position"])
        self.now_ = float(state["now"])
        self.n_merges_ = int(state["n_merges"])
        self.n_retired_ = int(state["n_retired"])
        self.due_time_ = float(state["due_time"])
        self.due_pos_ = state["due_pos"]  # an int, or -inf before any event
        # consolidation state (format 2; a migrated format-1 state has none yet)
        self.consolidated_pos_ = int(state.get("consolidated_pos", self.position_))
        self.quick_pos_ = int(state.get("quick_pos", self.consolidated_pos_))
        self.quick_time_ = float(state.get("quick_time", self.now_))
        if "merge_ids" in state:
            mterms: list[str] = state["merge_terms"]
            mweights = state["merge_weights"].tolist()
            k = 0
            for (a, sv, size, nt), (t, sim) in zip(
                state["merge_ids"].tolist(), state["merge_floats"].tolist(), strict=True
            ):
                self.merge_log_[a] = Merge(a, sv, t, sim, size, tuple(mterms[k : k + nt]), tuple(mweights[k : k + nt]))
                k += nt
            self.apart_ = {(a, b) for a, b in state["apart"].tolist()}
        if "stray_keys" in state:
            sterms: list[str] = state["stray_terms"]
            sweights = state["stray_weights"].tolist()
            k = 0
            for key, e, t, nt in zip(
                state["stray_keys"],
                state["stray_events"].tolist(),
                state["stray_times"].tolist(),
                state["stray_n_terms"].tolist(),
                strict=True,
            ):
                vector = dict(zip(sterms[k : k + nt], sweights[k : k + nt], strict=True))
                k += nt
                self.strays_[key] = (e, t, vector)
                for term in vector:
                    self.stray_terms_.setdefault(term, []).append(key)
                    self.stray_indexed_ += 1
        if "stray_seen_keys" in state:
            evs_, sizes_ = state["stray_seen_events"].tolist(), state["stray_seen_sizes"].tolist()
            k = 0
            for key, n in zip(state["stray_seen_keys"], state["stray_seen_n"].tolist(), strict=True):
                self.stray_seen_[key] = dict(zip(evs_[k : k + n], sizes_[k : k + n], strict=True))
                k += n
            top_terms: list[str] = state["stray_top_terms"]
            k = 0
            for e, size, n in zip(
                state["stray_top_events"].tolist(),
                state["stray_top_sizes"].tolist(),
                state["stray_top_n"].tolist(),
                strict=True,
            ):
                self.stray_tops_[e] = (size, frozenset(top_terms[k : k + n]))
                k += n
        return self

    # ------------------------------------------------------------------ internals

    def _vector(self, tokens: Sequence[str]) -> dict[str, float]:
        """Unit-length TF-IDF vector with event-level IDF over the live events."""
        postings = self.postings_
        # +2: smoothed so that a term in every live event keeps a small positive weight
        n = len(self.events_) + 2.0
        log = math.log
        vec: dict[str, float] = {}
        if len(tokens) > 32:  # a long text: count first, one IDF per distinct term
            for t, c in Counter(tokens).items():
                p = postings.get(t)
                vec[t] = c * log(n / (len(p) + 1.0) if p else n)
        else:
            for t in tokens:
                w = vec.get(t)
                if w is None:
                    p = postings.get(t)
                    vec[t] = log(n / (len(p) + 1.0) if p else n)
                else:  # a repeated term: one more IDF (term frequency times IDF)
                    p = postings.get(t)
                    vec[t] = w + log(n / (len(p) + 1.0) if p else n)
        k = self.max_item_terms
        if len(vec) > k:  # its heaviest terms carry a long text: the state it leaves is bounded
            kth = sorted(vec.values(), reverse=True)[k - 1]
            heavy = {t: w for t, w in vec.items() if w > kth}
            for t, w in vec.items():  # ties at the k-th weight: the first in the text
                if len(heavy) >= k:
                    break
                if w == kth:
                    heavy[t] = w
            vec = heavy
        inv = 1.0 / math.sqrt(sum(w * w for w in vec.values()))
        return {t: w * inv for t, w in vec.items()}

    def _scores(self, vector: dict[str, float], exclude: int = -1, cap: int = 0) -> dict[int, float]:
        """Dot products with the centroids of events sharing a term (inverted index, bounded scan)."""
        postings = self.postings_
        cap = cap or self.max_scan
        acc: dict[int, float] | None = None
        for t, w in vector.items():
            p = postings.get(t)
            if not p:
                continue
            # Most recently active events first; an old event beyond the cap is unlikely to win.
            items = reversed(p.items())
            scan = items if len(p) <= cap else islice(items, cap)
            if acc is None:
                acc = {e: w * cw for e, cw in scan}  # first term: a comprehension is much faster
            else:
                get = acc.get
                for e, cw in scan:
                    acc[e] = get(e, 0.0) + w * cw
        if acc is None:
            return {}
        acc.pop(exclude, None)
        return acc

    def _best(self, scores: dict[int, float], norm: float, floor: float, pos: int, now: float) -> tuple[int, float]:
        """The candidate with the highest decayed cosine at or above ``floor``, or ``(-1, 0.0)``."""
        events = self.events_
        best, best_sim = -1, floor
        exp = math.exp
        tau = self.decay_items
        tau_s = self.decay_seconds
        for e, dot in scores.items():
            event = events[e]
            cos = dot / (norm * event.norm)
            if cos < best_sim:
                continue  # decay only lowers it: cannot win
            sim = cos * exp((event.last_pos - pos) / tau)
            if tau_s is not None:
                sim *= exp((event.last_time - now) / tau_s)
            if sim > best_sim or (sim == best_sim and (best < 0 or e < best)):
                best, best_sim = e, sim
        return (best, best_sim) if best >= 0 else (-1, 0.0)

    def _open(self, vector: dict[str, float], now: float, pos: int) -> int:
        eid = self.next_id_
        self.next_id_ = eid + 1
        norm2 = 0.0
        postings = self.postings_
        for t, w in vector.items():
            norm2 += w * w
            p = postings.get(t)
            if p is None:
                postings[t] = {eid: w}
            else:
                p[eid] = w
        self.events_[eid] = _Event(dict(vector), norm2, math.sqrt(norm2), 1, now, now, pos)
        return eid

    def _join(self, eid: int, vector: dict[str, float], now: float, pos: int) -> _Event:
        event = self.events_.pop(eid)
        self.events_[eid] = event  # most recent activity last
        self._add_into(eid, event, vector)
        event.size += 1
        event.last_time = now
        event.last_pos = pos
        return event

    def _add_into(self, eid: int, event: _Event, vector: dict[str, float]) -> None:
        """Add a weighted term vector into an event's centroid and its postings."""
        centroid = event.centroid
        postings = self.postings_
        norm2 = event.norm2
        for t, w in vector.items():
            old = centroid.get(t, 0.0)
            new = old + w
            centroid[t] = new
            norm2 += new * new - old * old
            p = postings.get(t)
            if p is None:
                postings[t] = {eid: new}
            else:
                p.pop(eid, None)
                p[eid] = new  # move to the recent end of the posting list
        event.norm2 = norm2
        event.norm = math.sqrt(norm2)
        if len(centroid) > 2 * self.max_terms:
            self._prune(eid, event)

    def _prune(self, eid: int, event: _Event) -> None:
        """Keep the ``max_terms`` heaviest terms of a centroid, so a huge event stays small."""
        keep = _top_terms(event.centroid, self.max_terms)
        kept = {t: event.centroid[t] for t in keep}
        for t in event.centroid:
            if t not in kept:
                self._unpost(t, eid)
        event.centroid = kept
        event.norm2 = sum(w * w for w in kept.values())
        event.norm = math.sqrt(event.norm2)

    def _unpost(self, term: str, eid: int) -> None:
        p = self.postings_.get(term)
        if p is not None:
            p.pop(eid, None)
            if not p:
                del self.postings_[term]

    def _second_chance(self, eid: int, now: float, pos: int) -> tuple[int, int]:
        """Compare a young event's centroid with the others; merge with the best if close enough.

        Returns ``(survivor, absorbed)``, or ``(eid, -1)`` when nothing merged.
        """
        assert self.merge_threshold is not None
        events = self.events_
        event = events[eid]
        # The heaviest terms carry the profile; scanning them all would cost as much as the event.
        top = _top_terms(event.centroid, 20)
        query = {t: event.centroid[t] for t in top}
        scores = self._scores(query, exclude=eid)
        best, sim = self._best(scores, event.norm, self.merge_threshold, pos, now)
        if (
            best >= 0
            and sim < _WEAK_JOIN
            and self.consolidate_threshold is not None
            and events[best].size >= _CONTINUED_MIN_SIZE
        ):
            # a weak likeness to a big event yields to the event that holds the fragment's words
            # (a story's sub-topic, "加开…还没去的抓紧", is not the chatter it shares 周末 with)
            holder, _ = self._stray_holder(query, eid, event.first_time, now, whole=True)
            if holder >= 0:
                best = holder
        if best < 0 or (self.apart_ and (min(best, eid), max(best, eid)) in self.apart_):
            return eid, -1
        other = events[best]
        # The larger event survives (the older one on a tie): its id is the one users have seen most.
        if (other.size, -best) > (event.size, -eid):
            survivor, absorbed = best, eid
        else:
            survivor, absorbed = eid, best
        self._merge(survivor, absorbed)
        return survivor, absorbed

    def _merge(self, survivor: int, absorbed: int) -> None:
        events = self.events_
        gone = events.pop(absorbed)
        for t in gone.centroid:
            self._unpost(t, absorbed)
        keep = events.pop(survivor)
        events[survivor] = keep  # the merge is activity: most recent last
        self._add_into(survivor, keep, gone.centroid)
        keep.size += gone.size
        if gone.entities:
            _count_entities(keep, [x for x, n in gone.entities.items() for _ in range(n)])
        keep.first_time = min(keep.first_time, gone.first_time)
        keep.last_time = max(keep.last_time, gone.last_time)
        keep.last_pos = max(keep.last_pos, gone.last_pos)
        for a in (absorbed, *gone.absorbed):
            self.aliases_[a] = survivor
            keep.absorbed.append(a)
        self.n_merges_ += 1

    def _quick_due(self, now: float, pos: int) -> bool:
        """A quick pass every ``consolidate_seconds`` of stream time (and ≥ 50 items): on a quiet
        stream (a county's few hundred posts a day) a new fragment would otherwise wait days."""
        wait = self.consolidate_seconds
        if wait is None or pos - self.quick_pos_ < _MIN_PASS_ITEMS:
            return False
        if self.quick_time_ == -math.inf:
            self.quick_time_ = now
        return now - self.quick_time_ >= wait

    def _consolidate(self, now: float, pos: int, *, quick: bool = False) -> tuple[Merge, ...]:
        """The periodic pass: merge fragments of one story among the events active since the last one.

        A ``quick`` pass checks only the events never checked before (new fragments), since the
        previous quick pass; the full pass also checks again the events that grew by a quarter.
        """
        since = self.quick_pos_ if quick else self.consolidated_pos_
        self.quick_pos_, self.quick_time_ = pos, now
        if not quick:
            self.consolidated_pos_ = pos
        events = self.events_
        min_size = self.consolidate_min_size
        active: list[int] = []
        for eid in reversed(events):  # most recent activity first; stop at the previous pass
            recent = events[eid]
            if recent.last_pos < since:
                break
            # checked again once it has grown by a quarter: a big story touched by one more item
            # per pass is not compared again and again
            if recent.size >= min_size and (recent.checked == 0 if quick else 4 * recent.size >= 5 * recent.checked):
                active.append(eid)
        ctx = _PassContext()
        merges: list[Merge] = []
        for eid in active:
            ev = events.get(eid)
            if ev is None:  # absorbed earlier in this pass
                continue
            ev.checked = ev.size
            best, best_sim = self._partner(eid, ev, ctx, min_size)
            if best >= 0:
                merges.append(self._consolidation_merge(eid, best, best_sim, now, ctx))
        if self.strays_:
            self._rehome(since, now)
        return tuple(merges)

    def _keep_stray(self, key: str, eid: int, now: float, vector: dict[str, float]) -> None:
        """Keep a weak join for a later look (:meth:`_rehome`), indexed by its terms."""
        strays = self.strays_
        strays.pop(key, None)
        strays[key] = (eid, now, vector)
        index = self.stray_terms_
        for t in vector:
            index.setdefault(t, []).append(key)
            self.stray_indexed_ += 1
        if len(strays) > _STRAYS_MAX:
            del strays[next(iter(strays))]

    def _rehome(self, since: int, now: float) -> None:
        """Move posts placed earlier to the event that has come to hold their words (decision 0128).

        A story's first posts can join an event of everyday chatter before the story has an event
        (nothing else to join; a few everyday words in common), and their copies and replies follow
        them there. Once the story's event exists, the test a new post faces (:meth:`_holder`) would
        send them to it. Each pass looks again at the weak joins kept (:meth:`_keep_stray`) that share
        one of the 30 heaviest terms of an event of ≥ 20 items active since the previous pass, a term
        no third event has (a move needs such a word) — at most ``_STRAYS_PER_PASS``, the most
        recent first, and only when that event has grown by a quarter since it last asked for
        them — and moves a post when another event holds its words (:meth:`_stray_holder`). The move is recorded as a
        :class:`Move` (``pending_moves_``); the post's vector leaves its event's centroid and joins
        the other's.
        """
        events, strays = self.events_, self.strays_
        horizon = now - self.window_seconds
        while strays:  # forget those older than a window
            first = next(iter(strays))
            if strays[first][1] >= horizon:
                break
            del strays[first]
        index = self.stray_terms_
        if self.stray_indexed_ > 8 * len(strays) + 64:  # mostly keys of strays gone: built again
            index.clear()
            for k, (_, _, vector) in strays.items():
                for t in vector:
                    index.setdefault(t, []).append(k)
            self.stray_indexed_ = sum(len(v) for v in index.values())
        if not strays:
            return
        wanted: dict[str, list[int]] = {}  # stray -> the events that want a look at it
        cap = 4 * self.max_scan
        postings = self.postings_
        tops = self.stray_tops_
        for eid in reversed(events):
            ev = events[eid]
            if ev.last_pos < since:
                break
            if ev.size < _CONTINUED_MIN_SIZE:
                continue
            top = tops.get(eid)  # its heaviest terms, computed again once it has grown by a quarter
            if top is None or 4 * ev.size >= 5 * top[0]:
                top = tops[eid] = (ev.size, frozenset(_top_terms(ev.centroid, 30)))
            for t in top[1]:
                # a stray moves only with a word no event but its own and the other has: looked up
                # by such words alone; the most recent ones (a bounded scan, as the index's), not
                # the strays it holds already (they are where its words are)
                found = index.get(t)
                if found is None or len(postings.get(t, ())) != 2:
                    continue
                for k in found[-cap:]:
                    if k in strays and strays[k][0] != eid:
                        wanted.setdefault(k, []).append(eid)
        if len(tops) > 2 * len(events):  # forget retired and merged events now and then
            self.stray_tops_ = {e: v for e, v in tops.items() if e in events}
        if not wanted:
            return
        seen = self.stray_seen_
        if len(seen) > 2 * len(strays) + 64:
            self.stray_seen_ = seen = {k: v for k, v in seen.items() if k in strays}
        keys: list[str] = []
        for k in sorted(wanted, key=lambda k: (-strays[k][1], k)):  # the most recent first
            asking = wanted[k]
            # looked at again only when one of the events asking has grown by a quarter since
            sizes = seen.setdefault(k, {})
            fresh = False
            for e in asking:
                size = events[e].size
                if 4 * size >= 5 * sizes.get(e, 0) + 1:
                    sizes[e] = size
                    fresh = True
            if fresh:
                keys.append(k)
                if len(keys) >= _STRAYS_PER_PASS:
                    break
        for k in keys:
            eid, t_item, vector = strays[k]
            cur = self.resolve(eid)
            if cur is None:  # its event retired
                del strays[k]
                continue
            target, share = self._stray_holder(vector, cur, t_item, now)
            if target < 0:
                continue
            del strays[k]
            src, dst = events[cur], events[target]
            self._subtract(cur, src, vector)
            src.size -= 1
            self._add_into(target, dst, vector)
            dst.size += 1
            dst.first_time = min(dst.first_time, t_item)
            self.pending_moves_.append(Move(k, cur, target, now, round(share, 6)))

    def _stray_holder(
        self, vector: dict[str, float], cur: int, t_item: float, now: float, *, whole: bool = False
    ) -> tuple[int, float]:
        """The event other than ``cur`` that holds a post's words, as :meth:`_holder` judges a new
        post, the post's own weight in ``cur`` left out.

        Of each word's weight in the index one live event of ≥ 20 items holds ≥ 60 %; those words
        carry ≥ 80 % of the post's IDF²-weighted vector, at least two of them, one a word no event
        but that one (and ``cur``) has — as :meth:`_by_containment` asks of a fragment: everyday
        thanks (辛苦了, 点个赞) that a water outage's event happens to hold are in other events of
        chatter too. That event must be active within ``decay_seconds`` of now, have begun no later
        than ``decay_seconds`` after the post (the post is about the story as it began, not a
        remark from before it), and not be kept apart from ``cur``. With ``whole``, ``vector`` is
        the profile of the young event ``cur`` (decision 0129): all of ``cur``'s weight is left
        out. Returns ``(event, share held)`` or ``(-1, 0.0)``.
        """
        events, postings = self.events_, self.postings_
        if events[cur].size <= 1:  # the post is all its event has: nothing to move out of
            return -1, 0.0
        n = len(events) + 2.0
        log = math.log
        cap = 4 * self.max_scan
        total = 0.0
        held: dict[int, float] = {}
        count: dict[int, int] = {}
        only: set[int] = set()
        for t, w in vector.items():
            p = postings.get(t)
            if not p:
                continue
            x = log(n / (len(p) + 1.0))
            x = w * x * x
            total += x
            if len(p) > cap:
                continue
            own = p.get(cur, 0.0) if whole else min(w, p.get(cur, 0.0))
            rest = sum(p.values()) - own
            e1, w1 = -1, 0.0
            for e, y in p.items():
                if e != cur and (y > w1 or (y == w1 and e < e1)):
                    e1, w1 = e, y
            if e1 >= 0 and rest > 0 and w1 >= _HELD_SHARE * rest and events[e1].size >= _CONTINUED_MIN_SIZE:
                held[e1] = held.get(e1, 0.0) + x
                count[e1] = count.get(e1, 0) + 1
                if len(p) == 1 or (len(p) == 2 and cur in p):  # a word no other event has
                    only.add(e1)
        if not held or total <= 0:
            return -1, 0.0
        e = max(held, key=lambda k: (held[k], -k))
        share = held[e] / total
        if share < _SATELLITE_SHARE or count[e] < 2 or e not in only or (min(e, cur), max(e, cur)) in self.apart_:
            return -1, 0.0
        tau_s = self.decay_seconds
        other = events[e]
        if tau_s is not None and (now - other.last_time > tau_s or other.first_time - t_item > tau_s):
            return -1, 0.0
        return e, share

    def _partner(
        self, eid: int, ev: _Event, ctx: _PassContext, min_other: int, after: float = -math.inf
    ) -> tuple[int, float]:
        """The live event ``ev`` is a fragment of (or that is a fragment of it), or ``(-1, 0.0)``.

        Candidates: the 3 events of ≥ ``min_other`` items with the highest dot product with ``ev``'s
        30 heaviest terms (through the index, 4 × ``max_scan`` per term). Each is scored by the
        IDF-weighted cosine of the full centroids (:meth:`_specific_cosine`), decayed in positions
        and in the time gap between the two events' spans; the best at ≥ ``consolidate_threshold``
        wins. Failing that, a shared dominant hashtag or account (:meth:`_by_entity`).
        """
        threshold = self.consolidate_threshold
        assert threshold is not None
        events = self.events_
        exp = math.exp
        tau = self.decay_items
        # a continuation after a lull (``after`` given) is judged on a gentler decay in the gap
        tau_gap = self._gap_tau() if after > -math.inf else self.decay_seconds
        query = {t: ev.centroid[t] for t in _top_terms(ev.centroid, 30)}
        scores = self._scores(query, exclude=eid, cap=4 * self.max_scan)
        shortlist = heapq.nlargest(
            3, ((d, e) for e, d in scores.items() if events[e].size >= min_other and events[e].first_time > after)
        )
        best, best_sim = -1, threshold
        for dot, e in shortlist:
            other = events[e]
            # cheap screen: the plain cosine of the heaviest terms must be within reach
            if dot < 0.5 * threshold * ev.norm * other.norm or (min(e, eid), max(e, eid)) in self.apart_:
                continue
            sim = self._specific_cosine(eid, e, ctx.idf, ctx.norms)
            sim *= exp(-abs(ev.last_pos - other.last_pos) / tau)
            if tau_gap is not None:
                gap = max(ev.first_time, other.first_time) - min(ev.last_time, other.last_time)
                if gap > 0:
                    sim *= exp(-gap / tau_gap)
            # a settled profile against another needs more than a fragment's few items do
            if sim < threshold * _settled(min(ev.size, other.size)):
                continue
            if sim > best_sim or (sim == best_sim and 0 <= e < best):
                best, best_sim = e, sim
        if best < 0 and ev.entities and after == -math.inf:
            best, best_sim = self._by_entity(eid, ev, ctx, self.decay_seconds)
        if best < 0 and after == -math.inf:
            best, best_sim = self._by_romanisation(eid, ev, ctx, self._gap_tau())
        if best < 0 and after == -math.inf and ev.size < _SATELLITE_MAX_SIZE:
            best, best_sim = self._by_containment(eid, ev, ctx, self.decay_seconds)
        return best, best_sim

    def _holder(self, vector: dict[str, float], best: int, now: float) -> int:
        """The large event that holds an item's words, when it is not the one the item is closest to.

        A story's post that shares only everyday words (晚上, 好多, 周末) with a big event of everyday
        chatter can be closer to that diffuse event than to its story's profile (a few of its words
        among many): it would join the chatter, and its copies would follow it. Its distinctive words
        tell otherwise: of each of its words' weight in the index one live event of ≥ 20 items holds
        ≥ 60 %, and those words carry ≥ 80 % of the item's vector weighted by the square of their
        event-level IDF (:meth:`_by_containment` for an item), at least two of them, the event active
        within ``decay_seconds``. Asked only for a weak join (decayed cosine < ``_WEAK_JOIN``) to an
        event of ≥ 20 items. A word of more than ``4 * max_scan`` live events counts as held by none
        (it weighs little, and the scan per item stays bounded). Returns that event, or -1 when there
        is none or it is ``best``.
        """
        events, postings = self.events_, self.postings_
        n = len(events) + 2.0
        log = math.log
        cap = 4 * self.max_scan
        total = 0.0
        held: dict[int, float] = {}
        count: dict[int, int] = {}
        for t, w in vector.items():
            p = postings.get(t)
            if not p:
                continue
            x = log(n / (len(p) + 1.0))
            x = w * x * x
            total += x
            if len(p) == 1:
                e1 = next(iter(p))
            elif len(p) > cap:  # a word of very many events: counted as held by none (cost bounded)
                continue
            else:
                e1 = max(p, key=p.__getitem__)
                if p[e1] < _HELD_SHARE * sum(p.values()):
                    continue
            if events[e1].size >= _CONTINUED_MIN_SIZE:
                held[e1] = held.get(e1, 0.0) + x
                count[e1] = count.get(e1, 0) + 1
        if not held or total <= 0:
            return -1
        e = max(held, key=lambda k: (held[k], -k))
        if e == best or held[e] < _SATELLITE_SHARE * total or count[e] < 2:
            return -1
        tau_s = self.decay_seconds
        if tau_s is not None and now - events[e].last_time > tau_s:
            return -1
        return e

    def _by_containment(self, eid: int, ev: _Event, ctx: _PassContext, tau_s: float | None) -> tuple[int, float]:
        """The large event a small fragment is a satellite of: the one that holds its words.

        A fragment of a story told in other words (a sub-topic: ``工期说一个月``, ``门票免费``) shares
        few of its words with the story's whole profile — its cosine to the story is as low as
        everyday chatter's — but the words it has are ones the story's event *holds*: of the weight
        of each such word in the index (outside the fragment), one live event has ≥ 60 %. Weighted
        like :meth:`_specific_cosine` (each of the fragment's 10 heaviest terms by its weight times
        the square of its event-level IDF, so words every event has count little), ≥ 80 % of the
        fragment's profile must be on words held by the same event, at least two of them, one of them
        a word no other live event has (a story's sub-topic shares a word with the story alone;
        everyday chatter that a story's event happens to hold the words of — thanks to the repair
        crew, 辛苦了 — has its words in other chatter events too). The event must be at least
        ``_SATELLITE_RATIO`` times the fragment's size and ≥ 20 items (a story, not a peer), within a
        day of it (``tau_s``), and not kept apart from it. Measured on demo streams (seeds 11, 23,
        42): fragments of a story 0.82–1.0, everyday chatter against a story ≤ 0.65 — up to 0.94
        once a story's event has taken in some of that chatter (seed 1), which the word of their
        own stops in most cases. Returns ``(event, the share held)`` or ``(-1, 0.0)``.
        """
        events, postings = self.events_, self.postings_
        idf, owners = ctx.idf, ctx.owners
        n = len(events) + 2.0
        log = math.log
        min_size = max(_CONTINUED_MIN_SIZE, _SATELLITE_RATIO * ev.size)
        only: dict[int, bool] = {}
        total = 0.0
        held: dict[int, float] = {}
        count: dict[int, int] = {}
        for t in _top_terms(ev.centroid, 10):
            p = postings.get(t)
            if not p:
                continue
            x = idf.get(t)
            if x is None:
                x = idf[t] = log(n / (len(p) + 1.0))
            w = ev.centroid[t] * x * x
            total += w
            if len(p) < 2:
                continue  # only the fragment has it
            owner = owners.get(t)
            if owner is None:  # its two largest holders and its total weight, once per pass (until a merge)
                top2 = heapq.nlargest(2, p.items(), key=lambda kv: kv[1])
                owner = owners[t] = (top2[0][0], top2[0][1], top2[1][0], top2[1][1], sum(p.values()))
            e1, w1, e2, w2, mass = owner
            if e1 == eid:  # the fragment's own word: its holder is the other largest one
                e1, w1 = e2, w2
            rest = mass - p.get(eid, 0.0)
            if rest > 0 and w1 >= _HELD_SHARE * rest and events[e1].size >= min_size:
                held[e1] = held.get(e1, 0.0) + w
                count[e1] = count.get(e1, 0) + 1
                if len(p) == 2:  # a word only the two have
                    only[e1] = True
        if not held or total <= 0:
            return -1, 0.0
        best = max(held, key=lambda e: (held[e], -e))
        share = held[best] / total
        if (
            share < _SATELLITE_SHARE
            or count[best] < 2
            or not only.get(best)
            or (min(best, eid), max(best, eid)) in self.apart_
        ):
            return -1, 0.0
        other = events[best]
        if tau_s is not None and max(ev.first_time, other.first_time) - min(ev.last_time, other.last_time) > tau_s:
            return -1, 0.0
        return best, share

    def _by_romanisation(self, eid: int, ev: _Event, ctx: _PassContext, tau_gap: float | None) -> tuple[int, float]:
        """The Chinese event an English (Latin-script) event is about, through the pinyin of its words.

        ``ev`` must be mostly Latin (≥ 2/3 of the weight of its 10 heaviest terms). One of those
        must be the pinyin of one of the 30 heaviest terms of a live, mostly Chinese event of
        ≥ 20 items (``liuwan`` ↔ ``柳湾``, ``binhe`` ↔ ``滨河路``), a Chinese
        word that event holds ≥ 60 % of the weight of in the whole index — ``青禾``, the county's
        name in every event, names no story. The event whose such words carry the most of ``ev``'s
        heaviest terms wins, if the two are within the window of each other. Returns
        ``(event, share of ev's top terms that matched)`` or ``(-1, 0.0)``.
        """
        top = [(t, ev.centroid[t]) for t in _top_terms(ev.centroid, 10)]
        if _han_share(dict(top)) > 1.0 / 3.0:
            return -1, 0.0
        mass = sum(w for _, w in top)
        index = self._romanised_index(ctx)
        if not index or mass <= 0:
            return -1, 0.0
        events, postings = self.events_, self.postings_
        score: dict[int, float] = {}
        for t, w in top:
            if len(t) < 4 or not t.isascii() or not t.isalpha():
                continue
            for han in index.get(t, ()):
                holders = postings.get(han)
                if not holders:
                    continue
                owner = max(holders, key=holders.__getitem__)
                if owner == eid or 10 * holders[owner] < 6 * sum(holders.values()):
                    continue
                if owner in ctx.han_events and (min(owner, eid), max(owner, eid)) not in self.apart_:
                    score[owner] = score.get(owner, 0.0) + w / mass
        best, best_score = -1, 0.0
        for e, x in score.items():
            other = events[e]
            if (
                tau_gap is not None
                and max(ev.first_time, other.first_time) - min(ev.last_time, other.last_time) > tau_gap
            ):
                continue
            if x > best_score or (x == best_score and e < best):
                best, best_score = e, x
        return best, best_score

    def _romanised_index(self, ctx: _PassContext) -> dict[str, list[str]]:
        """pinyin → the Chinese words it spells, over the 30 heaviest terms of the live, mostly
        Chinese events of ≥ 20 items — a story an English post names has posts of its own; the
        many small events of a stream are left out, the index is built once per pass, when needed."""
        if ctx.romanised is None and self.position_ - self.romanised_at_ < self.consolidate_every:
            ctx.romanised, ctx.han_events = self.romanised_  # built a moment ago: still good enough
        if ctx.romanised is None:
            ctx.romanised = {}
            cache = self.han_top_
            for e, other in self.events_.items():
                if other.size < _ROMANISED_MIN_SIZE:
                    continue
                # an event's heaviest Chinese words, computed again once it has grown by a quarter
                seen = cache.get(e)
                if seen is None or 4 * other.size >= 5 * seen[0]:
                    top = _top_terms(other.centroid, 30)
                    mostly_han = _han_share({t: other.centroid[t] for t in top}) >= 2.0 / 3.0
                    seen = cache[e] = (other.size, tuple(top) if mostly_han else ())
                if not seen[1]:
                    continue
                ctx.han_events.add(e)
                for t in seen[1]:
                    for form in romanised(t):
                        words = ctx.romanised.setdefault(form, [])
                        if t not in words:
                            words.append(t)
            if len(cache) > 2 * len(self.events_):  # forget retired and merged events now and then
                self.han_top_ = {e: v for e, v in cache.items() if e in self.events_}
            self.romanised_, self.romanised_at_ = (ctx.romanised, ctx.han_events), self.position_
        return ctx.romanised

    def _gap_tau(self) -> float | None:
        """E-folding time of the decay in the gap between a retiring event and its continuation
        (and the window for an English fragment's story).

        A story can go quiet for a day or two and then go on, while the item-level
        ``decay_seconds`` (a day) would all but forbid joining the two: the gap is decayed with
        twice the window (how long an idle event stays open), so a gap of a whole window costs 40 %.
        The periodic passes keep ``decay_seconds`` (a gentler decay there merged more of CED's small
        events than its cascades allow: text-only NMI 0.6967 → 0.6931 on the first 100k).
        ``None`` when the clusterer does not decay in time.
        """
        return None if self.decay_seconds is None else max(self.decay_seconds, 2.0 * self.window_seconds)

    def _consolidation_merge(self, eid: int, best: int, sim: float, now: float, ctx: _PassContext) -> Merge:
        """Merge the smaller of two events into the larger, with a :class:`Merge` record."""
        events = self.events_
        ev, other = events[eid], events[best]
        if (other.size, -best) > (ev.size, -eid):
            survivor, absorbed = best, eid
        else:
            survivor, absorbed = eid, best
        gone = events[absorbed]
        terms = _top_terms(gone.centroid, self.max_terms)
        rec = Merge(absorbed, survivor, now, round(sim, 6), gone.size, tuple(terms),
                    tuple(gone.centroid[t] for t in terms))  # fmt: skip
        self._merge(survivor, absorbed)
        ctx.norms.pop(survivor, None)
        ctx.owners.clear()  # the merge moved weight between holders
        for a, r in list(self.merge_log_.items()):  # earlier merges into the absorbed one follow it
            if r.survivor == absorbed:
                self.merge_log_[a] = Merge(a, survivor, r.time, r.similarity, r.size, r.terms, r.weights)
        self.merge_log_[absorbed] = rec
        return rec

    def _by_entity(self, eid: int, ev: _Event, ctx: _PassContext, tau_s: float | None) -> tuple[int, float]:
        """The event that shares ``ev``'s dominant hashtag or account, when few events hold it.

        The entity must be ``ev``'s most frequent (≥ 3 times, ≥ a tenth of its items); the other
        event must hold it at least as often, and the two together must hold ≥ 60 % of its
        occurrences in live events — a tag every event carries (#我的家乡#) names no story. And the
        other event must be about it: the entity at least twice as frequent on its items as on all
        live events' — a blob of everyday chatter that gathered most of a common tag (#青禾美食#)
        holds it at about the rate everyone does, and is not the story the tag names.
        Returns ``(event, 0.0)`` or ``(-1, 0.0)``.
        """
        name, count = max(ev.entities.items(), key=lambda kv: (kv[1], kv[0]))
        if count < 3 or 10 * count < ev.size:
            return -1, 0.0
        holders = ctx.holders
        if not holders:
            holders["\x00"] = []  # built
            min_size = self.consolidate_min_size
            for e, other in self.events_.items():
                if other.size >= min_size:
                    ctx.live_items += other.size
                    for x, n in other.entities.items():
                        holders.setdefault(x, []).append((e, n))
        held = holders.get(name, [])
        events = self.events_
        best, best_n, total = -1, 0, 0
        for e, n in held:
            if e not in events:
                continue
            total += n
            if e != eid and n >= count and n > best_n and (min(e, eid), max(e, eid)) not in self.apart_:
                best, best_n = e, n
        if best < 0 or 10 * (count + best_n) < 6 * total:
            return -1, 0.0
        other = events[best]
        if best_n * ctx.live_items < 2 * total * other.size:  # rate on its items < 2 × the overall rate
            return -1, 0.0
        if tau_s is not None and max(ev.first_time, other.first_time) - min(ev.last_time, other.last_time) > tau_s:
            return -1, 0.0
        return best, 0.0

    def _specific_cosine(self, ea: int, eb: int, idf: dict[str, float], norms: dict[int, float]) -> float:
        """Cosine of two events' centroids with each term weighted again by its current event-level
        IDF, so that words every event has (周末, 孩子) count less than the words of one story
        (荷花节). ``idf`` and ``norms`` are caches for one pass."""
        n = len(self.events_) + 2.0
        postings = self.postings_
        log = math.log

        def weight(t: str) -> float:
            x = idf.get(t)
            if x is None:
                x = idf[t] = log(n / (len(postings.get(t, ())) + 1.0))
            return x

        def norm(e: int) -> float:
            x = norms.get(e)
            if x is None:
                x = norms[e] = math.sqrt(sum((w * weight(t)) ** 2 for t, w in self.events_[e].centroid.items()))
            return x

        a, b = self.events_[ea].centroid, self.events_[eb].centroid
        if len(a) > len(b):
            a, b = b, a
        dot = 0.0
        for t, w in a.items():
            y = b.get(t)
            if y is not None:
                x = weight(t)
                dot += w * y * x * x
        na, nb = norm(ea), norm(eb)
        return dot / (na * nb) if na > 0 and nb > 0 else 0.0

    def _retire_due(self, now: float, pos: int) -> tuple[RetiredEvent, ...]:
        """Retire events idle beyond the window; the LRU order means we only look at the front."""
        events = self.events_
        out: list[RetiredEvent] = []
        min_time = now - self.window_seconds
        min_pos = pos - self.window_items
        postings = self.postings_
        ctx: _PassContext | None = None
        while events:
            eid = next(iter(events))
            event = events[eid]
            if event.last_time >= min_time and event.last_pos >= min_pos:
                break
            if self.consolidate_threshold is not None and event.size >= _CONTINUED_MIN_SIZE:
                # A last chance before it leaves the index: a story that went quiet for a while and
                # then went on in a new event (begun after its last item) takes that event in.
                ctx = ctx or _PassContext()
                best, sim = self._partner(eid, event, ctx, _LAST_CHANCE_MIN_SIZE, after=event.last_time)
                if best >= 0:
                    self.pending_merges_.append(self._consolidation_merge(eid, best, sim, now, ctx))
                    continue
            keywords = tuple(self._specific_terms(event.centroid, 10))
            del events[eid]
            for t in event.centroid:
                p = postings[t]
                del p[eid]
                if not p:
                    del postings[t]
            for a in event.absorbed:
                self.aliases_.pop(a, None)
                self.merge_log_.pop(a, None)
            out.append(RetiredEvent(eid, keywords, event.size, event.first_time, event.last_time))
        self.n_retired_ += len(out)
        if out and self.apart_:
            self.apart_ = {(a, b) for a, b in self.apart_ if a in events and b in events}
        if events:
            front = events[next(iter(events))]
            self.due_time_ = front.last_time + self.window_seconds
            self.due_pos_ = front.last_pos + self.window_items
        else:
            self.due_time_ = self.due_pos_ = -math.inf
        return tuple(out)


def _han_share(centroid: dict[str, float]) -> float:
    """The share of a centroid's weight on terms written in Chinese characters."""
    total = han = 0.0
    for t, w in centroid.items():
        total += w
        if t and "\u3400" <= t[0] <= "\u9fff":
            han += w
    return han / total if total > 0 else 0.0


def _settled(size: int) -> float:
    """How much more than ``consolidate_threshold`` a merge needs when the smaller event has
    ``size`` items: 1× for a fragment of a few items, rising to 1.75× at 32 items and more.

    A fragment's centroid is a few posts, noisy: a weak likeness to a story is what a fragment of it
    looks like. Two events of dozens of items have settled profiles: two halves of one story share
    its words strongly (measured 0.27–0.41), two kinds of everyday chatter share a few common ones
    (0.15–0.19) and would chain into one blob at the plain threshold.
    """
    return 1.0 + 0.75 * min(size, _SETTLED_SIZE) / _SETTLED_SIZE


_SETTLED_SIZE = 32


def _top_terms(centroid: dict[str, float], k: int) -> list[str]:
    """Heaviest terms first; ties by the term itself so the order is deterministic."""
    if k <= 0:
        return []
    if len(centroid) <= k:
        ranked = [(-w, t) for t, w in centroid.items()]
    else:
        # Only the terms at least as heavy as the k-th weight can be among the k heaviest: sorting
        # the bare weights (in C) finds it, then only those terms are ranked — the same list as
        # heapq.nsmallest over every (-weight, term) pair, 2–4× faster on a 600-term centroid.
        kth = sorted(centroid.values(), reverse=True)[k - 1]
        ranked = [(-w, t) for t, w in centroid.items() if w >= kth]
    ranked.sort()
    return [t for _, t in ranked[:k]]
