"""MinHash signatures over character shingles, computed for a whole batch at once with numpy.

Why this shape: a Python loop over shingles costs about a microsecond per shingle, which alone
would blow the 20 µs-per-post budget. Here a batch of texts becomes one array of code points, every
shingle becomes one 64-bit integer (exact packing of its code points), a stable 64-bit mixer turns
it into a 32-bit shingle hash, and ``num_perm`` multiply-add-shift hash functions are applied as one
``(shingles × num_perm)`` array operation followed by a per-text minimum (``np.minimum.reduceat``).

Everything is deterministic: no salted builtin ``hash()``, parameters drawn from
``numpy.random.default_rng(seed)``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

U32 = npt.NDArray[np.uint32]
U64 = npt.NDArray[np.uint64]

# Rows of the (shingles × num_perm) matrix handled at a time: bounds the temporary memory of a
# huge text (a 10 MB post would otherwise need gigabytes) while keeping numpy calls large.
_CHUNK_SHINGLES = 1 << 16

_MAX_U32 = np.uint32(0xFFFFFFFF)


def _mix64(x: U64) -> U64:
    """SplitMix64's finaliser: a fast, stable bijection on 64-bit integers (good avalanche)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return x


def shingle_hashes(codepoints: U32, k: int) -> U64:
    """Hash every window of ``k`` consecutive code points of ``codepoints`` (one per start index).

    For ``k ≤ 3`` the code points (≤ 21 bits each) are packed exactly into 63 bits, so distinct
    shingles get distinct keys before mixing; longer shingles use a polynomial over ``2**64``.
    Returns ``len(codepoints) - k + 1`` mixed 64-bit values (empty when the text is shorter).
    """
    n = codepoints.shape[0] - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    cp = codepoints.astype(np.uint64)
    acc = cp[:n].copy()
    if k <= 3:
        for j in range(1, k):
            acc = (acc << np.uint64(21)) | cp[j : j + n]
    else:
        mult = np.uint64(0x100000001B3)  # FNV prime: odd, so the polynomial stays informative
        for j in range(1, k):
            acc = acc * mult + cp[j : j + n]
    return _mix64(acc)


class MinHasher:
    """``num_perm`` hash functions ``h_i(x) = a_i·x + b_i mod 2**32`` on 32-bit shingle hashes.

    With ``a_i`` odd each ``h_i`` is a permutation of the 32-bit values. Such linear maps are not
    min-wise independent for arbitrary inputs, but the shingle hashes ``x`` are already
    well-mixed (SplitMix64), and on such inputs the Jaccard estimates match MinHash theory: mean
    absolute error 0.045 at 64 permutations on 3,000 edited-text pairs, the same as 64-bit
    multiply-shift and datasketch (measured while choosing; ``bench/bench_dedupe.py`` reports it on
    CED). 32-bit arithmetic halves the memory traffic of the ``(num_perm × shingles)`` array,
    which is most of the cost of a signature.
    """

    def __init__(self, num_perm: int, shingle: int, seed: int) -> None:
        rng = np.random.default_rng(seed)
        self.num_perm = num_perm
        self.shingle = shingle
        self.a = (rng.integers(0, 2**31, size=num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1))[:, None]
        self.b = rng.integers(0, 2**32, size=num_perm, dtype=np.uint32)[:, None]

    def _permute(self, x: U32) -> U32:
        """All hash functions on a vector of shingle hashes: shape ``(num_perm, len(x))``.

        The ``(num_perm, shingles)`` layout matters: ``np.minimum.reduceat`` along the last,
        contiguous axis is several times faster than along the first.
        """
        h = self.a * x[None, :]
        h += self.b
        return h

    def signature_one(self, text: str) -> U32:
        """The signature of one text with at least one shingle: shape ``(num_perm,)``.

        The same values as a row of :meth:`signatures`, with a fraction of its numpy calls (a
        single item is dominated by per-call overhead, not arithmetic).
        """
        cps = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
        h32 = shingle_hashes(cps, self.shingle).astype(np.uint32)
        if h32.shape[0] > _CHUNK_SHINGLES:  # bounded temporary memory: the chunked path
            chunked: U32 = self.signatures([text], 1)[0][0]
            return chunked
        sig: U32 = self._permute(h32).min(axis=1)
        return sig

    def signatures(self, texts: Sequence[str], min_shingles: int) -> tuple[U32, npt.NDArray[np.bool_]]:
        """Signatures of ``texts``: ``(sigs, signed)``.

        ``sigs`` has shape ``(len(texts), num_perm)``; row ``i`` is meaningful only where
        ``signed[i]`` is true, i.e. the text has at least ``min_shingles`` shingles (distinct or
        not). The computation is batched: one numpy pass for all texts.
        """
        k = self.shingle
        n_texts = len(texts)
        lengths = np.fromiter((len(t) for t in texts), dtype=np.int64, count=n_texts)
        n_shingles = lengths - (k - 1)
        signed = n_shingles >= max(min_shingles, 1)
        sigs = np.full((n_texts, self.num_perm), _MAX_U32, dtype=np.uint32)
        idx = np.flatnonzero(signed)
        if idx.size == 0:
            return sigs, signed
        # surrogatepass: a lone surrogate (from broken input) is still a code point to hash.
        joined = "".join([texts[i] for i in idx.tolist()]).encode("utf-32-le", "surrogatepass")
        cps = np.frombuffer(joined, dtype=np.uint32)
        all_h = shingle_hashes(cps, k)
        lens = lengths[idx]
        offsets = np.zeros(idx.size, dtype=np.int64)
        np.cumsum(lens[:-1], out=offsets[1:])
        counts = n_shingles[idx]
        # Keep the windows that lie inside one text: text j owns starts offsets[j] .. +counts[j].
        seg_starts = np.zeros(idx.size, dtype=np.int64)
        np.cumsum(counts[:-1], out=seg_starts[1:])
        total = int(counts.sum())
        if total == all_h.shape[0]:
            h = all_h
        else:
            pos = np.arange(total, dtype=np.int64) + np.repeat(offsets - seg_starts, counts)
            h = all_h[pos]
        h32 = h.astype(np.uint32)  # the low half of a SplitMix64 output is as well mixed as the whole
        sub = np.full((self.num_perm, idx.size), _MAX_U32, dtype=np.uint32)
        for c0 in range(0, total, _CHUNK_SHINGLES):
            c1 = min(total, c0 + _CHUNK_SHINGLES)
            first = int(np.searchsorted(seg_starts, c0, side="right")) - 1
            last = int(np.searchsorted(seg_starts, c1 - 1, side="right")) - 1
            local = np.maximum(seg_starts[first : last + 1], c0) - c0
            red = np.minimum.reduceat(self._permute(h32[c0:c1]), local, axis=1)
            np.minimum(sub[:, first : last + 1], red, out=sub[:, first : last + 1])
        sigs[idx] = sub.T
        return sigs, signed


def band_params(bands: int, rows: int, seed: int) -> tuple[U64, U64]:
    """Random odd multipliers (one per row) and salts (one per band) for :func:`band_keys`."""
    rng = np.random.default_rng([seed, 0x5EED])
    mult = rng.integers(0, 2**63, size=rows, dtype=np.uint64) * np.uint64(2) + np.uint64(1)
    salt = rng.integers(0, 2**63, size=bands, dtype=np.uint64)
    return mult, salt


def band_keys(sigs: U32, mult: U64, salt: U64) -> U64:
    """One 64-bit key per (text, band): shape ``(len(sigs), bands)``.

    Each band's rows are combined linearly with random odd multipliers (two different bands of
    values collide with probability about ``2**-60``), and the band's own salt is xored in so
    that all bands can share one dictionary. Python's dict hashes these ints itself, so no
    further mixing is needed.
    """
    bands, rows = salt.shape[0], mult.shape[0]
    used = sigs[:, : bands * rows].astype(np.uint64).reshape(sigs.shape[0], bands, rows)
    # A loop over the few rows beats ``sum(axis=2)``, which is slow on such a short axis.
    acc = used[:, :, 0] * mult[0]
    for j in range(1, rows):
        acc += used[:, :, j] * mult[j]
    acc ^= salt[None, :]
    keys: U64 = acc
    return keys


def _integral(f: npt.NDArray[np.float64], x: npt.NDArray[np.float64]) -> float:
    return float(np.sum((f[1:] + f[:-1]) * np.diff(x)) / 2.0)


def optimal_bands(threshold: float, num_perm: int, fn_weight: float = 0.7) -> tuple[int, int]:
    """Bands and rows (``bands·rows ≤ num_perm``) minimising weighted LSH misses and false hits.

    The probability that two texts of Jaccard ``s`` share a band is ``1 - (1 - s**r)**b``. We
    minimise ``fn_weight·∫_t^1 miss + (1-fn_weight)·∫_0^t hit`` (as datasketch does) with misses
    weighted higher: a false hit only costs one signature comparison, a miss loses a duplicate.
    """
    best = (1, num_perm)
    best_cost = float("inf")
    lo = np.linspace(0.0, threshold, 201)
    hi = np.linspace(threshold, 1.0, 201)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = _integral(1.0 - (1.0 - lo**r) ** b, lo)
            fn = _integral((1.0 - hi**r) ** b, hi)
            cost = fn_weight * fn + (1.0 - fn_weight) * fp
            if cost < best_cost - 1e-12:
                best, best_cost = (b, r), cost
    return best
