"""The core engine's public data: frozen dataclasses, no behaviour, no Django.

Everything that crosses the boundary of :mod:`qingting.core` — into the web application, the
command line or a worker — is one of these. Times are unix seconds (``float``, UTC) inside the
engine; interfaces convert at their edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class TrendState(StrEnum):
    """Where an event stands in its life (趋势状态)."""

    NEW = "new"
    RISING = "rising"
    PEAK = "peak"
    DECLINING = "declining"
    DORMANT = "dormant"


class DuplicateKind(StrEnum):
    """How an item repeats an earlier one."""

    EXACT = "exact"  # same text after normalisation
    NEAR = "near"  # signature similarity at or above the configured threshold
    REPOST = "repost"  # a repost that adds no content of its own (e.g. "转发微博")


class SentimentLabel(StrEnum):
    NEGATIVE = "negative"
    NEUTRAL = "neutral"
    POSITIVE = "positive"


@dataclass(frozen=True, slots=True)
class Item:
    """One public post, article or message as the engine sees it.

    ``id`` must be unique within a stream. ``time`` is unix seconds; ``None`` means "when it
    arrived" and the pipeline uses the latest time it has seen. ``engagement`` is reposts +
    comments + likes where the source gives them. ``mainstream`` marks a mainstream-media source.
    ``parent`` is the reposted item's id where the source says (Weibo's ``retweeted_status``).
    """

    id: str
    text: str
    time: float | None = None
    source: str = ""
    lang: str | None = None
    title: str = ""
    engagement: int = 0
    mainstream: bool = False
    parent: str | None = None  # the id of the item this one reposts or answers, where known


@dataclass(frozen=True, slots=True)
class Assignment:
    """What the pipeline decided about one item.

    Every item of a batch gets exactly one assignment, in input order — an item is never dropped
    silently. ``notes`` records any fallback that was applied (e.g. ``"empty-text"``,
    ``"truncated"``, ``"time-missing"``, ``"time-out-of-order"``).
    """

    item_id: str
    event_id: int | None
    duplicate_of: str | None
    duplicate_kind: DuplicateKind | None
    similarity: float
    lang: str
    sentiment: float  # probability that the item is positive, 0..1
    sentiment_label: SentimentLabel
    time: float
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EventSummary:
    """The state of one event after a batch: everything a board or a warning rule needs.

    ``buckets`` are ``(bucket_start, count)`` pairs, oldest first, for the last buckets of the
    event's life (bounded). ``retired`` is true once the event has been idle beyond the window and
    has been reduced to this summary. ``merged_into`` names the event that absorbed this one (the
    engine found they were one story); its items now count there, and this id is closed.
    """

    event_id: int
    title: str
    keywords: tuple[str, ...]
    first_seen: float
    last_seen: float
    item_count: int
    duplicate_count: int
    source_count: int
    mainstream_count: int
    engagement: int
    buckets: tuple[tuple[float, int], ...]
    heat: float
    trend: TrendState
    burst_z: float  # how many standard deviations the latest bucket is above the baseline
    sentiment: float  # mean positive probability of its items
    negative_share: float
    lang: str
    retired: bool = False
    representative_id: str = ""
    merged_into: int | None = None  # set when this event was absorbed into another live event


@dataclass(frozen=True, slots=True)
class EventMerge:
    """The engine found two events to be one story and merged ``absorbed`` into ``survivor``.

    ``reason`` is ``"consolidation"`` (the periodic pass over recent events) or ``"young"`` (a
    young event's second chance). Items of ``absorbed`` now count in ``survivor``; a store re-points
    them and keeps this record, so that an analyst can see why and undo it
    (:meth:`qingting.core.pipeline.Pipeline.split` undoes a consolidation while the survivor is live).
    """

    absorbed: int
    survivor: int
    time: float
    similarity: float
    reason: str = "consolidation"


@dataclass(frozen=True, slots=True)
class ItemsMoved:
    """The engine moved items placed earlier from event ``source`` to event ``target``.

    A post that joined an event weakly (everyday chatter, before its story had an event) is moved
    once another event has come to hold its words (decision 0128), with its copies and replies:
    ``items`` are their ids, the post first. ``similarity`` is the share of the post's profile on
    words ``target`` holds; ``reason`` is ``"consolidation"``. A store re-points the items (the
    two events' summaries in the same result carry their new counts), as it follows an
    :class:`EventMerge`.
    """

    items: tuple[str, ...]
    source: int
    target: int
    time: float
    similarity: float
    reason: str = "consolidation"


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not become an item, with what was wrong and where."""

    record: str  # the record's id, or its position ("line 17") when it has none
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Returned by :meth:`qingting.core.pipeline.Pipeline.partial_fit`.

    Records that could not become items never reach the pipeline: the reader
    (:mod:`qingting.core.io`) reports them as :class:`RecordError`.
    """

    assignments: tuple[Assignment, ...]
    events: tuple[EventSummary, ...]  # every event touched by the batch, plus those retired by it
    merges: tuple[EventMerge, ...] = ()  # events merged during the batch, in order
    moves: tuple[ItemsMoved, ...] = ()  # items moved between events during the batch, in order
