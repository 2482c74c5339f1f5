"""Push intake: signatures, replays, idempotency and per-item batch results."""

from __future__ import annotations

import orjson
import pytest

from qingting.sources.push import PayloadError, SignatureError, sign, validate_batch, verify_signature
from qingting.sources.types import pseudonymise

SECRET = b"source-secret"
NOW = 1_790_812_800
BODY = orjson.dumps({"items": [{"id": "m1", "text": "路灯坏了", "author": "138****0000", "time": "2026-10-01 08:00"}]})


def test_valid_signature_passes_and_rotation_accepts_the_old_secret() -> None:
    header = sign(SECRET, BODY, NOW)
    assert verify_signature(SECRET, BODY, header, now=NOW + 10) == NOW
    assert verify_signature([b"new-secret", SECRET], BODY, header, now=NOW) == NOW


@pytest.mark.parametrize(
    ("header", "body", "now", "message"),
    [
        (None, BODY, NOW, "missing"),
        ("v1=abc", BODY, NOW, "no valid t="),
        (f"t={NOW}", BODY, NOW, "no v1="),
        (sign(b"other", BODY, NOW), BODY, NOW, "does not match"),
        (sign(SECRET, BODY, NOW), BODY + b" ", NOW, "does not match"),  # body tampered
        (sign(SECRET, BODY, NOW), BODY, NOW + 301, "replay"),  # replayed after the window
        (sign(SECRET, BODY, NOW + 3600), BODY, NOW, "replay"),  # from the future
        (sign(SECRET, BODY, NOW).replace(f"t={NOW}", f"t={NOW + 5}"), BODY, NOW, "does not match"),  # re-stamped
    ],
)
def test_bad_signatures_are_refused_with_a_reason(header: str | None, body: bytes, now: int, message: str) -> None:
    with pytest.raises(SignatureError, match=message):
        verify_signature(SECRET, body, header, now=now)


def test_batch_gives_one_result_per_item_in_order() -> None:
    body = orjson.dumps(
        [
            {"id": "a", "text": "噪音扰民", "author": "张三", "engagement": 3},
            {"id": "b", "text": ""},
            {"id": "c", "text": "x", "colour": "red"},
            {"id": "a", "text": "again"},
            {"id": "old", "text": "stored before"},
            {"text": "no id"},
            {"id": "t", "text": "bad time", "time": "yesterday"},
            "not an object",
            {
                "id": 7,
                "title": "只有标题",
                "attachments": [{"name": "a.jpg", "content_type": "image/jpeg", "size": 10}],
            },
        ]
    )
    batch = validate_batch(body, key=b"k", seen=lambda i: i == "old")
    got = [(r.index, r.external_id, r.status) for r in batch.results]
    assert got == [
        (0, "a", "accepted"),
        (1, "b", "rejected"),
        (2, "c", "rejected"),
        (3, "a", "duplicate"),
        (4, "old", "duplicate"),
        (5, None, "rejected"),
        (6, "t", "rejected"),
        (7, None, "rejected"),
        (8, "7", "accepted"),
    ]
    msgs = {r.index: r.message for r in batch.results}
    assert "text: required" in msgs[1] and "colour" in msgs[2] and "id: required" in msgs[5]
    assert "yesterday" in msgs[6] and "JSON object" in msgs[7]
    a, seven = batch.accepted
    assert a.author_pseudonym == pseudonymise("张三", b"k") and a.engagement == 3
    assert seven.attachments[0].size == 10 and seven.title == "只有标题"
    assert batch.summary() == {"accepted": 2, "duplicate": 2, "rejected": 5}
    assert batch.results[1].as_dict() == {
        "index": 1,
        "id": "b",
        "status": "rejected",
        "message": "text: required (or a title)",
    }


def test_a_replayed_batch_stores_nothing_twice() -> None:
    stored: set[str] = set()
    for _ in range(2):
        batch = validate_batch(BODY, key=b"k", seen=stored.__contains__)
        stored.update(i.external_id for i in batch.accepted)
    assert stored == {"m1"} and batch.summary() == {"accepted": 0, "duplicate": 1, "rejected": 0}


def test_oversized_and_malformed_bodies_are_refused_whole() -> None:
    with pytest.raises(PayloadError, match="exceeds the limit of 100"):
        validate_batch(b"[" + b" " * 200 + b"]", key=b"k", max_bytes=100)
    with pytest.raises(PayloadError, match="batch of 3 items exceeds the limit of 2"):
        validate_batch(orjson.dumps([{"id": i, "text": "x"} for i in range(3)]), key=b"k", max_items=2)
    with pytest.raises(PayloadError, match="not valid JSON"):
        validate_batch(b'{"id": 1, "text": "unterminated', key=b"k")
