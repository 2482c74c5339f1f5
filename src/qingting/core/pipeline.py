"""The listening pipeline: normalise → dedupe → cluster → score → sentiment, one pass, streaming.

>>> from qingting.core.types import Item
>>> p = Pipeline(PipelineConfig(seed=0))
>>> r = p.partial_fit([
...     Item("1", "柳湾镇今天全镇停水，什么时候恢复供水？", time=1_700_000_000),
...     Item("2", "柳湾镇今天全镇停水，什么时候恢复供水？", time=1_700_000_060),
...     Item("3", "转发微博", time=1_700_000_120, parent="1"),
... ])
>>> [a.duplicate_kind for a in r.assignments]
[None, <DuplicateKind.EXACT: 'exact'>, <DuplicateKind.REPOST: 'repost'>]
>>> len({a.event_id for a in r.assignments})
1

State lives in attributes ending with ``_``; :meth:`Pipeline.checkpoint` and
:meth:`Pipeline.from_checkpoint` (also called ``snapshot``/``restore``) carry it across a restart
in a versioned, non-executable format, so a worker continues the same events.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import orjson

from qingting.core.checkpoint import CheckpointError
from qingting.core.checkpoint import dump as checkpoint_dump
from qingting.core.checkpoint import load as checkpoint_load
from qingting.core.cluster import Merge, Move, OnlineClusterer, RetiredEvent
from qingting.core.dedupe import Deduper
from qingting.core.dedupe.deduper import PreparedTexts
from qingting.core.sentiment import Analyzer, default_analyzer, sentiment_text
from qingting.core.text import detect_language, fold, normalize, tokenize
from qingting.core.text.headline import headline, is_filler, only_hashtags, reactions_only
from qingting.core.text.segments import shared as shared_segments
from qingting.core.trends import MAX_BUCKETS, EventActivity, StreamBaseline, heat_score
from qingting.core.types import (
    Assignment,
    BatchResult,
    DuplicateKind,
    EventMerge,
    EventSummary,
    Item,
    ItemsMoved,
    SentimentLabel,
    TrendState,
)

__all__ = ["Pipeline", "PipelineConfig"]

CHECKPOINT_VERSION = 2
"""Format of :meth:`Pipeline.checkpoint`; bump it (with a migration in :data:`MIGRATIONS` where
possible) whenever the state written changes. 2: consolidation (its merge log) and bounded item
vectors (decision 0065)."""


def _migrate_1(state: dict[str, Any]) -> dict[str, Any]:
    """Format 1 → 2: no consolidation state yet; the clusterer starts its passes from here with the
    defaults, and there are no merges to undo."""
    state["clusterer"]["consolidated_pos"] = state["clusterer"]["position"]
    state["merged_events"] = []
    return state


MIGRATIONS: dict[int, Any] = {1: _migrate_1}  # format v -> function turning a decoded v state into v + 1
TITLE_CHARS = 60
SENTIMENT_CHARS = 512  # sentiment reads at most this much of a text: the work per item is bounded
SENTIMENT_TAIL = 128  # … of which the close of a long text
SHORT_CHARS = 24  # posts this short are checked for content of their own (``顶``, ``同问``)
MIN_JOIN_CHARS = 6  # a duplicate shorter than this is marked, but not joined to its original's event
MAX_RETIRED = 10_000  # retired event summaries kept for lookups; older ones live in the caller's store


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    """Settings of one pipeline (one monitoring scheme). Defaults are the measured ones.

    ``dedupe_threshold`` — estimated Jaccard similarity of character shingles at which an item is a
    near-duplicate. ``window_seconds`` — how long an item can be matched as a duplicate and how
    long an idle event stays open. ``bucket_seconds`` — the time bucket for burst detection and
    timelines. ``neutral_band`` — positive probabilities inside it are labelled neutral.
    ``cluster`` — extra keyword arguments for :class:`~qingting.core.cluster.OnlineClusterer`.
    """

    dedupe_threshold: float | None = None
    window_seconds: float = 3 * 86400.0
    bucket_seconds: float = 1800.0
    neutral_band: tuple[float, float] = (0.4, 0.6)
    sentiment_model: str | None = None  # path of a model trained with `qingting sentiment train`
    seed: int = 0
    cluster: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.window_seconds <= 0:
            raise ValueError(f"window_seconds must be positive, got {self.window_seconds!r}")
        if self.bucket_seconds <= 0:
            raise ValueError(f"bucket_seconds must be positive, got {self.bucket_seconds!r}")
        lo, hi = self.neutral_band
        if not 0.0 <= lo <= hi <= 1.0:
            raise ValueError(f"neutral_band must satisfy 0 <= lo <= hi <= 1, got {self.neutral_band!r}")
        if self.dedupe_threshold is not None and not 0.0 < self.dedupe_threshold <= 1.0:
            raise ValueError(f"dedupe_threshold must be in (0, 1], got {self.dedupe_threshold!r}")


class _Event:
    """Book-keeping for one live event (what the clusterer does not know)."""

    __slots__ = (
        "activity",
        "dup_count",
        "engagement",
        "first_seen",
        "id",
        "item_count",
        "langs",
        "last_seen",
        "mainstream",
        "negative",
        "rep_id",
        "rep_score",
        "rep_title",
        "sent_sum",
        "sources",
    )

    def __init__(self, event_id: int, time: float, bucket_seconds: float) -> None:
        self.id = event_id
        self.first_seen = time
        self.last_seen = time
        self.item_count = 0
        self.dup_count = 0
        self.sources: set[str] = set()
        self.mainstream = 0
        self.engagement = 0
        self.sent_sum = 0.0
        self.negative = 0
        self.langs: dict[str, int] = {}
        self.rep_id = ""
        self.rep_title = ""
        self.rep_score = -1.0
        self.activity = EventActivity(time, bucket_seconds)

    def take_out(self, prob: float, negative: int, mainstream: int, engagement: int, lang: str, dup: int = 0) -> None:
        """Take one item's counts out of the figures (an analyst's split, an engine move); never
        below one item or zero of anything. Its activity stays where it was counted."""
        self.item_count = max(self.item_count - 1, 1)
        self.dup_count = max(self.dup_count - dup, 0)
        self.mainstream = max(self.mainstream - mainstream, 0)
        self.engagement = max(self.engagement - engagement, 0)
        self.sent_sum = max(self.sent_sum - prob, 0.0)
        self.negative = max(self.negative - negative, 0)
        left = self.langs.get(lang, 0) - 1
        if left > 0:
            self.langs[lang] = left
        else:
            self.langs.pop(lang, None)


class Pipeline:
    """One pass over a time-ordered stream of items; see the module docstring for an example.

    ``partial_fit(batch)`` returns one :class:`Assignment` per item, in input order, and a summary
    of every event the batch touched or retired. Items with no usable text still get an assignment
    (event ``None``) with a note saying why — nothing is dropped.
    """

    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        c = self.config
        dedupe_kw: dict[str, Any] = {"window_seconds": c.window_seconds, "seed": c.seed}
        if c.dedupe_threshold is not None:
            dedupe_kw["threshold"] = c.dedupe_threshold
        self.deduper_ = Deduper(**dedupe_kw)
        self.clusterer_ = OnlineClusterer(**{"window_seconds": c.window_seconds, "seed": c.seed, **c.cluster})
        self.baseline_ = StreamBaseline()
        self.events_: dict[int, _Event] = {}
        # retired event id -> its summary as compact JSON bytes (decoded by events(); checkpointed as
        # they are, so a checkpoint neither re-encodes nor decodes them)
        self.retired_: dict[int, bytes] = {}
        # recent item id -> event id, for duplicates and reposts; bounded by the window
        self.item_event_: dict[str, int] = {}
        self.item_canon_: dict[str, str] = {}
        self.recent_: deque[tuple[float, str]] = deque()
        self.now_ = -math.inf
        self.n_items_ = 0
        # absorbed event id -> its book-keeping when consolidation merged it (for split); bounded by
        # the clusterer's merge log
        self.merged_events_: dict[int, list[Any]] = {}
        # a weak join the clusterer may still move (decision 0128) -> its figures and those of its
        # copies and replies, which move with it: [item id, sentiment, negative, mainstream,
        # engagement, lang, duplicate, time] each; and each copy or reply -> that post
        self.strays_: dict[str, list[list[Any]]] = {}
        self.stray_root_: dict[str, str] = {}
        self._analyzer: Analyzer | None = None
        self._merges: list[EventMerge] = []
        self._moves: list[ItemsMoved] = []

    # -- public API -------------------------------------------------------------------------

    @property
    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = default_analyzer(self.config.sentiment_model)
        return self._analyzer

    @analyzer.setter
    def analyzer(self, analyzer: Analyzer | None) -> None:
        """Score the next items with ``analyzer`` (e.g. an organisation's active model; ``None``: the
        configured one). Items already placed keep their sentiment."""
        self._analyzer = analyzer

    def partial_fit(self, batch: Iterable[Item]) -> BatchResult:
        """Process one batch of items in order; return their assignments and the touched events."""
        items = list(batch)
        prepared = [self._prepare(it) for it in items]
        touched: dict[int, _Event] = {}
        retired: list[EventSummary] = []
        # signatures for the whole batch in one vectorised pass; matching stays item by item
        signed = self.deduper_.prepare([p.match for p in prepared])
        self._merges, self._moves = [], []
        assignments: list[Assignment] = []
        # In stretches of the batch, each text is segmented once for both the sentiment featuriser
        # and clustering (decision 0068): the stretch bounds the segmentations held at once. A
        # text's sentiment does not depend on the other texts it is scored with.
        for lo, hi in _stretches(prepared):
            part = prepared[lo:hi]
            with shared_segments() as segs:
                for p in part:
                    if p.sentiment_cut:  # a long text: its opening and close, joined (the featuriser reads "\n" as " ")
                        head, tail = SENTIMENT_CHARS - SENTIMENT_TAIL, SENTIMENT_TAIL
                        segs.prime(
                            p.match, p.sentiment_text.replace("\n", " "), extra=p.sentiment_extra, head=head, tail=tail
                        )
                    else:
                        segs.prime(p.match, p.sentiment_text, extra=p.sentiment_extra)
                probs = self._sentiment(part)
                assignments.extend(
                    self._assign(prep, prob, signed, lo + k, touched, retired)
                    for k, (prep, prob) in enumerate(zip(part, probs, strict=True))
                )
        self._retire(retired)
        live = {self.clusterer_.resolve(eid) for eid in touched}
        summaries = [self._summary(self.events_[eid]) for eid in live if eid is not None and eid in self.events_]
        merges, self._merges = tuple(self._merges), []
        moves, self._moves = tuple(self._moves), []
        return BatchResult(tuple(assignments), tuple(summaries + retired), merges, moves)

    def split(self, event_id: int) -> tuple[EventSummary, EventSummary]:
        """Undo the consolidation merge that absorbed ``event_id``: it is a live event again.

        Its counts at the time of the merge are taken back out of the survivor, and the two are
        kept apart from then on; items that arrived after the merge stay where they are (the
        survivor's activity timeline keeps them all). Returns ``(survivor, restored)`` summaries.
        Raises ``KeyError`` when ``event_id`` was not merged by consolidation or its survivor
        has retired.
        """
        state = self.merged_events_.get(event_id)
        if state is None:
            raise KeyError(f"event {event_id} has no consolidation merge on record with a live survivor")
        survivor = self.clusterer_.split(event_id)
        del self.merged_events_[event_id]
        old = _event_from_state(state)
        ev = self.events_[survivor]
        ev.item_count = max(ev.item_count - old.item_count, 1)
        ev.dup_count = max(ev.dup_count - old.dup_count, 0)
        ev.mainstream = max(ev.mainstream - old.mainstream, 0)
        ev.engagement = max(ev.engagement - old.engagement, 0)
        ev.sent_sum = max(ev.sent_sum - old.sent_sum, 0.0)
        ev.negative = max(ev.negative - old.negative, 0)
        for lang, n in old.langs.items():
            left = ev.langs.get(lang, 0) - n
            if left > 0:
                ev.langs[lang] = left
            else:
                ev.langs.pop(lang, None)
        self.events_[event_id] = old
        return self._summary(ev), self._summary(old)

    def split_off(self, event_id: int, items: Sequence[Item]) -> tuple[EventSummary, EventSummary]:
        """An analyst moved ``items`` out of event ``event_id`` (a second story in it): the engine
        follows, so that it does not put that story back.

        The items (their text as when they were placed) become a new event: their term vectors are
        taken out of the event's profile and their counts out of its figures; the two events are
        kept apart from then on (no merge joins them again), later posts like the moved ones join
        the new event, and replies to the moved items follow them. Returns ``(event, new)``
        summaries. Raises ``KeyError`` when the event is not live (unknown, or retired: nothing
        left to keep apart) and ``ValueError`` when no item has words.
        """
        eid = self.clusterer_.resolve(event_id)
        ev = self.events_.get(eid) if eid is not None else None
        if eid is None or ev is None:
            raise KeyError(f"event {event_id} is not live (unknown or retired)")
        prepared = [self._prepare(item) for item in items]
        new_id = self.clusterer_.split_off(eid, [tokenize(p.match, p.lang) for p in prepared])
        new = self.events_[new_id] = _Event(new_id, min(p.time for p in prepared), self.config.bucket_seconds)
        for p, prob in zip(prepared, self._sentiment(prepared), strict=True):
            label = self._label(prob)
            self._count(new, p, prob, label, None, 0.0, False)
            negative = int(label is SentimentLabel.NEGATIVE)
            ev.take_out(prob, negative, int(p.item.mainstream), max(p.item.engagement, 0), p.lang)
            if p.item.id in self.item_event_:
                self.item_event_[p.item.id] = new_id
        return self._summary(ev), self._summary(new)

    def merge_events(self, absorbed: int, survivor: int) -> EventSummary:
        """An analyst merged event ``absorbed`` into ``survivor`` (one story): the engine follows.

        The clusterer merges the two (later posts like either join the survivor; no pass splits
        them again) and the survivor's figures and activity take in the absorbed event's, so the
        summaries of later batches count both. Returns the survivor's summary. Raises
        ``KeyError`` when either event is not live (unknown or retired).
        """
        a = self.clusterer_.resolve(absorbed)
        s = self.clusterer_.merge_into(absorbed, survivor)  # raises KeyError unless both are live
        into = self.events_[s]
        old = self.events_.pop(a, None) if a is not None and a != s else None
        if old is not None:
            _absorb(into, old, self.baseline_)
        return self._summary(into)

    def events(self) -> list[EventSummary]:
        """Summaries of all live events and the most recently retired ones."""
        live = [self._summary(ev) for ev in self.events_.values()]
        return live + [_summary_from_state(orjson.loads(s)) for s in self.retired_.values()]

    def checkpoint(self) -> bytes:
        """The whole learned state as a versioned, non-executable checkpoint (see
        :mod:`qingting.core.checkpoint`); :meth:`from_checkpoint` continues from it exactly."""
        return checkpoint_dump(self._state(), version=CHECKPOINT_VERSION)

    @classmethod
    def from_checkpoint(cls, blob: bytes) -> Pipeline:
        """A pipeline that continues exactly where the one that wrote ``blob`` stopped.

        Raises :class:`~qingting.core.checkpoint.CheckpointVersionError` for a checkpoint of a
        format this version cannot read (including the pickled snapshots of earlier versions,
        which are never unpickled): rebuild the engine from the stored items instead.
        Raises :class:`~qingting.core.checkpoint.CheckpointError` for damaged bytes.
        """
        state = checkpoint_load(blob, version=CHECKPOINT_VERSION, migrations=MIGRATIONS)
        try:
            return cls._from_state(state)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise CheckpointError(f"engine checkpoint is inconsistent ({exc!r})") from exc

    def snapshot(self) -> bytes:
        """Same as :meth:`checkpoint` (the name the platform has always called)."""
        return self.checkpoint()

    @classmethod
    def restore(cls, blob: bytes) -> Pipeline:
        """Same as :meth:`from_checkpoint`."""
        return cls.from_checkpoint(blob)

    def _state(self) -> dict[str, Any]:
        c = self.config
        recent_t = np.array([t for t, _ in self.recent_], dtype="<f8")
        return {
            "config": {
                "dedupe_threshold": c.dedupe_threshold,
                "window_seconds": c.window_seconds,
                "bucket_seconds": c.bucket_seconds,
                "neutral_band": list(c.neutral_band),
                "sentiment_model": c.sentiment_model,
                "seed": c.seed,
                "cluster": dict(c.cluster),
            },
            "deduper": self.deduper_.to_state(),
            "clusterer": self.clusterer_.to_state(),
            "baseline": [self.baseline_.mean_, self.baseline_.var_, self.baseline_.n_],
            "events": [_event_state(ev) for ev in self.events_.values()],
            "retired_ids": np.array(list(self.retired_), dtype="<i8"),
            "retired_lengths": np.array([len(b) for b in self.retired_.values()], dtype="<i8"),
            "retired_json": np.frombuffer(b"".join(self.retired_.values()), dtype="|u1"),
            "item_event_ids": list(self.item_event_),
            "item_event": np.array(list(self.item_event_.values()), dtype="<i8"),
            "item_canon_ids": list(self.item_canon_),
            "item_canon": list(self.item_canon_.values()),
            "recent_time": recent_t,
            "recent_ids": [iid for _, iid in self.recent_],
            "now": self.now_,
            "n_items": self.n_items_,
            "merged_events": [[eid, st] for eid, st in self.merged_events_.items()],
            # decision 0128 (optional keys: a checkpoint without them has no moves pending)
            "strays": [[root, recs] for root, recs in self.strays_.items()],
            "stray_root_ids": list(self.stray_root_),
            "stray_roots": list(self.stray_root_.values()),
        }

    @classmethod
    def _from_state(cls, state: dict[str, Any]) -> Pipeline:
        cfg = dict(state["config"])
        cfg["neutral_band"] = tuple(cfg["neutral_band"])
        self = cls.__new__(cls)
        self.config = PipelineConfig(**cfg)
        self.deduper_ = Deduper.from_state(state["deduper"])
        self.clusterer_ = OnlineClusterer.from_state(state["clusterer"])
        self.baseline_ = StreamBaseline()
        self.baseline_.mean_, self.baseline_.var_, self.baseline_.n_ = state["baseline"]
        events = (_event_from_state(e) for e in state["events"])
        self.events_ = {ev.id: ev for ev in events}
        blob = state["retired_json"].tobytes()
        ends = np.cumsum(state["retired_lengths"]).tolist()
        self.retired_ = {
            eid: blob[end - n : end]
            for eid, n, end in zip(state["retired_ids"].tolist(), state["retired_lengths"].tolist(), ends, strict=True)
        }
        self.item_event_ = dict(zip(state["item_event_ids"], state["item_event"].tolist(), strict=True))
        self.item_canon_ = dict(zip(state["item_canon_ids"], state["item_canon"], strict=True))
        self.recent_ = deque(zip(state["recent_time"].tolist(), state["recent_ids"], strict=True))
        self.now_ = float(state["now"])
        self.n_items_ = int(state["n_items"])
        self.merged_events_ = {int(eid): st for eid, st in state["merged_events"]}
        self.strays_ = {root: recs for root, recs in state.get("strays", [])}
        self.stray_root_ = dict(zip(state.get("stray_root_ids", []), state.get("stray_roots", []), strict=True))
        self._analyzer = None
        self._merges, self._moves = [], []
        return self

    # -- steps ------------------------------------------------------------------------------

    def _prepare(self, item: Item) -> _Prepared:
        notes: list[str] = []
        t = item.time
        if t is None or not math.isfinite(t):
            notes.append("time-missing")
            t = self.now_ if self.now_ > -math.inf else 0.0
        elif t < self.now_:
            notes.append("time-out-of-order")
        self.now_ = max(self.now_, t)  # a later item without a time takes this one's
        text = item.text if isinstance(item.text, str) else ""
        if item.title and item.title not in text:
            text = f"{item.title}\n{text}" if text else item.title
        norm = normalize(text)
        match = norm.match
        own_empty = norm.is_repost and not match
        if own_empty and norm.repost_of_text:
            # a bare repost of a parent we do not know: match it by what it reposts
            match = normalize(norm.repost_of_text).match
        lang = item.lang or detect_language(match)
        if norm.truncated:
            notes.append("truncated")
        if not text.strip():
            notes.append("empty-text")
        elif not match:
            notes.append("no-content")
        own = norm.own.strip() or (norm.repost_of_text or "").strip()
        # a bare repost carries the tone of what it reposts
        sent = match if own_empty else sentiment_text(norm)
        # what sentiment_text appended to the matching form (emoticons, emoji): the segmentation
        # of the sentiment text is derived from the matching form's (see partial_fit)
        extra = sent[len(match) + 1 :] if match and len(sent) > len(match) and sent.startswith(match + " ") else ""
        cut = len(sent) > SENTIMENT_CHARS
        if cut:  # a long letter's tone is in its opening and its close
            sent = sent[: SENTIMENT_CHARS - SENTIMENT_TAIL] + "\n" + sent[-SENTIMENT_TAIL:]
        # a bare hashtag names a story but is none: it may join one, never open one
        tagged = bool(match) and not own_empty and only_hashtags(norm)
        # hashtags and @accounts name stories: consolidation joins fragments that share a rare one
        ents = tuple(dict.fromkeys([*("#" + fold(x) for x in norm.topics), *("@" + x.lower() for x in norm.mentions)]))
        return _Prepared(item, t, match, own, lang, own_empty, tuple(notes), sent, tagged, ents, extra, cut)

    def _sentiment(self, prepared: Sequence[_Prepared]) -> list[float]:
        texts = [p.sentiment_text for p in prepared]
        langs = [p.lang for p in prepared]
        return [float(x) for x in self.analyzer.predict_proba(texts, langs)]

    def _live(self, event_id: int | None) -> int | None:
        """The live event an old event id now stands for (merges followed), or None if retired."""
        return None if event_id is None else self.clusterer_.resolve(event_id)

    def _assign(
        self,
        p: _Prepared,
        prob: float,
        signed: PreparedTexts,
        k: int,
        touched: dict[int, _Event],
        retired: list[EventSummary],
    ) -> Assignment:
        item, t = p.item, p.time
        self.now_ = max(self.now_, t)
        self.n_items_ += 1
        dup_of: str | None = None
        kind: DuplicateKind | None = None
        sim = 0.0
        event_id: int | None = None
        notes = p.notes
        free: bool | None = None  # no story of its own (顶, 同问): known once its words are
        followed: str | None = None  # the item it follows into its event (a parent, an original)
        parent_event = self._live(self.item_event_.get(item.parent)) if item.parent else None
        if parent_event is not None:
            followed = item.parent
            # a repost or reply belongs to the conversation it joins, whatever its own words
            event_id = parent_event
            if p.own_empty:
                dup_of = self.item_canon_.get(item.parent or "", item.parent)
                kind, sim = DuplicateKind.REPOST, 1.0
            self.clusterer_.touch(event_id, t, p.entities)
        elif p.match:
            m = self.deduper_.add_prepared(signed, k, item.id, t)
            canon_event = None
            if m is not None:
                dup_of, sim = m.canonical_id, m.similarity
                kind = DuplicateKind.EXACT if m.kind == "exact" else DuplicateKind.NEAR
                # a copy joins its original's story, unless it is too short to carry one
                # ("支持", "转发一下" are repeated everywhere without being the same story)
                if len(p.match) >= MIN_JOIN_CHARS:
                    canon_event = self._live(self.item_event_.get(m.canonical_id))
            if canon_event is not None:
                event_id = canon_event
                followed = dup_of
                self.clusterer_.touch(event_id, t, p.entities)
            else:  # new text, a short copy, or a copy of an item whose event has retired
                tokens = tokenize(p.match, p.lang)
                # 顶, 同问, +1 without a parent we know: marked when it repeats one, no event of its own
                free = p.tagged or (len(p.match) <= SHORT_CHARS and reactions_only(tokens))
                hit = None
                if tokens and not (free and not p.tagged):
                    hit = self.clusterer_.add(tokens, t, may_open=not free, entities=p.entities, key=item.id)
                    self._apply(hit.retired, hit.merged, hit.event_id, retired, hit.consolidated)
                    if hit.moved:
                        self._follow_moves(hit.moved, touched)
                if hit is not None and hit.event_id is not None:
                    event_id, sim = hit.event_id, sim or hit.similarity
                else:
                    notes = (*notes, "content-free" if free else "no-tokens")
        label = self._label(prob)
        if event_id is not None:
            ev = self.events_.get(event_id)
            if ev is None:
                ev = self.events_[event_id] = _Event(event_id, t, self.config.bucket_seconds)
            self._count(ev, p, prob, label, kind, sim, free)
            touched[event_id] = ev
            self.item_event_[item.id] = event_id
            root = item.id if followed is None else self.stray_root_.get(followed, followed)
            if self.clusterer_.tracks(root):  # it may move yet: remember what it would take along
                rec = [item.id, prob, int(label is SentimentLabel.NEGATIVE), int(item.mainstream),
                       max(item.engagement, 0), p.lang, int(kind is not None), t]  # fmt: skip
                self.strays_.setdefault(root, []).append(rec)
                if root != item.id:
                    self.stray_root_[item.id] = root
            if dup_of is not None:
                self.item_canon_[item.id] = dup_of
            self.recent_.append((t, item.id))
        return Assignment(
            item_id=item.id,
            event_id=event_id,
            duplicate_of=dup_of,
            duplicate_kind=kind,
            similarity=round(sim, 4),
            lang=p.lang,
            sentiment=round(prob, 4),
            sentiment_label=label,
            time=t,
            notes=notes,
        )

    def _apply(
        self,
        gone: Sequence[RetiredEvent],
        merged: Sequence[int],
        survivor: int | None,
        retired: list[EventSummary],
        consolidated: Sequence[Merge] = (),
    ) -> None:
        """Follow the clusterer: fold absorbed events into the survivor, close retired ones."""
        for m in consolidated:  # the periodic pass ran before this item was placed
            old = self.events_.pop(m.absorbed, None)
            into = self.events_.get(m.survivor)
            if old is None or into is None:
                continue
            self.merged_events_[m.absorbed] = _event_state(old, copy=True)
            _absorb(into, old, self.baseline_)
            retired.append(_with_merge(self._summary(old, retired=True, keywords=m.terms[:10]), m.absorbed, m.survivor))
            self._merges.append(EventMerge(m.absorbed, m.survivor, m.time, m.similarity))
        for absorbed in merged:
            old = self.events_.pop(absorbed, None)
            if old is None or survivor is None:
                continue
            ev = self.events_.get(survivor)
            if ev is None:
                old.id = survivor
                self.events_[survivor] = old
            else:
                _absorb(ev, old, self.baseline_)
            closed = self._summary(old, retired=True)
            retired.append(_with_merge(closed, absorbed, survivor))
            self._merges.append(EventMerge(absorbed, survivor, self.now_, 0.0, "young"))
        for r in gone:
            ev = self.events_.pop(r.event_id, None)
            if ev is not None:
                s = self._summary(ev, retired=True, keywords=r.keywords)
                self.retired_[r.event_id] = orjson.dumps(_summary_state(s))
                retired.append(s)

    def _follow_moves(self, moves: Sequence[Move], touched: dict[int, _Event]) -> None:
        """Follow the clusterer's moves of posts placed earlier (decision 0128): each post, its copies
        and its replies leave one event's figures for the other's, and later replies follow them.
        The events' activity timelines keep the items where they were counted (as after a split)."""
        for mv in moves:
            recs = self.strays_.pop(mv.key, None) or [[mv.key, 0.5, 0, 0, 0, "", 0, mv.time]]
            s, d = self._live(mv.source), self._live(mv.target)
            src = self.events_.get(s) if s is not None else None
            dst = self.events_.get(d) if d is not None else None
            if s is None or d is None or src is None or dst is None or s == d:
                continue
            ids = []
            for iid, prob, neg, ms, eng, lang, dup, t in recs:
                ids.append(iid)
                src.take_out(prob, neg, ms, eng, lang, dup)
                dst.item_count += 1
                dst.dup_count += dup
                dst.mainstream += ms
                dst.engagement += eng
                dst.sent_sum += prob
                dst.negative += neg
                if lang:
                    dst.langs[lang] = dst.langs.get(lang, 0) + 1
                dst.first_seen = min(dst.first_seen, t)
                if iid in self.item_event_:
                    self.item_event_[iid] = d  # later replies and copies go to the story
                self.stray_root_.pop(iid, None)
            self.clusterer_.transfer(s, d, len(recs) - 1)
            if src.rep_id in ids:  # its headline left with it: the next item picks one
                src.rep_id, src.rep_title, src.rep_score = "", "", -1.0
            touched[s], touched[d] = src, dst
            self._moves.append(ItemsMoved(tuple(ids), s, d, mv.time, mv.share))

    def _label(self, prob: float) -> SentimentLabel:
        lo, hi = self.config.neutral_band
        if prob < lo:
            return SentimentLabel.NEGATIVE
        if prob > hi:
            return SentimentLabel.POSITIVE
        return SentimentLabel.NEUTRAL

    def _count(
        self,
        ev: _Event,
        p: _Prepared,
        prob: float,
        label: SentimentLabel,
        kind: DuplicateKind | None,
        sim: float,
        free: bool | None = None,
    ) -> None:
        item = p.item
        ev.item_count += 1
        if kind is not None:
            ev.dup_count += 1
        ev.first_seen = min(ev.first_seen, p.time)
        ev.last_seen = max(ev.last_seen, p.time)
        if item.source and len(ev.sources) < 10_000:  # bounded: diversity saturates long before
            ev.sources.add(item.source)
        if item.mainstream:
            ev.mainstream += 1
        ev.engagement += max(item.engagement, 0)
        ev.sent_sum += prob
        if label is SentimentLabel.NEGATIVE:
            ev.negative += 1
        ev.langs[p.lang] = ev.langs.get(p.lang, 0) + 1
        ev.activity.add(p.time, self.baseline_)
        # (a reply joined by its parent is a candidate only when long: "顶" is no headline)
        candidate = free is False or (free is None and len(p.match) > SHORT_CHARS)
        if p.match and candidate and (kind is None or item.title):  # an article re-run elsewhere keeps its title
            # representative: an original item close to the event's centre that reads as a headline —
            # a news title first, then an official notice (【…】) or another titled item, then a post;
            # engagement breaks near-ties, and the first item wins exact ties, so titles are stable
            bonus = 0.05 * math.log1p(max(item.engagement, 0))
            if sim + _best_kind_bonus(item, p.own) + bonus <= ev.rep_score + 1e-9:
                return  # cannot win even with the best title it could have: skip making one
            title = headline(item.title) if item.title else ""
            if title and len(title) >= 6:
                kind_bonus = 3.0 if item.mainstream else 1.5
            else:
                title = headline(p.own)
                kind_bonus = 2.0 if p.own.lstrip().startswith("【") else (0.5 if item.mainstream else 0.0)
                if len(title) < 6:
                    kind_bonus -= 1.0  # too short to say what happened
            score = sim + kind_bonus + bonus
            if score > ev.rep_score + 1e-9 and title:
                ev.rep_score, ev.rep_id = score, item.id
                ev.rep_title = title

    def _retire(self, retired: list[EventSummary]) -> None:
        """Forget items beyond the window and retire events idle beyond it."""
        horizon = self.now_ - self.config.window_seconds
        recent, item_event, item_canon = self.recent_, self.item_event_, self.item_canon_
        while recent and recent[0][0] < horizon:
            _, iid = recent.popleft()
            item_event.pop(iid, None)
            item_canon.pop(iid, None)
            self.stray_root_.pop(iid, None)
        if len(self.strays_) > 2 * len(self.clusterer_.strays_) + 64:  # forgotten by the clusterer
            tracks = self.clusterer_.tracks
            self.strays_ = {root: recs for root, recs in self.strays_.items() if tracks(root)}
        if math.isfinite(self.now_):
            gone = self.clusterer_.retire(self.now_)
            self._apply(gone, (), None, retired, self.clusterer_.take_merges())
        while len(self.retired_) > MAX_RETIRED:
            self.retired_.pop(next(iter(self.retired_)))
        if len(self.merged_events_) > len(self.clusterer_.merge_log_):  # survivors retired: nothing to undo
            log = self.clusterer_.merge_log_
            self.merged_events_ = {e: st for e, st in self.merged_events_.items() if e in log}

    def _summary(self, ev: _Event, retired: bool = False, keywords: Sequence[str] | None = None) -> EventSummary:
        act = ev.activity
        act.advance(self.now_, self.baseline_)
        rate_per_hour = act.rate() * 3600.0 / self.config.bucket_seconds
        if keywords is None:
            live = self.clusterer_.resolve(ev.id) == ev.id
            keywords = self.clusterer_.keywords(ev.id, 16, specific=True) if live else ()
        # words that name the story, not the words wrapped around every story (今天, 大家, 点个);
        # for people, words read better than single characters (节, 乡): those go last
        story = [w for w in keywords if not is_filler(w)] or list(keywords)
        keywords = tuple(sorted(story, key=lambda w: len(w) < 2)[:10])
        n = max(ev.item_count, 1)
        return EventSummary(
            event_id=ev.id,
            title=ev.rep_title or (keywords[0] if keywords else ""),
            keywords=keywords,
            first_seen=ev.first_seen,
            last_seen=ev.last_seen,
            item_count=ev.item_count,
            duplicate_count=ev.dup_count,
            source_count=len(ev.sources),
            mainstream_count=ev.mainstream,
            engagement=ev.engagement,
            buckets=act.recent_buckets(),
            heat=heat_score(
                items=ev.item_count - ev.dup_count,
                duplicates=ev.dup_count,
                rate_per_hour=rate_per_hour,
                sources=len(ev.sources),
                engagement=ev.engagement,
                mainstream=ev.mainstream,
            ),
            trend=act.trend(self.now_, self.baseline_),
            burst_z=round(act.burst_z(self.baseline_), 3),
            sentiment=round(ev.sent_sum / n, 4),
            negative_share=round(ev.negative / n, 4),
            lang=max(ev.langs, key=ev.langs.__getitem__) if ev.langs else "und",
            retired=retired,
            representative_id=ev.rep_id,
        )


class _Prepared:
    """One item made ready for the batch (a plain slotted class: a frozen dataclass's __init__
    costs ≈ 1.5 µs more per item, and this never leaves the pipeline)."""

    __slots__ = (
        "entities",
        "item",
        "lang",
        "match",
        "notes",
        "own",
        "own_empty",
        "sentiment_cut",
        "sentiment_extra",
        "sentiment_text",
        "tagged",
        "time",
    )

    def __init__(
        self,
        item: Item,
        time: float,
        match: str,  # the matching form used for dedupe, tokens and sentiment
        own: str,  # what the poster wrote, original script (for titles)
        lang: str,
        own_empty: bool,  # a repost that adds nothing of its own
        notes: tuple[str, ...],
        sentiment_text: str,
        tagged: bool,  # a bare hashtag: may join an event its words match
        entities: tuple[str, ...],  # its hashtags ("#柳湾镇停水") and @accounts ("@青禾县水务局")
        sentiment_extra: str = "",  # the emoticons and emoji sentiment_text put after the matching form
        sentiment_cut: bool = False,  # the sentiment text is a long text's opening and close
    ) -> None:
        self.item = item
        self.time = time
        self.match = match
        self.own = own
        self.lang = lang
        self.own_empty = own_empty
        self.notes = notes
        self.sentiment_text = sentiment_text
        self.tagged = tagged
        self.entities = entities
        self.sentiment_extra = sentiment_extra
        self.sentiment_cut = sentiment_cut


STRETCH_ITEMS = 4096  # items per stretch of a batch sharing their segmentations (see partial_fit)
STRETCH_CHARS = 131_072  # … or characters of matching form, whichever comes first


def _stretches(prepared: Sequence[_Prepared]) -> Iterator[tuple[int, int]]:
    """``(lo, hi)`` bounds of consecutive stretches of at most STRETCH_ITEMS items / STRETCH_CHARS characters."""
    lo = size = 0
    for k, p in enumerate(prepared):
        size += len(p.match)
        if k + 1 - lo >= STRETCH_ITEMS or size >= STRETCH_CHARS:
            yield lo, k + 1
            lo, size = k + 1, 0
    if lo < len(prepared):
        yield lo, len(prepared)


def _best_kind_bonus(item: Item, own: str) -> float:
    """The largest title bonus :meth:`Pipeline._count` could give this item, before its headline is made."""
    best = 2.0 if own.lstrip().startswith("【") else (0.5 if item.mainstream else 0.0)
    if item.title:
        best = max(best, 3.0 if item.mainstream else 1.5)
    return best


def _absorb(ev: _Event, old: _Event, base: StreamBaseline) -> None:
    """Fold an absorbed event's book-keeping into the survivor."""
    ev.item_count += old.item_count
    ev.dup_count += old.dup_count
    ev.first_seen = min(ev.first_seen, old.first_seen)
    ev.last_seen = max(ev.last_seen, old.last_seen)
    ev.sources |= old.sources
    ev.mainstream += old.mainstream
    ev.engagement += old.engagement
    ev.sent_sum += old.sent_sum
    ev.negative += old.negative
    for lang, n in old.langs.items():
        ev.langs[lang] = ev.langs.get(lang, 0) + n
    if old.rep_score > ev.rep_score:
        ev.rep_id, ev.rep_title, ev.rep_score = old.rep_id, old.rep_title, old.rep_score
    ev.activity.absorb(old.activity, base)


def _with_merge(s: EventSummary, event_id: int, survivor: int) -> EventSummary:
    return replace(s, event_id=event_id, merged_into=survivor)


def _activity_state(a: EventActivity) -> list[Any]:
    return [
        a.bucket_seconds, a.bucket_, a.count_, a.fast_, a.slow_, a.var_, a.peak_, a.last_time_,
        [x for pair in a.buckets_ for x in pair],
    ]  # fmt: skip


def _activity_from_state(s: list[Any]) -> EventActivity:
    a = EventActivity.__new__(EventActivity)
    a.bucket_seconds, a.bucket_, a.count_, a.fast_, a.slow_, a.var_, a.peak_, a.last_time_, flat = s
    a.buckets_ = deque(zip(flat[0::2], flat[1::2], strict=True), maxlen=MAX_BUCKETS)
    return a


def _event_state(ev: _Event, copy: bool = False) -> list[Any]:
    return [
        ev.id, ev.first_seen, ev.last_seen, ev.item_count, ev.dup_count, sorted(ev.sources), ev.mainstream,
        ev.engagement, ev.sent_sum, ev.negative, dict(ev.langs) if copy else ev.langs, ev.rep_id, ev.rep_title,
        ev.rep_score,
        _activity_state(ev.activity),
    ]  # fmt: skip


def _event_from_state(s: list[Any]) -> _Event:
    ev = _Event.__new__(_Event)
    (ev.id, ev.first_seen, ev.last_seen, ev.item_count, ev.dup_count, sources, ev.mainstream, ev.engagement,
     ev.sent_sum, ev.negative, ev.langs, ev.rep_id, ev.rep_title, ev.rep_score, act) = s  # fmt: skip
    ev.sources = set(sources)
    ev.activity = _activity_from_state(act)
    return ev


def _summary_state(s: EventSummary) -> list[Any]:
    return [
        s.event_id, s.title, list(s.keywords), s.first_seen, s.last_seen, s.item_count, s.duplicate_count,
        s.source_count, s.mainstream_count, s.engagement, [x for pair in s.buckets for x in pair], s.heat,
        s.trend.value, s.burst_z, s.sentiment, s.negative_share, s.lang, s.retired, s.representative_id,
        s.merged_into,
    ]  # fmt: skip


def _summary_from_state(s: list[Any]) -> EventSummary:
    (eid, title, kws, first, last, n, dups, srcs, ms, eng, flat, heat, trend, z, sent, neg, lang, retired, rep,
     merged) = s  # fmt: skip
    buckets = tuple(zip(flat[0::2], flat[1::2], strict=True))
    return EventSummary(
        eid, title, tuple(kws), first, last, n, dups, srcs, ms, eng, buckets, heat, TrendState(trend), z, sent, neg,
        lang, retired, rep, merged,
    )  # fmt: skip
