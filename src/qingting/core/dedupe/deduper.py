"""Streaming near-duplicate detection: MinHash over character shingles, an LSH index, a time window.

An item either repeats an earlier item still inside the window — it then gets a
:class:`DuplicateMatch` naming the *root* (the first-seen canonical item) — or it becomes a
canonical item that later items can match. Duplicates are never indexed as canonicals, so chains
collapse to their root by construction.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import xxhash

from qingting.core.dedupe.minhash import U32, U64, MinHasher, band_keys, band_params, optimal_bands

DEFAULT_THRESHOLD = 0.6
DEFAULT_NUM_PERM = 64
DEFAULT_WINDOW_SECONDS = 3 * 24 * 3600.0
DEFAULT_MIN_SHINGLES = 5
DEFAULT_MAX_CHARS = 100_000

# Rows of the signature store are allocated in blocks; it grows by doubling.
_INITIAL_CAPACITY = 64


@dataclass(frozen=True, slots=True)
class DuplicateMatch:
    """An item repeats ``canonical_id``, an earlier canonical item still inside the window.

    ``kind`` is ``"exact"`` when the (folded) texts are identical and ``"near"`` when their
    estimated Jaccard similarity over character shingles reaches the threshold; ``similarity`` is
    that estimate (1.0 for exact).
    """

    canonical_id: str
    kind: Literal["exact", "near"]
    similarity: float


@dataclass(frozen=True, slots=True)
class PreparedTexts:
    """A batch of texts made ready for :meth:`Deduper.add_prepared` by :meth:`Deduper.prepare`."""

    num_perm: int
    seed: int
    text_keys: list[int]  # 0 for an empty or blank text
    sigs: U32  # (texts, num_perm) MinHash signatures
    bands: list[tuple[int, ...]]  # LSH band keys; () for a text matched exactly only

    def __len__(self) -> int:
        return len(self.text_keys)


def _check_time(item_id: str, time: object) -> None:
    if isinstance(time, bool) or not isinstance(time, int | float) or math.isnan(time):
        raise ValueError(f"item {item_id!r}: time must be a number (unix seconds), got {time!r}")


@lru_cache(maxsize=16)
def _hash_params(num_perm: int, shingle: int, seed: int, bands: int, rows: int) -> tuple[MinHasher, U64, U64]:
    """Hash functions are a pure function of the parameters: built once per process, shared."""
    mult, salt = band_params(bands, rows, seed)
    return MinHasher(num_perm, shingle, seed), mult, salt


@lru_cache(maxsize=64)
def _cached_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    return optimal_bands(threshold, num_perm)


class Deduper:
    """Find exact and near duplicates in a stream of (already folded) texts.

    Parameters
    ----------
    threshold:
        Estimated Jaccard similarity of character-shingle sets at or above which two texts are
        near duplicates, in ``(0, 1]``.
    shingle:
        Shingle length in characters (code points).
    num_perm:
        MinHash signature length; more is more accurate and slower.
    bands, rows:
        LSH banding (``bands·rows ≤ num_perm``); by default chosen from ``threshold`` to keep
        misses rare (see :func:`~qingting.core.dedupe.minhash.optimal_bands`).
    window_seconds:
        Canonical items older than this, relative to the latest time seen in the stream, are
        forgotten (evicted from the LSH index and the exact table). ``math.inf`` keeps everything.
    max_items:
        Optional hard cap on remembered canonical items; the oldest (by time) go first.
    min_shingles:
        Texts with fewer shingles than this are matched exactly only: with a handful of shingles
        one changed character moves the Jaccard estimate by a large step, and short texts such as
        ``"转发微博"``, ``"哈哈哈哈"`` or ``"支持！"`` coincide without anyone having copied
        anything — a near match on them would be noise.
    max_chars:
        Longer texts are signed on their first and last ``max_chars // 2`` characters, so one
        huge post (a 10 MB paste, a whole document) costs milliseconds, not seconds, and cannot
        stall the stream; edits at either end still count. Exact matching always uses the whole
        text.
    seed:
        Seed of the hash functions; results are identical for identical seeds and inputs.

    Example
    -------
    >>> d = Deduper(threshold=0.6)
    >>> d.add("a", "市政府今天发布了关于地铁延长运营时间的通知", time=0.0) is None
    True
    >>> d.add("b", "市政府今天发布了关于地铁延长运营时间的通知", time=60.0)
    DuplicateMatch(canonical_id='a', kind='exact', similarity=1.0)
    >>> d.add("c", "市政府今天发布了关于地铁延长运营时间的通知！！", time=120.0).kind
    'near'
    """

    def __init__(
        self,
        threshold: float = DEFAULT_THRESHOLD,
        *,
        shingle: int = 3,
        num_perm: int = DEFAULT_NUM_PERM,
        bands: int | None = None,
        rows: int | None = None,
        window_seconds: float = DEFAULT_WINDOW_SECONDS,
        max_items: int | None = None,
        min_shingles: int = DEFAULT_MIN_SHINGLES,
        max_chars: int = DEFAULT_MAX_CHARS,
        seed: int = 0,
    ) -> None:
        if isinstance(threshold, bool) or not isinstance(threshold, int | float):
            raise ValueError(f"threshold must be a number in (0, 1], got {threshold!r}")
        if not 0.0 < threshold <= 1.0:
            raise ValueError(f"threshold must be in (0, 1], got {threshold!r}")
        for name, value, low in (
            ("shingle", shingle, 1),
            ("num_perm", num_perm, 2),
            ("min_shingles", min_shingles, 1),
            ("max_chars", max_chars, 64),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer ≥ {low}, got {value!r}")
        if shingle > 12:
            raise ValueError(f"shingle must be at most 12 characters, got {shingle}")
        if (bands is None) != (rows is None):
            raise ValueError("give both bands and rows, or neither (they are then chosen from threshold)")
        if bands is not None and rows is not None and (bands < 1 or rows < 1 or bands * rows > num_perm):
            raise ValueError(f"need bands·rows ≤ num_perm, both ≥ 1: bands={bands}, rows={rows}, num_perm={num_perm}")
        if isinstance(window_seconds, bool) or not isinstance(window_seconds, int | float):
            raise ValueError(f"window_seconds must be a positive number, got {window_seconds!r}")
        if math.isnan(window_seconds) or window_seconds <= 0:
            raise ValueError(f"window_seconds must be > 0 (math.inf for no window), got {window_seconds!r}")
        if max_items is not None and (isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1):
            raise ValueError(f"max_items must be None or an integer ≥ 1, got {max_items!r}")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
        self.threshold = float(threshold)
        self.shingle = shingle
        self.num_perm = num_perm
        self.window_seconds = float(window_seconds)
        self.max_items = max_items
        self.min_shingles = min_shingles
        self.max_chars = max_chars
        self.seed = seed
        if bands is None or rows is None:
            bands, rows = _cached_bands(self.threshold, num_perm)
        self.bands = bands
        self.rows = rows
        # The match test counts equal signature slots: ``ceil(threshold·num_perm)`` of them.
        self._min_equal = math.ceil(self.threshold * num_perm - 1e-9)
        self._init_state()

    # -- state ---------------------------------------------------------------------------------

    def _init_state(self) -> None:
        self._set_hash_params()
        self.sigs_: U32 = np.zeros((_INITIAL_CAPACITY, self.num_perm), dtype=np.uint32)
        self.free_rows_: list[int] = list(range(_INITIAL_CAPACITY - 1, -1, -1))
        self.ids_: list[str | None] = [None] * _INITIAL_CAPACITY
        self.text_keys_: list[int] = [0] * _INITIAL_CAPACITY
        self.row_seq_: list[int] = [0] * _INITIAL_CAPACITY  # arrival number of each row's item
        self.row_bands_: list[tuple[int, ...]] = [()] * _INITIAL_CAPACITY
        # Exact keys of the near duplicates that point at each row (forgotten with their root).
        self.row_dups_: dict[int, list[int]] = {}
        # text key → (row of the root, kind, similarity): a repeat of any text seen in the window
        # gets the same answer as its first copy did, in one dictionary lookup.
        self.exact_: dict[int, tuple[int, Literal["exact", "near"], float]] = {}
        # band key → row of the canonical item, or a list of rows when several share the band
        # (rare: a bare int saves a list per band of every item, in memory and in time).
        self.lsh_: dict[int, int | list[int]] = {}
        self.heap_: list[tuple[float, int, int]] = []  # (time, arrival number, row)
        self.max_time_ = -math.inf
        self.n_seen_ = 0

    def __len__(self) -> int:
        """Number of canonical items currently remembered."""
        return len(self.heap_)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        # Hash parameters are a pure function of the seed: rebuilt on restore, not stored.
        for name in ("_hasher", "_band_mult", "_band_salt", "_no_sig"):
            del state[name]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._set_hash_params()

    def to_state(self) -> dict[str, Any]:
        """The parameters and learned state as plain values and numeric arrays (for checkpoints).

        Only remembered canonical items are written; LSH buckets are rebuilt from their
        signatures by :meth:`from_state`, so the state stays about 300 bytes per remembered item.
        """
        from qingting.core.checkpoint import split_u128

        live = [row for row, iid in enumerate(self.ids_) if iid is not None]
        banded = np.array([bool(self.row_bands_[row]) for row in live], dtype=bool)
        live_a = np.array(live, dtype="<i8")
        tk_lo, tk_hi = split_u128([self.text_keys_[row] for row in live])
        ex_keys = list(self.exact_)
        ex_lo, ex_hi = split_u128(ex_keys)
        ex_vals = list(self.exact_.values())
        dup_rows = list(self.row_dups_)
        dup_flat = [k for r in dup_rows for k in self.row_dups_[r]]
        dup_lo, dup_hi = split_u128(dup_flat)
        heap = self.heap_
        return {
            "params": {
                "threshold": self.threshold,
                "shingle": self.shingle,
                "num_perm": self.num_perm,
                "bands": self.bands,
                "rows": self.rows,
                "window_seconds": self.window_seconds,
                "max_items": self.max_items,
                "min_shingles": self.min_shingles,
                "max_chars": self.max_chars,
                "seed": self.seed,
            },
            "capacity": int(self.sigs_.shape[0]),
            "rows": live_a,
            "ids": [self.ids_[row] for row in live],
            "text_key_lo": tk_lo,
            "text_key_hi": tk_hi,
            "row_seq": np.array([self.row_seq_[row] for row in live], dtype="<i8"),
            "banded": banded,
            "sigs": np.ascontiguousarray(self.sigs_[live_a[banded]], dtype="<u4"),
            "free_rows": np.array(self.free_rows_, dtype="<i8"),
            "exact_lo": ex_lo,
            "exact_hi": ex_hi,
            "exact_row": np.array([v[0] for v in ex_vals], dtype="<i8"),
            "exact_near": np.array([v[1] == "near" for v in ex_vals], dtype=bool),
            "exact_sim": np.array([v[2] for v in ex_vals], dtype="<f8"),
            "dup_rows": np.array(dup_rows, dtype="<i8"),
            "dup_counts": np.array([len(self.row_dups_[r]) for r in dup_rows], dtype="<i8"),
            "dup_lo": dup_lo,
            "dup_hi": dup_hi,
            "heap_time": np.array([h[0] for h in heap], dtype="<f8"),
            "heap_seq": np.array([h[1] for h in heap], dtype="<i8"),
            "heap_row": np.array([h[2] for h in heap], dtype="<i8"),
            "max_time": self.max_time_,
            "n_seen": self.n_seen_,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Deduper:
        """A deduper that continues where the one that wrote ``state`` (:meth:`to_state`) stopped."""
        from qingting.core.checkpoint import join_u128

        self = cls(**state["params"])
        cap = int(state["capacity"])
        self.sigs_ = np.zeros((cap, self.num_perm), dtype=np.uint32)
        self.ids_ = [None] * cap
        self.text_keys_ = [0] * cap
        self.row_seq_ = [0] * cap
        self.row_bands_ = [()] * cap
        rows = state["rows"].tolist()
        banded = state["banded"].astype(bool)
        seqs = state["row_seq"].tolist()
        for row, iid, key, seq in zip(
            rows, state["ids"], join_u128(state["text_key_lo"], state["text_key_hi"]), seqs, strict=True
        ):
            self.ids_[row] = iid
            self.text_keys_[row] = key
            self.row_seq_[row] = seq
        banded_rows = np.asarray(state["rows"])[banded]
        sigs = np.asarray(state["sigs"], dtype=np.uint32).reshape(-1, self.num_perm)
        self.sigs_[banded_rows] = sigs
        if len(banded_rows):
            keys = band_keys(sigs, self._band_mult, self._band_salt).tolist()
            lsh = self.lsh_
            order = sorted(range(len(banded_rows)), key=lambda i: self.row_seq_[int(banded_rows[i])])
            for i in order:
                row = int(banded_rows[i])
                bands = tuple(keys[i])
                self.row_bands_[row] = bands
                for band in bands:
                    bucket = lsh.setdefault(band, row)
                    if bucket is row:
                        continue
                    if isinstance(bucket, int):
                        lsh[band] = [bucket, row]
                    else:
                        bucket.append(row)
        self.free_rows_ = state["free_rows"].tolist()
        kinds: list[Literal["exact", "near"]] = ["near" if n else "exact" for n in state["exact_near"].tolist()]
        self.exact_ = dict(
            zip(
                join_u128(state["exact_lo"], state["exact_hi"]),
                zip(state["exact_row"].tolist(), kinds, state["exact_sim"].tolist(), strict=True),
                strict=True,
            )
        )
        flat = join_u128(state["dup_lo"], state["dup_hi"])
        pos = 0
        for row, n in zip(state["dup_rows"].tolist(), state["dup_counts"].tolist(), strict=True):
            self.row_dups_[row] = flat[pos : pos + n]
            pos += n
        self.heap_ = list(
            zip(state["heap_time"].tolist(), state["heap_seq"].tolist(), state["heap_row"].tolist(), strict=True)
        )
        self.max_time_ = float(state["max_time"])
        self.n_seen_ = int(state["n_seen"])
        return self

    def _set_hash_params(self) -> None:
        self._hasher, self._band_mult, self._band_salt = _hash_params(
            self.num_perm, self.shingle, self.seed, self.bands, self.rows
        )
        self._no_sig: U32 = np.zeros((1, self.num_perm), dtype=np.uint32)

    def _grow(self) -> None:
        old = self.sigs_.shape[0]
        new = old * 2
        sigs = np.zeros((new, self.num_perm), dtype=np.uint32)
        sigs[:old] = self.sigs_
        self.sigs_ = sigs
        self.free_rows_.extend(range(new - 1, old - 1, -1))
        self.ids_.extend([None] * old)
        self.text_keys_.extend([0] * old)
        self.row_seq_.extend([0] * old)
        self.row_bands_.extend([()] * old)

    def _forget(self, row: int) -> None:
        """Drop one canonical item (and the exact keys of its duplicates) from every index."""
        exact = self.exact_
        exact.pop(self.text_keys_[row], None)
        for key in self.row_dups_.pop(row, ()):
            exact.pop(key, None)
        lsh = self.lsh_
        for band in self.row_bands_[row]:
            bucket = lsh.get(band)
            if bucket is None:
                continue
            if isinstance(bucket, int):
                if bucket == row:
                    del lsh[band]
            else:
                bucket.remove(row)
                if len(bucket) == 1:
                    lsh[band] = bucket[0]
        self.ids_[row] = None
        self.row_bands_[row] = ()
        self.free_rows_.append(row)

    def _evict(self) -> None:
        heap = self.heap_
        cutoff = self.max_time_ - self.window_seconds
        while heap and heap[0][0] < cutoff:
            self._forget(heapq.heappop(heap)[2])
        if self.max_items is not None:
            while len(heap) > self.max_items:
                self._forget(heapq.heappop(heap)[2])

    # -- public API ----------------------------------------------------------------------------

    def prepare(self, texts: Sequence[str]) -> PreparedTexts:
        """Compute text keys, signatures and band keys for a batch of texts in one numpy pass.

        The result feeds :meth:`add_prepared`. Use it when items are added one by one between
        other work (as the pipeline does): preparing a batch at once is several times faster than
        :meth:`add` per item, because numpy's per-call overhead is paid once per batch.
        Preparing does not change the deduper's state.
        """
        # Stable 128-bit text keys (the builtin ``hash`` is salted per process: not picklable).
        tkeys = [
            xxhash.xxh3_128_intdigest(t.encode("utf-8", "surrogatepass")) if t and not t.isspace() else 0 for t in texts
        ]
        cap = self.max_chars
        if any(len(t) > cap for t in texts):
            half = cap // 2
            texts = [t if len(t) <= cap else t[:half] + t[-half:] for t in texts]
        sigs, signed = self._hasher.signatures(texts, self.min_shingles)
        keys = band_keys(sigs, self._band_mult, self._band_salt).tolist()
        signed_l = signed.tolist()
        bands = [tuple(keys[k]) if signed_l[k] else () for k in range(len(tkeys))]
        return PreparedTexts(self.num_perm, self.seed, tkeys, sigs, bands)

    def _prepare_one(self, text: str) -> PreparedTexts:
        """:meth:`prepare` for one text, with fewer numpy calls (same values)."""
        if not text or text.isspace():
            return PreparedTexts(self.num_perm, self.seed, [0], self._no_sig, [()])
        tkey = xxhash.xxh3_128_intdigest(text.encode("utf-8", "surrogatepass"))
        if len(text) > self.max_chars:
            half = self.max_chars // 2
            text = text[:half] + text[-half:]
        if len(text) - (self.shingle - 1) < self.min_shingles:
            return PreparedTexts(self.num_perm, self.seed, [tkey], self._no_sig, [()])
        sig = self._hasher.signature_one(text)[None, :]
        keys = band_keys(sig, self._band_mult, self._band_salt)[0].tolist()
        return PreparedTexts(self.num_perm, self.seed, [tkey], sig, [tuple(keys)])

    def add(self, item_id: str, text: str, time: float) -> DuplicateMatch | None:
        """Add one item; return its match against earlier items in the window, or ``None``.

        ``text`` must already be in matching form (NFKC, lower-cased, Simplified, URLs and
        mentions removed: see ``qingting.core.text``). An empty or whitespace-only text is never a
        duplicate and is not remembered: there is nothing in it to repeat. For many items, use
        :meth:`add_many` or :meth:`prepare` + :meth:`add_prepared`: same results, much faster.
        """
        return self.add_prepared(self._prepare_one(text), 0, item_id, time)

    def add_many(self, ids: Sequence[str], texts: Sequence[str], times: Sequence[float]) -> list[DuplicateMatch | None]:
        """Add a batch of items in order; same result as calling :meth:`add` on each in turn.

        Item ``k`` can match item ``j < k`` of the same batch. Signatures for the whole batch are
        computed in one numpy pass, which is where the speed comes from.
        """
        n = len(ids)
        if len(texts) != n or len(times) != n:
            raise ValueError(f"ids, texts and times differ in length: {n}, {len(texts)}, {len(times)}")
        for pos, t in enumerate(times):
            _check_time(ids[pos], t)
        prepared = self.prepare(texts)
        add = self.add_prepared
        return [add(prepared, k, ids[k], times[k]) for k in range(n)]

    def add_prepared(self, prepared: PreparedTexts, k: int, item_id: str, time: float) -> DuplicateMatch | None:
        """Add the item whose text is number ``k`` of a batch made by :meth:`prepare`.

        Same result as ``add(item_id, texts[k], time)``.

        >>> d = Deduper()
        >>> texts = ["今天地铁二号线因故障停运半小时", "今天地铁二号线因故障停运半小时！"]
        >>> batch = d.prepare(texts)
        >>> d.add_prepared(batch, 0, "a", 0.0) is None
        True
        >>> d.add_prepared(batch, 1, "b", 1.0).canonical_id
        'a'
        """
        if prepared.num_perm != self.num_perm or prepared.seed != self.seed:
            raise ValueError("this batch was prepared by a deduper with other hash parameters")
        _check_time(item_id, time)
        time = float(time)
        if time > self.max_time_:
            self.max_time_ = time
            if self.heap_ and self.heap_[0][0] < time - self.window_seconds:
                self._evict()
        self.n_seen_ += 1
        tkey = prepared.text_keys[k]
        if tkey == 0:  # empty or blank (a real text hashing to 0 has odds of 2**-128)
            return None
        exact = self.exact_
        hit = exact.get(tkey)
        if hit is not None:
            row, kind, sim = hit
            return DuplicateMatch(self.ids_[row] or "", kind, sim)
        lsh = self.lsh_
        bands = prepared.bands[k]
        if bands:
            cands: set[int] = set()
            for bucket in map(lsh.get, bands):
                if bucket is None:
                    continue
                if isinstance(bucket, int):
                    cands.add(bucket)
                else:
                    cands.update(bucket)
            if cands:
                sig = prepared.sigs[k]
                store = self.sigs_
                # Per-row comparisons: cheaper than one fancy-indexed comparison for the one or
                # two candidates a text usually has.
                best_row, top = -1, -1
                for row in sorted(cands, key=self.row_seq_.__getitem__):
                    # Earliest first, strict ">": a tie goes to the earliest-seen canonical.
                    eq = int(np.count_nonzero(store[row] == sig))
                    if eq > top:
                        best_row, top = row, eq
                if top >= self._min_equal:
                    sim = top / self.num_perm
                    exact[tkey] = (best_row, "near", sim)
                    self.row_dups_.setdefault(best_row, []).append(tkey)
                    return DuplicateMatch(self.ids_[best_row] or "", "near", sim)
        # A new canonical item.
        if not self.free_rows_:
            self._grow()
        row = self.free_rows_.pop()
        self.ids_[row] = item_id
        self.text_keys_[row] = tkey
        self.row_seq_[row] = self.n_seen_
        exact[tkey] = (row, "exact", 1.0)
        if bands:
            self.sigs_[row] = prepared.sigs[k]
            self.row_bands_[row] = bands
            for band in bands:
                bucket = lsh.setdefault(band, row)
                if bucket is row:
                    continue
                if isinstance(bucket, int):
                    lsh[band] = [bucket, row]
                else:
                    bucket.append(row)
        heapq.heappush(self.heap_, (time, self.n_seen_, row))
        if time < self.max_time_ - self.window_seconds or (
            self.max_items is not None and len(self.heap_) > self.max_items
        ):
            self._evict()
        return None
