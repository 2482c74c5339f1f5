"""A versioned, non-executable container for the engine's state (checkpoints, not pickles).

A checkpoint is bytes laid out as::

    b"QTCKPT" | format version (u16 LE) | codec (u8: 0 raw, 1 zlib) | reserved (u8)
    | crc32 of the body (u32 LE) | body (compressed by the codec)

    body = json length (u32 LE) | JSON document (UTF-8) | array bytes, back to back

The JSON document is ``{"arrays": [[dtype, shape, offset, nbytes], …], "state": …}``. Inside
``state``, as a value of an object, ``{"$a": k}`` stands for array ``k``, rebuilt with
``numpy.frombuffer`` under a short list of plain little-endian dtypes (no object arrays), and
``{"$f": "inf"}`` for a non-finite float (JSON has none). Lists are written and read as they are,
without a walk (that is where the bulk is): a list may hold JSON values only — no arrays, no
non-finite floats; the components keep to that, and their round-trip tests check it.

Nothing in a checkpoint is ever executed or unpickled: reading one builds numbers, strings, lists,
dicts and numeric arrays, and the components rebuild themselves from those
(:meth:`qingting.core.pipeline.Pipeline.restore`).

Reading a checkpoint of another format version raises :class:`CheckpointVersionError` unless a
migration for that version is given (``Pipeline`` keeps them in ``MIGRATIONS``); any other damage raises
:class:`CheckpointError`. Both are ``ValueError``\\ s. A caller that keeps its input (the platform
keeps every item) answers :class:`CheckpointVersionError` by building a fresh engine and replaying.

>>> import numpy as np
>>> blob = dump({"n": 3, "xs": np.arange(4, dtype="<u4"), "t": float("-inf")}, version=1)
>>> state = load(blob, version=1)
>>> state["n"], state["xs"].tolist(), state["t"]
(3, [0, 1, 2, 3], -inf)
"""

from __future__ import annotations

import math
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import orjson

__all__ = [
    "MAGIC",
    "CheckpointError",
    "CheckpointVersionError",
    "dump",
    "load",
    "peek_version",
]

MAGIC = b"QTCKPT"
_HEADER = struct.Struct("<6sHBBI")  # magic, version, codec, reserved, crc32
_LEGACY_PICKLE = b"QTPIPE1\n"  # the engine's state before checkpoints: never read
_CODEC_RAW, _CODEC_ZLIB = 0, 1
_DTYPES = frozenset({"<u4", "<u8", "<i4", "<i8", "<f4", "<f8", "|u1", "|b1", "|i1", "<u2", "<i2"})
_MAX_JSON = 1 << 31


class CheckpointError(ValueError):
    """Bytes that are not a readable engine checkpoint (wrong header, damaged, inconsistent)."""


class CheckpointVersionError(CheckpointError):
    """A checkpoint of a format version this code cannot read (older without a migration, or newer).

    ``found`` is the version in the bytes (``0`` for the pre-checkpoint pickle format), ``expected``
    the version this code writes. Rebuild the engine from stored items instead.
    """

    def __init__(self, found: int, expected: int, detail: str = "") -> None:
        self.found = found
        self.expected = expected
        msg = f"engine checkpoint format {found} cannot be read by this version (it reads format {expected})"
        super().__init__(f"{msg}: {detail}" if detail else msg)


def peek_version(blob: bytes) -> int:
    """The format version written in ``blob`` (``0`` for a legacy pickle snapshot).

    Raises :class:`CheckpointError` when ``blob`` is neither.
    """
    if blob.startswith(_LEGACY_PICKLE):
        return 0
    if len(blob) < _HEADER.size or not blob.startswith(MAGIC):
        raise CheckpointError("not a Qingting engine checkpoint or snapshot (bad header)")
    return int(_HEADER.unpack_from(blob)[1])


# -- encoding ---------------------------------------------------------------------------------


def dump(state: Any, *, version: int, level: int = 1) -> bytes:
    """Encode ``state`` (dicts with str keys, lists, tuples, str, int, float, bool, None, numpy
    arrays of plain dtypes) as a checkpoint of format ``version``; zlib ``level`` 0 stores raw."""
    arrays: list[np.ndarray[Any, Any]] = []

    def enc(x: Any) -> Any:
        if isinstance(x, float):
            return x if math.isfinite(x) else {"$f": repr(x)}
        if isinstance(x, dict):
            return {k: enc(v) for k, v in x.items()}
        if isinstance(x, list | tuple):
            return x  # written as they are: lists hold JSON values only (see the module docstring)
        if isinstance(x, np.ndarray):
            a = np.ascontiguousarray(x)
            if a.dtype.str not in _DTYPES:
                a = a.astype(a.dtype.newbyteorder("<"))
                if a.dtype.str not in _DTYPES:
                    raise TypeError(f"cannot store an array of dtype {x.dtype} in a checkpoint")
            arrays.append(a)
            return {"$a": len(arrays) - 1}
        if isinstance(x, np.integer):
            return int(x)
        if isinstance(x, np.floating):
            return enc(float(x))
        return x

    tree = enc(state)
    table = []
    offset = 0
    for a in arrays:
        table.append([a.dtype.str, list(a.shape), offset, a.nbytes])
        offset += a.nbytes
    doc = orjson.dumps({"arrays": table, "state": tree})
    body = b"".join([struct.pack("<I", len(doc)), doc, *(a.tobytes() for a in arrays)])
    codec = _CODEC_ZLIB if level > 0 else _CODEC_RAW
    payload = zlib.compress(body, level) if codec == _CODEC_ZLIB else body
    return _HEADER.pack(MAGIC, version, codec, 0, zlib.crc32(payload)) + payload


# -- decoding ---------------------------------------------------------------------------------

Migration = Callable[[Any], Any]


def load(blob: bytes, *, version: int, migrations: dict[int, Migration] | None = None) -> Any:
    """Decode a checkpoint written by :func:`dump`; migrate it to ``version`` if it is older.

    ``migrations[v]`` turns a decoded state of format ``v`` into format ``v + 1``. Raises
    :class:`CheckpointVersionError` for a version with no path to ``version`` (including the legacy
    pickle format, which is never unpickled) and :class:`CheckpointError` for damaged bytes.
    """
    if not isinstance(blob, bytes | bytearray | memoryview):
        raise CheckpointError(f"a checkpoint is bytes, got {type(blob).__name__}")
    blob = bytes(blob)
    found = peek_version(blob)
    migrations = migrations or {}
    if found == 0:
        raise CheckpointVersionError(0, version, "a pickled snapshot from before checkpoints; rebuild from items")
    if found > version or any(v not in migrations for v in range(found, version)):
        raise CheckpointVersionError(found, version)
    _, _, codec, _, crc = _HEADER.unpack_from(blob)
    payload = memoryview(blob)[_HEADER.size :]
    if zlib.crc32(payload) != crc:
        raise CheckpointError("engine checkpoint is damaged (checksum mismatch)")
    try:
        if codec == _CODEC_ZLIB:
            body = zlib.decompress(payload)
        elif codec == _CODEC_RAW:
            body = bytes(payload)
        else:
            raise CheckpointError(f"engine checkpoint uses an unknown compression ({codec})")
        (n,) = struct.unpack_from("<I", body)
        if n > min(len(body) - 4, _MAX_JSON):
            raise CheckpointError("engine checkpoint is damaged (document length)")
        doc = orjson.loads(body[4 : 4 + n])
        data = memoryview(body)[4 + n :]
        arrays = [_array(data, entry) for entry in doc["arrays"]]
        state = _dec(doc["state"], arrays)
    except CheckpointError:
        raise
    except (zlib.error, struct.error, orjson.JSONDecodeError, KeyError, TypeError, IndexError, ValueError) as exc:
        raise CheckpointError(f"engine checkpoint is damaged ({exc})") from exc
    for v in range(found, version):
        state = migrations[v](state)
    return state


def _array(data: memoryview, entry: Any) -> np.ndarray[Any, Any]:
    dtype, shape, offset, nbytes = entry
    if dtype not in _DTYPES:
        raise CheckpointError(f"engine checkpoint holds an array of a refused dtype {dtype!r}")
    if not (isinstance(offset, int) and isinstance(nbytes, int) and offset >= 0 and offset + nbytes <= len(data)):
        raise CheckpointError("engine checkpoint is damaged (array bounds)")
    a = np.frombuffer(data[offset : offset + nbytes], dtype=np.dtype(dtype))
    return a.reshape([int(s) for s in shape])


def _dec(x: Any, arrays: list[np.ndarray[Any, Any]]) -> Any:
    if isinstance(x, dict):
        if len(x) == 1:
            if "$a" in x:
                return arrays[x["$a"]]
            if "$f" in x:
                return float(x["$f"])
        return {k: _dec(v, arrays) for k, v in x.items()}
    return x


# -- helpers the components share ---------------------------------------------------------------


def split_u128(keys: list[int]) -> tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """128-bit integers as two uint64 arrays (low, high)."""
    mask = (1 << 64) - 1
    lo = np.fromiter((k & mask for k in keys), dtype="<u8", count=len(keys))
    hi = np.fromiter((k >> 64 for k in keys), dtype="<u8", count=len(keys))
    return lo, hi


def join_u128(lo: np.ndarray[Any, Any], hi: np.ndarray[Any, Any]) -> list[int]:
    """The inverse of :func:`split_u128`."""
    return [(h << 64) | low for low, h in zip(lo.tolist(), hi.tolist(), strict=True)]
