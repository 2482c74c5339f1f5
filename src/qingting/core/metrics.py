"""Clustering quality: NMI, homogeneity, completeness and B-cubed, hand-written and small.

All functions take two equal-length label sequences — the gold labels and the predicted ones —
whose labels may be any hashable values (ints, strings; the two sides need not share a vocabulary).
Entropies use natural logarithms; the ratios do not depend on the base.

>>> gold = [0, 0, 1, 1]
>>> pred = ["a", "a", "b", "c"]
>>> round(homogeneity(gold, pred), 3), round(completeness(gold, pred), 3)
(1.0, 0.667)
>>> [round(x, 3) for x in bcubed(gold, pred)]
[1.0, 0.75, 0.857]
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence


def _check(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> None:
    if len(gold) != len(pred):
        raise ValueError(f"gold and pred must have the same length, got {len(gold)} and {len(pred)}")


def _entropy(counts: Counter[Hashable], n: int) -> float:
    return -sum(c / n * math.log(c / n) for c in counts.values())


def _entropies(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """``(H(gold), H(pred), I(gold; pred))`` of the empirical joint distribution."""
    n = len(gold)
    g = Counter(gold)
    p = Counter(pred)
    joint = Counter(zip(gold, pred, strict=True))
    mutual = 0.0
    for (a, b), c in joint.items():
        # p(a,b) log(p(a,b) / (p(a) p(b))), written to keep the counts integral as long as possible
        mutual += c / n * math.log(c * n / (g[a] * p[b]))
    return _entropy(g, n), _entropy(p, n), max(mutual, 0.0)


def nmi(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """Normalised mutual information, ``I(G; P) / ((H(G) + H(P)) / 2)`` — the *arithmetic* mean.

    That is the normalisation the MStream paper family reports and scikit-learn's default
    (``normalized_mutual_info_score(..., average_method="arithmetic")``). When both sides are a
    single cluster (both entropies zero) the labelings are identical and the score is 1.0.
    """
    _check(gold, pred)
    if not gold:
        return 1.0
    hg, hp, mi = _entropies(gold, pred)
    if hg == 0.0 and hp == 0.0:
        return 1.0
    return min(1.0, mi / ((hg + hp) / 2.0))


def homogeneity(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """``1 - H(G|P) / H(G)``: 1.0 when every predicted cluster holds items of one gold class only."""
    _check(gold, pred)
    if not gold:
        return 1.0
    hg, _, mi = _entropies(gold, pred)
    return 1.0 if hg == 0.0 else min(1.0, mi / hg)


def completeness(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> float:
    """``1 - H(P|G) / H(P)``: 1.0 when every gold class lies within one predicted cluster."""
    _check(gold, pred)
    if not gold:
        return 1.0
    _, hp, mi = _entropies(gold, pred)
    return 1.0 if hp == 0.0 else min(1.0, mi / hp)


def bcubed(gold: Sequence[Hashable], pred: Sequence[Hashable]) -> tuple[float, float, float]:
    """B-cubed ``(precision, recall, f1)`` (Bagga & Baldwin 1998), averaged over items.

    An item's precision is the share of its predicted cluster that shares its gold class; its
    recall is the share of its gold class that shares its predicted cluster (the item itself
    included). Computed from the contingency table, so it costs O(n), not O(n²).
    """
    _check(gold, pred)
    n = len(gold)
    if n == 0:
        return 1.0, 1.0, 1.0
    g = Counter(gold)
    p = Counter(pred)
    joint = Counter(zip(gold, pred, strict=True))
    # Each of the c items in cell (a, b) has precision c / |b| and recall c / |a|.
    precision = sum(c * c / p[b] for (_, b), c in joint.items()) / n
    recall = sum(c * c / g[a] for (a, _), c in joint.items()) / n
    f1 = 2 * precision * recall / (precision + recall)
    return precision, recall, f1
