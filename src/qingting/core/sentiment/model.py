"""A trainable Chinese sentiment model: NB-weighted logistic regression over sparse features.

The method (Wang & Manning 2012, "NBSVM"; the logistic-regression variant): each binary feature
*f* (see :mod:`qingting.core.sentiment.features`) is scaled by its naive-Bayes log-count ratio
``r_f = log((p_f / |p|) / (q_f / |q|))`` with ``p``/``q`` the smoothed counts of documents
containing *f* among positive/negative texts; rows are L2-normalised and an L2-regularised
logistic regression is fitted on them. Naive Bayes supplies a strong prior on which features
matter, logistic regression corrects its independence assumption.

Prediction is a hand-written sparse dot product. For a text with known features *F*::

    p(positive) = sigmoid( Σ_F w_f r_f / sqrt(Σ_F r_f²) + b )

so the model stores, per hashed feature bucket, ``weight = w_f r_f`` and ``scale = r_f²``
(float32, dense in memory: 2 × 4 bytes × ``2**bits``; only the buckets seen in training are written
to the file). Features never seen in training have scale 0 and are ignored; a text with no known
feature (an empty text, or one in a script never seen) gets exactly 0.5.

Files are ``.npz`` (numpy arrays, loaded with ``allow_pickle=False``) — never pickle, because
users load models they are sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from qingting.core.sentiment.features import hashed_features

FORMAT = "qingting-sentiment"
FORMAT_VERSION = 1
DEFAULT_BITS = 22  # 4M buckets: ~10% of the features of a 10k-post corpus share one
SLICE_CHARS = 65_536  # characters featurised at once (bounded memory; see decision_function)
SLICE_TEXTS = 1_024  # texts featurised at once: with 22-bit buckets their keys sort as 32-bit integers

FloatArray = npt.NDArray[np.float64]


class ModelFormatError(ValueError):
    """A file is not a Qingting sentiment model (or one of an unsupported version)."""


class SentimentModel:
    """A trained model: ``predict_proba(texts)`` gives each text's probability of being positive.

    Texts must be in matching form, i.e. passed through :func:`qingting.core.text.fold` — as the
    pipeline and ``qingting eval sentiment`` do — both for training and for prediction.

    >>> from qingting.core.sentiment import train
    >>> m = train(["很好", "满意", "很差", "失望"], [1, 1, 0, 0])
    >>> [round(p) for p in m.predict_proba(["很满意", "很失望"])]
    [1, 0]
    """

    def __init__(
        self,
        buckets: npt.ArrayLike,
        weights: npt.ArrayLike,
        scales: npt.ArrayLike,
        bias: float,
        *,
        bits: int = DEFAULT_BITS,
        max_ngram: int = 3,
        words: bool = True,
        info: Mapping[str, Any] | None = None,
    ) -> None:
        idx = np.asarray(buckets, dtype=np.int64).ravel()
        w = np.asarray(weights, dtype=np.float32).ravel()
        s = np.asarray(scales, dtype=np.float32).ravel()
        if not len(idx) == len(w) == len(s):
            raise ValueError(
                f"buckets, weights and scales must have one entry per feature, got {len(idx)}, {len(w)}, {len(s)}"
            )
        if not 8 <= bits <= 26:
            raise ValueError(f"bits must be between 8 and 26, got {bits}")
        if max_ngram < 1:
            raise ValueError(f"max_ngram must be >= 1, got {max_ngram}")
        if len(idx) and (idx.min() < 0 or idx.max() >= 1 << bits):
            raise ValueError(f"feature buckets must lie in [0, 2**{bits})")
        if not (np.isfinite(w).all() and np.isfinite(s).all() and (s >= 0).all()):
            raise ValueError("weights must be finite and scales finite and non-negative")
        self.bits = bits
        self.max_ngram = max_ngram
        self.words = words
        self.bias = float(bias)
        self.info: dict[str, Any] = dict(info or {})
        self._weights = np.zeros(1 << bits, dtype=np.float32)
        self._scales = np.zeros(1 << bits, dtype=np.float32)
        self._weights[idx] = w
        self._scales[idx] = s

    @property
    def n_features(self) -> int:
        """How many feature buckets the model knows (those seen in training)."""
        return int(np.count_nonzero(self._scales))

    def decision_function(self, texts: Sequence[str]) -> FloatArray:
        """The logit of each text; exactly 0.0 for a text with no known feature.

        Texts are featurised in slices of about :data:`SLICE_CHARS` characters: the feature
        arrays take tens of bytes per character, so a batch of long letters would otherwise need
        hundreds of MB at once. A text's score does not depend on its slice.
        """
        return decision_functions([self], texts)[0]

    def _decision(self, doc: npt.NDArray[np.int64], bucket: npt.NDArray[np.int64], n: int) -> FloatArray:
        z = np.zeros(n)
        if len(doc) == 0:
            return z
        starts = np.searchsorted(doc, np.arange(n))
        nonempty = np.bincount(doc, minlength=n) > 0
        # reduceat sums each text's own rows in order, so a text's score never depends on the
        # other texts of the batch (a cumulative sum over the batch would).
        w = np.zeros(n)
        s = np.zeros(n)
        w[nonempty] = np.add.reduceat(self._weights[bucket].astype(np.float64), starts[nonempty])
        s[nonempty] = np.add.reduceat(self._scales[bucket].astype(np.float64), starts[nonempty])
        known = s > 0
        z[known] = w[known] / np.sqrt(s[known]) + self.bias
        return z

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Probability that each (folded) text is positive, in input order; 0.5 when unknown."""
        z = self.decision_function(texts)
        return 1.0 / (1.0 + np.exp(-np.clip(z, -50.0, 50.0)))

    def predict(self, texts: Sequence[str]) -> npt.NDArray[np.int64]:
        """1 (positive) where the probability is at least 0.5, else 0 (negative)."""
        return (self.predict_proba(texts) >= 0.5).astype(np.int64)

    def save(self, path: str | Path) -> None:
        """Write the model to ``path`` as a compressed ``.npz`` (no pickle inside)."""
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "bits": self.bits,
            "max_ngram": self.max_ngram,
            "words": self.words,
            "bias": self.bias,
            "info": self.info,
        }
        idx = np.flatnonzero(self._scales).astype(np.uint32)
        with open(path, "wb") as fh:  # a file object, so numpy does not append ".npz" itself
            np.savez_compressed(
                fh,
                meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
                buckets=idx,
                weights=self._weights[idx],
                scales=self._scales[idx],
            )

    @classmethod
    def load(cls, path: str | Path) -> SentimentModel:
        """Read a model written by :meth:`save`; raises :class:`ModelFormatError` on anything else."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                buckets = np.array(data["buckets"], dtype=np.int64)
                weights = np.array(data["weights"], dtype=np.float32)
                scales = np.array(data["scales"], dtype=np.float32)
        except (OSError, KeyError, ValueError, EOFError) as e:
            raise ModelFormatError(f"{path}: not a Qingting sentiment model ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFormatError(f"{path}: not a Qingting sentiment model")
        if meta.get("version") != FORMAT_VERSION:
            raise ModelFormatError(f"{path}: unsupported model version {meta.get('version')!r}")
        try:
            return cls(
                buckets,
                weights,
                scales,
                float(meta["bias"]),
                bits=int(meta["bits"]),
                max_ngram=int(meta["max_ngram"]),
                words=bool(meta["words"]),
                info=meta.get("info") or {},
            )
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFormatError(f"{path}: corrupt sentiment model ({e})") from e


def decision_functions(models: Sequence[SentimentModel], texts: Sequence[str]) -> list[FloatArray]:
    """Each model's :meth:`~SentimentModel.decision_function` over the same texts.

    Models with the same feature settings (``bits``, ``max_ngram``, ``words``) share one hashing of
    each slice of texts — the costly part (segmentation and hashing), so a three-class model with a
    base, an adapted and a learned model pays for the features once.
    """
    n = len(texts)
    out = [np.zeros(n) for _ in models]
    if n == 0 or not models:
        return out
    groups: dict[tuple[int, int, bool], list[int]] = {}
    for k, m in enumerate(models):
        groups.setdefault((m.bits, m.max_ngram, m.words), []).append(k)
    bounds: list[tuple[int, int]] = []
    start = size = 0
    for i, t in enumerate(texts):
        size += len(t) if isinstance(t, str) else 0
        if size >= SLICE_CHARS or i + 1 - start >= SLICE_TEXTS:
            bounds.append((start, i + 1))
            start, size = i + 1, 0
    if start < n:
        bounds.append((start, n))
    for (bits, max_ngram, words), members in groups.items():
        for a, b in bounds:
            doc, bucket = hashed_features(list(texts[a:b]), max_ngram=max_ngram, words=words, bits=bits)
            for k in members:
                out[k][a:b] = models[k]._decision(doc, bucket, b - a)
    return out


def train(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 0,
    C: float = 10.0,
    alpha: float = 0.5,
    min_df: int = 1,
    max_ngram: int = 3,
    words: bool = True,
    bits: int = DEFAULT_BITS,
) -> SentimentModel:
    """Train a model on folded ``texts`` with ``labels`` 0 (negative) / 1 (positive).

    ``C`` is the inverse L2 regularisation of the logistic regression, ``alpha`` the additive
    smoothing of the naive-Bayes ratios, ``min_df`` the number of training texts a feature must
    occur in to be kept (raise it to make the model smaller). Deterministic: the same data and
    ``seed`` give the same model. Exact duplicate texts are collapsed to one copy with their majority
    label (dropped on a tie), so reposts do not count many times — on ChnSentiCorp, whose
    ``train.tsv`` holds 1,351 duplicates, this is worth 0.7 points. The defaults were chosen on
    weibo2018 and ChnSentiCorp (see ``docs/decisions/0005-sentiment.md``); all measured settings
    were within about half a point.

    >>> m = train(["好评", "差评"], [1, 0])
    >>> m.predict([""]).tolist(), m.predict_proba([""]).tolist()
    ([1], [0.5])
    """
    # scipy and sklearn are only needed to train: importing scipy.sparse costs every process that
    # only scores ≈ 0.15 s of CPU at start-up
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression

    if len(texts) != len(labels):
        raise ValueError(f"texts and labels differ in length: {len(texts)} != {len(labels)}")
    y = np.asarray([int(v) for v in labels], dtype=np.int64)
    if y.size and not np.isin(y, (0, 1)).all():
        bad = next(v for v in labels if int(v) not in (0, 1))
        raise ValueError(f"labels must be 0 (negative) or 1 (positive), got {bad!r}")
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs texts of both labels, 0 and 1")
    if C <= 0 or alpha <= 0 or min_df < 1 or max_ngram < 1:
        raise ValueError(f"need C > 0, alpha > 0, min_df >= 1, max_ngram >= 1; got {C}, {alpha}, {min_df}, {max_ngram}")

    texts, y, n_dropped = _collapse_duplicates(texts, y)
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs distinct texts of both labels, 0 and 1")
    doc, bucket = hashed_features(list(texts), max_ngram=max_ngram, words=words, bits=bits)
    used, col = np.unique(bucket, return_inverse=True)  # sorted, so deterministic
    df = np.bincount(col, minlength=len(used))
    keep_col = df >= min_df
    new_col = np.cumsum(keep_col) - 1
    row_keep = keep_col[col]
    x = sp.csr_matrix(
        (np.ones(int(row_keep.sum())), (doc[row_keep], new_col[col[row_keep]])),
        shape=(len(texts), int(keep_col.sum())),
    )
    used = used[keep_col]
    p = alpha + np.asarray(x[y == 1].sum(axis=0)).ravel()
    q = alpha + np.asarray(x[y == 0].sum(axis=0)).ravel()
    ratio = np.log((p / p.sum()) / (q / q.sum()))
    xr = sp.csr_matrix(x.multiply(ratio))
    norms = np.sqrt(np.asarray(xr.multiply(xr).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    xr = sp.csr_matrix(sp.diags(1.0 / norms) @ xr)
    clf = LogisticRegression(C=C, max_iter=5000, random_state=seed)
    clf.fit(xr, y)
    coef = clf.coef_.ravel()
    info = {
        "method": "nb-logistic-regression",
        "n_train": len(texts),
        "n_duplicates_dropped": n_dropped,
        "C": C,
        "alpha": alpha,
        "min_df": min_df,
        "seed": seed,
        "bits": bits,
    }
    return SentimentModel(
        used,
        coef * ratio,
        ratio * ratio,
        float(clf.intercept_[0]),
        bits=bits,
        max_ngram=max_ngram,
        words=words,
        info=info,
    )


def _collapse_duplicates(
    texts: Sequence[str], y: npt.NDArray[np.int64]
) -> tuple[list[str], npt.NDArray[np.int64], int]:
    """One copy of each distinct text, in first-seen order, with its majority label (ties dropped)."""
    votes: dict[str, list[int]] = {}
    for text, label in zip(texts, y.tolist(), strict=True):
        votes.setdefault(text, [0, 0])[label] += 1
    if len(votes) == len(texts):
        return list(texts), y, 0
    kept = [(t, int(v[1] > v[0])) for t, v in votes.items() if v[0] != v[1]]
    out_y = np.asarray([label for _, label in kept], dtype=np.int64)
    return [t for t, _ in kept], out_y, len(texts) - len(kept)
