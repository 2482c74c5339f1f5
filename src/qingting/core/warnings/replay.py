"""Replay a time-ordered stream through a scheme, the pipeline and the warning rules, and measure.

Used by ``qingting warnings replay`` and ``bench/bench_warnings.py``. When the stream carries a
ground-truth ``cluster`` per item (e.g. a CED cascade), :func:`summarize` reports, for every
cluster that grows past ``big`` items, the lead time from its first item to its first warning and
the share of its final volume seen by then, and the false-alarm rate on quiet periods.

Clusters are counted within the items the scheme matches. A warning is attributed to the
cluster that holds most of its event's items at the moment it is raised. A *quiet period* is any
time when no big cluster is in its growth phase (between its first item and the moment it reached
90 % of its final volume); false alarms per day are the warnings raised in quiet periods divided
by the quiet days.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from qingting.core.pipeline import Pipeline, PipelineConfig
from qingting.core.rules import Matcher
from qingting.core.types import Item
from qingting.core.warnings.engine import WarningEngine
from qingting.core.warnings.lifecycle import EarlyWarning
from qingting.core.warnings.policy import WarningPolicy

__all__ = ["ClusterLead", "Raised", "ReplayStats", "ReplaySummary", "replay", "summarize"]

DAY = 86400.0


@dataclass(frozen=True, slots=True)
class Raised:
    """One warning raised during a replay, with where it came from and how long it took."""

    warning: EarlyWarning
    cluster: str | None  # the majority ground-truth cluster of its event, when the stream has one
    cluster_count: int  # items of that cluster seen when the warning was raised
    latency: float  # wall seconds from the batch holding the crossing item arriving to the warning


@dataclass
class ReplayStats:
    """Filled in while a replay runs; read it after the iterator is exhausted."""

    items: int = 0
    matched: int = 0
    batches: int = 0
    seconds: float = 0.0
    first_time: float | None = None
    last_time: float | None = None
    cluster_times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    batch_latencies: list[float] = field(default_factory=list)  # wall seconds of batches that warned


def replay(
    stream: Iterable[tuple[Item, str | None]],
    *,
    matcher: Matcher,
    policy: WarningPolicy | None = None,
    config: PipelineConfig | None = None,
    scheme: str = "scheme",
    batch_seconds: float = 60.0,
    max_batch: int = 1000,
    stats: ReplayStats | None = None,
    wall: Callable[[], float] = time.perf_counter,
) -> Iterator[Raised]:
    """Yield each warning as the stream (``(item, cluster or None)``, time-ordered) raises it.

    Items are grouped into batches spanning at most ``batch_seconds`` of stream time (or
    ``max_batch`` items); after each batch the touched events are assessed at the time of the
    batch's last item. Only items the scheme's ``matcher`` accepts reach the pipeline.
    """
    policy = policy or WarningPolicy()
    config = config or PipelineConfig(bucket_seconds=policy.bucket_seconds)
    if config.bucket_seconds != policy.bucket_seconds:
        raise ValueError(
            f"the policy's bucket_seconds ({policy.bucket_seconds}) must equal the pipeline's ({config.bucket_seconds})"
        )
    st = stats if stats is not None else ReplayStats()
    pipe = Pipeline(config)
    engine = WarningEngine(policy, scheme=scheme)
    item_cluster: dict[str, str] = {}
    event_clusters: dict[int, Counter[str]] = defaultdict(Counter)
    cluster_count: Counter[str] = Counter()
    batch: list[Item] = []
    batch_start = 0.0
    t0 = wall()

    def flush() -> Iterator[Raised]:
        began = wall()
        result = pipe.partial_fit(batch)
        for a in result.assignments:
            c = item_cluster.pop(a.item_id, None)
            if c is not None and a.event_id is not None:
                event_clusters[a.event_id][c] += 1
        now = batch[-1].time if batch[-1].time is not None else pipe.now_
        raised = engine.evaluate(result.events, now=now)
        latency = wall() - began
        st.batches += 1
        if raised:
            st.batch_latencies.append(latency)
        for w in raised:
            counts = event_clusters.get(w.event_id)
            c = counts.most_common(1)[0][0] if counts else None
            yield Raised(w, c, cluster_count[c] if c is not None else 0, latency)
        for ev in result.events:
            if ev.retired:
                event_clusters.pop(ev.event_id, None)
        batch.clear()

    for item, cluster in stream:
        st.items += 1
        t = item.time
        if t is not None:
            st.first_time = t if st.first_time is None else st.first_time
            st.last_time = t
        if not matcher.match_item(item):
            continue
        st.matched += 1
        if cluster is not None:  # clusters are measured within what the scheme sees
            st.cluster_times[cluster].append(t if t is not None else (st.last_time or 0.0))
            item_cluster[item.id] = cluster
            cluster_count[cluster] += 1
        if batch and (len(batch) >= max_batch or (t is not None and t - batch_start >= batch_seconds)):
            yield from flush()
        if not batch:
            batch_start = t if t is not None else batch_start
        batch.append(item)
    if batch:
        yield from flush()
    st.seconds = wall() - t0


@dataclass(frozen=True, slots=True)
class ClusterLead:
    """How early one big cluster was caught."""

    cluster: str
    final: int  # items of the cluster in the whole stream
    first_time: float
    warned_at: float | None  # None: never warned
    tier: str | None
    seen: int  # items of the cluster seen by the first warning

    @property
    def lead_seconds(self) -> float | None:
        return None if self.warned_at is None else self.warned_at - self.first_time

    @property
    def share(self) -> float | None:
        return None if self.warned_at is None else self.seen / self.final


@dataclass(frozen=True, slots=True)
class ReplaySummary:
    big: int
    leads: tuple[ClusterLead, ...]
    warnings: int
    warnings_per_day: float
    days: float
    quiet_days: float
    quiet_warnings: int
    small_cluster_warnings: int  # attributed to clusters that never grow past ``big``

    @property
    def caught(self) -> int:
        return sum(1 for lead in self.leads if lead.warned_at is not None)

    @property
    def quiet_warnings_per_day(self) -> float:
        return self.quiet_warnings / self.quiet_days if self.quiet_days > 0 else 0.0


def _quantile(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def _quantiles(xs: list[float], fmt: str) -> str:
    qs = (("median", 0.5), ("p25", 0.25), ("p75", 0.75), ("p90", 0.9))
    return ", ".join(f"{name} {fmt.format(_quantile(xs, q))}" for name, q in qs)


def summarize(raised: list[Raised], stats: ReplayStats, *, big: int = 500) -> ReplaySummary:
    """Lead times of clusters that grow past ``big`` items, and the false-alarm rate."""
    first_by_cluster: dict[str, Raised] = {}
    for r in raised:
        if r.cluster is not None and r.cluster not in first_by_cluster:
            first_by_cluster[r.cluster] = r
    leads = []
    growth: list[tuple[float, float]] = []  # growth phases of big clusters
    for c, times in stats.cluster_times.items():
        if len(times) <= big:
            continue
        times.sort()
        growth.append((times[0], times[min(len(times) - 1, int(0.9 * len(times)))]))
        first = first_by_cluster.get(c)
        leads.append(
            ClusterLead(
                cluster=c,
                final=len(times),
                first_time=times[0],
                warned_at=first.warning.created_at if first else None,
                tier=first.warning.tier.name if first else None,
                seen=first.cluster_count if first else 0,
            )
        )
    leads.sort(key=lambda lead: lead.first_time)
    busy = _union(growth)
    span = (stats.last_time or 0.0) - (stats.first_time or 0.0)
    busy_seconds = sum(b - a for a, b in busy)
    starts = [a for a, _ in busy]
    quiet = 0
    for r in raised:
        t = r.warning.created_at
        i = bisect.bisect_right(starts, t) - 1
        if i < 0 or t > busy[i][1]:
            quiet += 1
    big_clusters = {lead.cluster for lead in leads}
    days = span / DAY
    return ReplaySummary(
        big=big,
        leads=tuple(leads),
        warnings=len(raised),
        warnings_per_day=len(raised) / days if days > 0 else 0.0,
        days=days,
        quiet_days=max(span - busy_seconds, 0.0) / DAY,
        quiet_warnings=quiet,
        small_cluster_warnings=sum(1 for r in raised if r.cluster is not None and r.cluster not in big_clusters),
    )


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def format_summary(s: ReplaySummary, stats: ReplayStats) -> list[str]:
    """The summary as printable lines (English with Chinese labels)."""
    lines = [
        f"items {stats.items}, matched {stats.matched}, batches {stats.batches}, "
        f"{stats.seconds:.1f} s wall ({stats.matched / max(stats.seconds, 1e-9):.0f} matched items/s)",
        f"warnings 预警 {s.warnings} over {s.days:.1f} days = {s.warnings_per_day:.2f}/day",
    ]
    if s.leads:
        caught = [lead for lead in s.leads if lead.warned_at is not None]
        share_caught = len(caught) / len(s.leads)
        lines.append(
            f"clusters past {s.big} items 大规模事件: {len(s.leads)}, warned {len(caught)} ({share_caught:.0%})"
        )
        if caught:
            hours = [float(lead.lead_seconds or 0.0) / 3600 for lead in caught]
            shares = [float(lead.share or 0.0) for lead in caught]
            lines.append("lead time 提前量 (first item → first warning), hours: " + _quantiles(hours, "{:.2f}"))
            lines.append(
                "share of final volume seen at first warning 预警时已出现比例: " + _quantiles(shares, "{:.1%}")
            )
        lines.append(
            f"quiet periods 平静期: {s.quiet_days:.1f} days, {s.quiet_warnings} warnings = "
            f"{s.quiet_warnings_per_day:.2f} false alarms/day; "
            f"warnings on clusters that stay ≤ {s.big}: {s.small_cluster_warnings}"
        )
    if stats.batch_latencies:
        lat = stats.batch_latencies
        lines.append(
            "ingest → warning (batch holding the crossing item), seconds: "
            f"median {_quantile(lat, 0.5):.3f}, p99 {_quantile(lat, 0.99):.3f}, max {max(lat):.3f}"
        )
    return lines
