"""Precision, recall and F1 of a deduper on labeled text pairs (``s1<TAB>s2<TAB>label`` files).

Used by ``qingting eval dedupe PAIRS`` and ``bench/bench_dedupe.py``. Both texts of a pair are
folded the same way the pipeline folds text for matching before they reach the deduper.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from qingting.core.dedupe.deduper import Deduper
from qingting.core.text import fold


@dataclass(frozen=True, slots=True)
class PairScores:
    """Confusion counts on pairs, positive = "the deduper says s2 repeats s1"."""

    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def n(self) -> int:
        """Number of pairs evaluated."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float:
        """Share of predicted duplicates that are labeled positive (0.0 when nothing predicted)."""
        predicted = self.tp + self.fp
        return self.tp / predicted if predicted else 0.0

    @property
    def recall(self) -> float:
        """Share of positive pairs the deduper finds (0.0 when there are none)."""
        actual = self.tp + self.fn
        return self.tp / actual if actual else 0.0

    @property
    def f1(self) -> float:
        """Harmonic mean of precision and recall (0.0 when both are 0)."""
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def default_fold() -> Callable[[str], str]:
    """The matching form the pipeline uses: :func:`qingting.core.text.fold` (NFKC, lower case,
    Traditional → Simplified, whitespace collapsed)."""
    return fold


def read_pairs(path: str | Path, *, positive_min: int = 1) -> Iterator[tuple[str, str, int]]:
    """Read ``s1<TAB>s2<TAB>label`` lines; label becomes 1 when ``≥ positive_min``, else 0.

    Raises ``ValueError`` naming the file and line for a line that is not in that layout (a
    header line whose label is not a number is skipped).
    """
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            line = line.rstrip("\r\n")
            if not line:
                continue
            parts = line.split("\t")
            if len(parts) != 3:
                raise ValueError(f"{path}, line {lineno}: expected s1<TAB>s2<TAB>label, got {len(parts)} fields")
            s1, s2, label = parts
            try:
                value = float(label)
            except ValueError:
                if lineno == 1:
                    continue
                raise ValueError(f"{path}, line {lineno}: label {label!r} is not a number") from None
            yield s1, s2, int(value >= positive_min)


def evaluate_pairs(
    pairs: Iterable[tuple[str, str, int]],
    deduper_factory: Callable[[], Deduper] = Deduper,
    *,
    fold: Callable[[str], str] | None = None,
) -> PairScores:
    """Score a deduper on labeled pairs: is ``s2`` reported as a duplicate of ``s1``?

    Each pair goes to a fresh deduper from ``deduper_factory`` (so pairs never see each other):
    ``s1`` is added at time 0, ``s2`` at time 1. Label 1 means "duplicate" in the file's sense.

    >>> evaluate_pairs([("今天的天气真的很好啊", "今天的天气真的很好啊！", 1), ("你好", "再见", 0)]).f1
    1.0
    """
    fold_fn = fold if fold is not None else default_fold()
    tp = fp = fn = tn = 0
    for s1, s2, label in pairs:
        # One batch of two: the same as add(s1) then add(s2), at half the per-call overhead.
        predicted = deduper_factory().add_many(["s1", "s2"], [fold_fn(s1), fold_fn(s2)], [0.0, 1.0])[1] is not None
        if predicted and label:
            tp += 1
        elif predicted:
            fp += 1
        elif label:
            fn += 1
        else:
            tn += 1
    return PairScores(tp=tp, fp=fp, fn=fn, tn=tn)
