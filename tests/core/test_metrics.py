"""Clustering metrics agree with scikit-learn and with B-cubed computed by hand."""

from __future__ import annotations

import random

import pytest
from sklearn.metrics import completeness_score, homogeneity_score, normalized_mutual_info_score

from qingting.core.metrics import bcubed, completeness, homogeneity, nmi


def _labelings() -> list[tuple[list[int], list[str]]]:
    rng = random.Random(11)
    cases: list[tuple[list[int], list[str]]] = [
        ([0, 0, 1, 1], ["a", "a", "b", "c"]),
        ([0, 1, 2, 3], ["a", "a", "a", "a"]),
        ([5, 5, 5], ["x", "y", "z"]),
        ([1, 1, 2, 2, 3], ["p", "p", "q", "q", "r"]),
    ]
    for n, k, m in ((50, 3, 5), (400, 20, 35), (1000, 7, 2)):
        cases.append(([rng.randrange(k) for _ in range(n)], [f"c{rng.randrange(m)}" for _ in range(n)]))
    return cases


@pytest.mark.parametrize(("gold", "pred"), _labelings())
def test_agrees_with_scikit_learn(gold: list[int], pred: list[str]) -> None:
    assert nmi(gold, pred) == pytest.approx(
        normalized_mutual_info_score(gold, pred, average_method="arithmetic"), abs=1e-9
    )
    assert homogeneity(gold, pred) == pytest.approx(homogeneity_score(gold, pred), abs=1e-9)
    assert completeness(gold, pred) == pytest.approx(completeness_score(gold, pred), abs=1e-9)


def test_perfect_and_degenerate_labelings() -> None:
    gold = [0, 0, 1, 1, 2]
    renamed = ["b", "b", "c", "c", "a"]
    assert nmi(gold, renamed) == pytest.approx(1.0)
    assert bcubed(gold, renamed) == pytest.approx((1.0, 1.0, 1.0))
    # One big cluster: complete but not homogeneous; all singletons: the reverse.
    assert completeness(gold, [0] * 5) == 1.0 and homogeneity(gold, [0] * 5) == 0.0
    assert homogeneity(gold, list(range(5))) == 1.0
    assert nmi([], []) == 1.0


def test_bcubed_by_hand() -> None:
    # gold classes: A = {1,2,3}, B = {4,5}; predicted: X = {1,2}, Y = {3,4,5}
    gold = ["A", "A", "A", "B", "B"]
    pred = ["X", "X", "Y", "Y", "Y"]
    # precision per item: 1, 1, 1/3, 2/3, 2/3  -> 11/15
    # recall per item:    2/3, 2/3, 1/3, 1, 1  -> 11/15
    p, r, f = bcubed(gold, pred)
    assert p == pytest.approx(11 / 15)
    assert r == pytest.approx(11 / 15)
    assert f == pytest.approx(11 / 15)
    # Splitting every item apart: precision 1, recall = mean(1/3,1/3,1/3,1/2,1/2) = 2/5
    p, r, f = bcubed(gold, [1, 2, 3, 4, 5])
    assert (p, r) == pytest.approx((1.0, 0.4))
    assert f == pytest.approx(2 * 0.4 / 1.4)


def test_length_mismatch_is_an_error() -> None:
    with pytest.raises(ValueError, match="same length"):
        nmi([1, 2], [1])
    with pytest.raises(ValueError, match="same length"):
        bcubed([1], [])
