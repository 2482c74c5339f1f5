"""Sentiment: the trainable Chinese model, its file format, the default model and the dispatcher."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from qingting.core.evaluation import split_holdout
from qingting.core.sentiment import (
    NEUTRAL_BAND,
    Analyzer,
    ModelFormatError,
    SentimentModel,
    default_analyzer,
    default_model,
    label_for,
    method_for,
    sentiment_text,
    train,
)
from qingting.core.sentiment.features import hashed_features
from qingting.core.sentiment.model import SLICE_TEXTS
from qingting.core.text import fold, normalize
from qingting.core.types import SentimentLabel

POSITIVE = [
    "服务很好,非常满意",
    "质量不错,很喜欢",
    "太棒了,推荐购买",
    "物流很快,满意",
    "性价比高,好评",
    "喜欢,下次还来",
]
NEGATIVE = ["服务太差,很失望", "质量很差,不喜欢", "太烂了,不推荐", "物流很慢,失望", "价格贵,差评", "垃圾,再也不来"]


@pytest.fixture(scope="module")
def small_model() -> SentimentModel:
    texts = POSITIVE + NEGATIVE
    return train(texts, [1] * len(POSITIVE) + [0] * len(NEGATIVE), seed=0)


def test_small_corpus_predicts_unseen_combinations(small_model: SentimentModel) -> None:
    probs = small_model.predict_proba(["非常喜欢,好评", "很失望,差评", "满意", "垃圾"])
    assert probs[0] > 0.6 and probs[2] > 0.5
    assert probs[1] < 0.4 and probs[3] < 0.5


def test_empty_and_unknown_texts_are_exactly_neutral(small_model: SentimentModel) -> None:
    probs = small_model.predict_proba(["", "   ", "ゞゟ", "\x00\x01"])
    assert probs.tolist() == [0.5, 0.5, 0.5, 0.5]
    assert small_model.predict_proba([]).shape == (0,)


def test_bad_input_never_crashes_prediction(small_model: SentimentModel) -> None:
    huge = "很失望" * 3_500_000  # ~10 MB: only the first 10,000 characters are read
    junk = "\ud800质量\udfff不错\x00\x07" + bytes(range(256)).decode("latin-1")
    probs = small_model.predict_proba([huge, junk, None])  # type: ignore[list-item]
    assert probs[0] < 0.5 and 0.0 <= probs[1] <= 1.0 and probs[2] == 0.5


def test_prediction_of_a_text_does_not_depend_on_its_batch(small_model: SentimentModel) -> None:
    alone = small_model.predict_proba(["质量不错"])[0]
    batch = small_model.predict_proba(["", "很失望", "质量不错", "好评" * 50])
    assert batch[2] == alone


def test_save_load_round_trip_gives_identical_probabilities(small_model: SentimentModel, tmp_path: Path) -> None:
    path = tmp_path / "model.npz"
    small_model.save(path)
    loaded = SentimentModel.load(path)
    texts = POSITIVE + NEGATIVE + ["", "没有见过的句子", "[哈哈]好"]
    assert np.array_equal(loaded.predict_proba(texts), small_model.predict_proba(texts))
    assert loaded.info["n_train"] == 12
    # numpy must not have appended its own suffix, and the file is not a pickle
    assert path.exists()
    with np.load(path, allow_pickle=False) as data:
        assert set(data.files) == {"meta", "buckets", "weights", "scales"}


def test_load_refuses_files_that_are_not_models(tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"\x00\xffnot a zip")
    with pytest.raises(ModelFormatError, match=r"junk\.npz"):
        SentimentModel.load(junk)
    other = tmp_path / "other.npz"
    with open(other, "wb") as fh:
        np.savez(fh, meta=np.frombuffer(b'{"format": "something-else"}', dtype=np.uint8))
    with pytest.raises(ModelFormatError):
        SentimentModel.load(other)
    pickled = tmp_path / "pickled.npz"
    with open(pickled, "wb") as fh:
        np.savez(fh, meta=np.array([{"format": "qingting-sentiment"}], dtype=object))
    with pytest.raises(ModelFormatError):  # object arrays would need pickle: refused
        SentimentModel.load(pickled)


def test_training_is_deterministic_for_a_seed() -> None:
    rng = random.Random(1)
    texts = [rng.choice(POSITIVE) + rng.choice(["", "!", "啊"]) for _ in range(30)]
    texts += [rng.choice(NEGATIVE) + rng.choice(["", "!", "啊"]) for _ in range(30)]
    labels = [1] * 30 + [0] * 30
    a, b = train(texts, labels, seed=7), train(texts, labels, seed=7)
    probe = ["很喜欢", "很失望", "一般般"]
    assert np.array_equal(a.predict_proba(probe), b.predict_proba(probe))


def test_duplicate_texts_count_once_with_their_majority_label() -> None:
    texts = ["很好", "很好", "很好", "很差", "一般", "一般"]
    model = train(texts, [1, 1, 0, 0, 1, 0])
    assert model.info["n_train"] == 2  # "很好" → 1 (2 votes to 1), "很差" → 0, "一般" tied → dropped
    assert model.info["n_duplicates_dropped"] == 4
    good, bad = model.predict_proba(["很好", "很差"])
    assert good > 0.5 > bad
    with pytest.raises(ValueError, match="both labels"):
        train(["好", "好", "坏"], [1, 0, 0])  # after collapsing, only label 0 is left


def test_train_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="length"):
        train(["好"], [1, 0])
    with pytest.raises(ValueError, match=r"0 \(negative\) or 1"):
        train(["好", "坏"], [1, 2])
    with pytest.raises(ValueError, match="both labels"):
        train(["好", "很好"], [1, 1])


def test_bracket_emoticons_are_one_feature_each() -> None:
    # "[笑而不语]" is one whole feature besides its characters, so a long emoticon is not
    # reduced to its trigrams (which it would share with "[笑而不答]")
    doc, _ = hashed_features(["[笑而不语]", "笑而不语"], max_ngram=1, words=False)
    assert (doc == 0).sum() == 7  # 6 distinct characters + the emoticon
    assert (doc == 1).sum() == 4  # no brackets, no emoticon
    model = train(["好[泪]", "好[泪][泪]", "好[笑]", "好[笑][笑]"], [0, 0, 1, 1])
    sad, happy = model.predict_proba(["今天[泪]", "今天[笑]"])
    assert sad < 0.5 < happy


def test_hashed_features_are_stable_and_per_text() -> None:
    doc, bucket = hashed_features(["不满意", "", "不满意"], bits=22)
    assert set(doc.tolist()) == {0, 2}
    assert bucket[doc == 0].tolist() == bucket[doc == 2].tolist()
    # a fixed arithmetic hash: the same features in every process (a saved model relies on it)
    assert bucket[doc == 0].tolist() == hashed_features(["不满意"], bits=22)[1].tolist()
    assert len(bucket[doc == 0]) == len(set(bucket[doc == 0].tolist()))


def test_sentiment_text_puts_emoticons_and_emoji_back() -> None:
    norm = normalize("轉發理由：太感動了[淚]😭 http://t.cn/x //@新华社:原文")
    text = sentiment_text(norm)
    assert "[泪]" in text and "😭" in text and "感动" in text
    assert "t.cn" not in text and "原文" not in text
    assert sentiment_text(normalize("")) == ""
    assert sentiment_text(normalize("[哈哈]")) == "[哈哈]"


def test_neutral_band_maps_probabilities_to_labels() -> None:
    lo, hi = NEUTRAL_BAND
    assert label_for(lo - 0.01) is SentimentLabel.NEGATIVE
    assert label_for(lo) is SentimentLabel.NEUTRAL
    assert label_for(0.5) is SentimentLabel.NEUTRAL
    assert label_for(hi) is SentimentLabel.NEUTRAL
    assert label_for(hi + 0.01) is SentimentLabel.POSITIVE


def test_default_model_gets_obvious_cases_right() -> None:
    model = default_model()
    pos, neg = model.predict_proba([fold("太棒了，非常满意"), fold("太差劲了，气死我了")])
    assert label_for(pos) is SentimentLabel.POSITIVE
    assert label_for(neg) is SentimentLabel.NEGATIVE
    # Traditional script is folded to Simplified before the model sees it
    trad = model.predict_proba([fold("太棒了，非常滿意"), fold("質量太差，很失望")])
    assert trad[0] > 0.6 and trad[1] < 0.4


def test_analyzer_dispatches_by_language(small_model: SentimentModel) -> None:
    analyzer = Analyzer(small_model)
    texts = ["很失望", "I love this, wonderful!", "This is awful and I hate it.", "très bien", "很失望", ""]
    langs = ["zh", "en", "en", "fr", None, "en"]
    probs = analyzer.predict_proba(texts, langs)
    assert probs[0] < 0.4
    assert probs[1] > 0.8 and probs[2] < 0.2
    assert probs[3] == 0.5 and probs[4] == 0.5 and probs[5] == 0.5
    assert method_for("zh-Hant") == "zh" and method_for("ja") == "zh" and method_for("en-GB") == "en"
    with pytest.raises(ValueError, match="length"):
        analyzer.predict_proba(["a"], [])


def test_default_analyzer_loads_a_user_model(small_model: SentimentModel, tmp_path: Path) -> None:
    path = tmp_path / "mine.npz"
    small_model.save(path)
    analyzer = default_analyzer(str(path))
    assert analyzer.predict_proba(["很失望"], ["zh"]) == [float(small_model.predict_proba(["很失望"])[0])]


@pytest.mark.data
def test_weibo2018_split_accuracy(shared_data: Path) -> None:
    """The bench's split: split_holdout(rows, 0.2, seed=0) of weibo2018/train.txt; measured 0.880."""
    rows = []
    for line in (shared_data / "weibo2018" / "train.txt").read_text(encoding="utf-8").splitlines():
        _mid, label, text = line.split(",", 2)
        rows.append((fold(text), int(label)))
    tr, te = split_holdout(rows, 0.2, 0)
    model = train([t for t, _ in tr], [y for _, y in tr], seed=0)
    pred = model.predict([t for t, _ in te])
    accuracy = float(np.mean(pred == np.array([y for _, y in te])))
    assert accuracy >= 0.865


def test_keys_sorted_as_32_bit_integers_give_the_same_features() -> None:
    # Up to 1,024 texts (22-bit buckets) the keys are sorted as 32-bit integers; beyond, as 64-bit.
    rng = random.Random(3)
    alphabet = "好差不很满意失望服务快慢[哈哈]🙂价格贵便宜 abc"
    texts = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(1_500)]
    wide_doc, wide_bucket = hashed_features(texts)
    narrow_doc, narrow_bucket = hashed_features(texts[:SLICE_TEXTS])
    first = wide_doc < SLICE_TEXTS
    assert narrow_doc.dtype == wide_doc.dtype == np.int64
    assert np.array_equal(narrow_doc, wide_doc[first]) and np.array_equal(narrow_bucket, wide_bucket[first])
    assert SLICE_TEXTS << 22 <= 1 << 32
