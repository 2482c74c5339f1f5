"""A stand-in with the core pipeline's contract, used only while ``qingting.core.pipeline`` is
not importable in this checkout (the core is being written alongside). It groups items by their
first two Chinese characters and marks exact repeats as duplicates — enough to exercise storage.
"""

from __future__ import annotations

import pickle
from collections.abc import Iterable
from dataclasses import dataclass

from qingting.core.types import (
    Assignment,
    BatchResult,
    DuplicateKind,
    EventSummary,
    Item,
    SentimentLabel,
    TrendState,
)


@dataclass(frozen=True)
class PipelineConfig:
    seed: int = 0


class Pipeline:
    def __init__(self, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self.keys_: dict[str, int] = {}
        self.texts_: dict[str, str] = {}
        self.events_: dict[int, dict[str, object]] = {}

    def partial_fit(self, batch: Iterable[Item]) -> BatchResult:
        out = []
        touched: set[int] = set()
        for item in batch:
            t = float(item.time or 0.0)
            key = "".join(ch for ch in item.text if "\u4e00" <= ch <= "\u9fff")[:2] or item.text[:2]
            event_id = self.keys_.setdefault(key, len(self.keys_) + 1)
            ev = self.events_.setdefault(
                event_id, {"title": item.text[:20], "first": t, "last": t, "n": 0, "dups": 0, "rep": item.id}
            )
            dup = self.texts_.get(item.text)
            ev["n"] = int(ev["n"]) + 1  # type: ignore[call-overload]
            ev["last"] = max(float(ev["last"]), t)  # type: ignore[arg-type]
            if dup:
                ev["dups"] = int(ev["dups"]) + 1  # type: ignore[call-overload]
            else:
                self.texts_[item.text] = item.id
            touched.add(event_id)
            negative = "不" in item.text or "差" in item.text
            out.append(
                Assignment(
                    item_id=item.id,
                    event_id=event_id,
                    duplicate_of=dup,
                    duplicate_kind=DuplicateKind.EXACT if dup else None,
                    similarity=1.0 if dup else 0.0,
                    lang="zh",
                    sentiment=0.1 if negative else 0.7,
                    sentiment_label=SentimentLabel.NEGATIVE if negative else SentimentLabel.POSITIVE,
                    time=t,
                )
            )
        return BatchResult(tuple(out), tuple(self._summary(e) for e in sorted(touched)))

    def _summary(self, event_id: int) -> EventSummary:
        ev = self.events_[event_id]
        n = int(ev["n"])  # type: ignore[call-overload]
        return EventSummary(
            event_id=event_id,
            title=str(ev["title"]),
            keywords=(str(ev["title"])[:2],),
            first_seen=float(ev["first"]),  # type: ignore[arg-type]
            last_seen=float(ev["last"]),  # type: ignore[arg-type]
            item_count=n,
            duplicate_count=int(ev["dups"]),  # type: ignore[call-overload]
            source_count=1,
            mainstream_count=0,
            engagement=0,
            buckets=((float(ev["first"]), n),),  # type: ignore[arg-type]
            heat=float(n),
            trend=TrendState.RISING if n > 2 else TrendState.NEW,
            burst_z=float(n),
            sentiment=0.5,
            negative_share=0.0,
            lang="zh",
            representative_id=str(ev["rep"]),
        )

    def snapshot(self) -> bytes:
        return pickle.dumps(self.__dict__)

    @classmethod
    def restore(cls, blob: bytes) -> Pipeline:
        self = cls.__new__(cls)
        self.__dict__.update(pickle.loads(blob))
        return self
