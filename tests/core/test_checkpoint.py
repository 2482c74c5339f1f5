"""Engine checkpoints: versioned, non-executable, exact continuation, clear errors for the rest."""

from __future__ import annotations

import itertools
import pickle
import re
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest

from qingting.core import checkpoint
from qingting.core.checkpoint import CheckpointError, CheckpointVersionError
from qingting.core.cluster import OnlineClusterer
from qingting.core.dedupe import Deduper
from qingting.core.io import Record, to_item
from qingting.core.pipeline import CHECKPOINT_VERSION, Pipeline, PipelineConfig
from qingting.core.types import Item
from qingting.demo import generate

SRC = Path(__file__).resolve().parents[2] / "src"


def demo_items(n: int = 1500, seed: int = 3) -> list[Item]:
    """A realistic stream: reposts with parents, near copies, news, several stories and chatter."""
    out = []
    for r in generate(seed=seed, days=5, scale=0.6)[:n]:
        it = to_item(Record(r["id"], r))
        assert isinstance(it, Item)
        out.append(it)
    return out


def test_restored_pipeline_continues_exactly_like_an_uninterrupted_one() -> None:
    items = demo_items()
    cuts = [0, 200, 650, 1100, len(items)]
    straight = Pipeline(PipelineConfig(window_seconds=86400.0))
    expected = [straight.partial_fit(items[a:b]) for a, b in itertools.pairwise(cuts)]
    p = Pipeline(PipelineConfig(window_seconds=86400.0))
    got = []
    for a, b in itertools.pairwise(cuts):
        blob = p.checkpoint()
        p = Pipeline.from_checkpoint(blob)
        assert p.checkpoint() == blob  # nothing lost or reordered on the way
        got.append(p.partial_fit(items[a:b]))
    assert got == expected  # every assignment and every event summary, field by field
    assert sorted(p.events(), key=lambda s: s.event_id) == sorted(straight.events(), key=lambda s: s.event_id)


def test_old_names_are_the_same_format() -> None:
    p = Pipeline()
    p.partial_fit(demo_items(300))
    blob = p.snapshot()
    assert blob.startswith(checkpoint.MAGIC)
    assert checkpoint.peek_version(blob) == CHECKPOINT_VERSION
    assert Pipeline.restore(blob).checkpoint() == blob


def test_a_pickled_snapshot_of_an_earlier_version_is_refused_without_unpickling() -> None:
    class Trap:
        def __reduce__(self):  # type: ignore[no-untyped-def]
            return (pytest.fail, ("a checkpoint was unpickled",))

    legacy = b"QTPIPE1\n" + zlib.compress(pickle.dumps({"deduper_": Trap()}), 3)
    with pytest.raises(CheckpointVersionError) as err:
        Pipeline.restore(legacy)
    assert err.value.found == 0 and err.value.expected == CHECKPOINT_VERSION
    assert "rebuild" in str(err.value)


def test_a_newer_or_unmigrated_version_raises_the_version_error() -> None:
    blob = Pipeline().checkpoint()
    newer = blob[:6] + struct.pack("<H", CHECKPOINT_VERSION + 1) + blob[8:]
    with pytest.raises(CheckpointVersionError, match="cannot be read"):
        Pipeline.from_checkpoint(newer)
    older = checkpoint.dump({"x": 1}, version=CHECKPOINT_VERSION + 5)
    with pytest.raises(CheckpointVersionError):
        checkpoint.load(older, version=CHECKPOINT_VERSION + 7, migrations={CHECKPOINT_VERSION + 5: lambda s: s})


def test_migrations_run_in_order_from_an_older_version() -> None:
    old = checkpoint.dump({"n": 1}, version=1)
    migrations = {1: lambda s: {**s, "n": s["n"] * 10, "v2": True}, 2: lambda s: {**s, "n": s["n"] + 1}}
    assert checkpoint.load(old, version=3, migrations=migrations) == {"n": 11, "v2": True}


@pytest.mark.parametrize(
    ("blob", "message"),
    [
        (b"", "bad header"),
        (b"not a snapshot", "bad header"),
        (b"QTCKPT", "bad header"),
    ],
)
def test_other_bytes_are_refused_with_a_clear_error(blob: bytes, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        Pipeline.restore(blob)


def test_damaged_checkpoints_are_refused() -> None:
    p = Pipeline()
    p.partial_fit(demo_items(200))
    blob = bytearray(p.checkpoint())
    flipped = bytes(blob[:40]) + bytes([blob[40] ^ 0xFF]) + bytes(blob[41:])
    with pytest.raises(CheckpointError, match="damaged"):
        Pipeline.from_checkpoint(flipped)
    with pytest.raises(CheckpointError, match="damaged"):
        Pipeline.from_checkpoint(bytes(blob[: len(blob) // 2]))
    # A well-formed container whose state is not a pipeline's
    with pytest.raises(CheckpointError, match="inconsistent"):
        Pipeline.from_checkpoint(checkpoint.dump({"config": {}}, version=CHECKPOINT_VERSION))


def test_arrays_of_objects_are_refused_on_both_sides() -> None:
    with pytest.raises(TypeError):
        checkpoint.dump({"a": np.array([object()])}, version=1)
    good = checkpoint.dump({"a": np.arange(3, dtype="<i8")}, version=1)
    _, _, codec, _, _ = struct.unpack_from("<6sHBBI", good)
    body = bytearray(zlib.decompress(good[14:]))
    n = struct.unpack_from("<I", body)[0]
    doc = bytes(body[4 : 4 + n]).replace(b'"<i8"', b'"|O8"')
    body = struct.pack("<I", len(doc)) + doc + bytes(body[4 + n :])
    payload = zlib.compress(body)
    evil = struct.pack("<6sHBBI", b"QTCKPT", 1, codec, 0, zlib.crc32(payload)) + payload
    with pytest.raises(CheckpointError, match="refused dtype"):
        checkpoint.load(evil, version=1)


def test_components_round_trip_through_the_container() -> None:
    d = Deduper(window_seconds=500.0)
    c = OnlineClusterer()
    texts = [it.text for it in demo_items(600)]
    for i, t in enumerate(texts[:400]):
        d.add(str(i), t, float(i))
        c.add(t.split() or ["x"], float(i))
    d2 = Deduper.from_state(checkpoint.load(checkpoint.dump(d.to_state(), version=1), version=1))
    c2 = OnlineClusterer.from_state(checkpoint.load(checkpoint.dump(c.to_state(), version=1), version=1))
    for i, t in enumerate(texts[400:], start=400):
        assert d2.add(str(i), t, float(i)) == d.add(str(i), t, float(i))
        assert c2.add(t.split() or ["x"], float(i)) == c.add(t.split() or ["x"], float(i))
    assert len(d2) == len(d) and c2.n_events_ == c.n_events_


def test_no_source_file_loads_a_pickle() -> None:
    loads = re.compile(r"pickle\.loads?\(|Unpickler|allow_pickle\s*=\s*True|shelve|marshal\.loads?\(")
    offenders = [str(p) for p in SRC.rglob("*.py") if loads.search(p.read_text(encoding="utf-8"))]
    assert offenders == []
