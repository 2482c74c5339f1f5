"""Chinese words as an English text writes them: toneless Hanyu Pinyin (``柳湾镇`` → ``liuwan``).

English posts about a Chinese story name its places the way maps and signs do — ``Liuwan Town``,
``Binhe Road``, ``Shiqiao market`` — and share no other word with the Chinese posts. The pinyin of
a story's own words (its place names above all) is what an English post and a Chinese one can
share; the clusterer uses it to join an English fragment to the story it is about
(:meth:`qingting.core.cluster.OnlineClusterer.consolidate`, decision 0066).

The readings are pypinyin's per-character table (MIT), read from its JSON file alone — importing
pypinyin itself loads its phrase table too (≈ 57 MB, 0.9 s); the character table, reduced to
toneless readings of the CJK unified ideographs, is ≈ 4 MB and is loaded at the first call. A
character with several readings (``石`` shí/dàn, ``行`` xíng/háng) gives every combination, at most
:data:`MAX_FORMS` per word, so a heteronym is not guessed wrong.

>>> romanised("柳湾镇")
('liuwanzhen', 'liuwan')
>>> "shiqiao" in romanised("石桥")
True
>>> romanised("停水"), romanised("ok")
(('tingshui',), ())
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import json
import unicodedata
from pathlib import Path

__all__ = ["MAX_FORMS", "PLACE_SUFFIXES", "romanised"]

MAX_FORMS = 8  # combinations of readings kept per word
# A place name's generic last character, which English writes as a word of its own or leaves out:
# 滨河路 Binhe Road, 柳湾镇 Liuwan (Town), 荷塘乡 Hetang (Township), 城关区, 青禾县.
PLACE_SUFFIXES = frozenset("路街道巷镇乡村县市区省州")


@functools.cache
def _readings() -> dict[str, tuple[str, ...]]:
    spec = importlib.util.find_spec("pypinyin")  # finds the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    raw: dict[str, str] = json.loads(path.read_text(encoding="utf-8"))
    table: dict[str, tuple[str, ...]] = {}
    for code, readings in raw.items():
        c = int(code)
        if not (0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF):
            continue
        forms: list[str] = []
        for r in readings.split(","):
            plain = "".join(ch for ch in unicodedata.normalize("NFD", r) if not unicodedata.combining(ch))
            plain = plain.replace("ü", "u").replace("u\u0308", "u").lower()  # 绿 lü → lu, as English writes it
            if plain.isascii() and plain.isalpha() and plain not in forms:
                forms.append(plain)
        if forms:
            table[chr(c)] = tuple(forms)
    return table


@functools.lru_cache(maxsize=65_536)
def romanised(word: str) -> tuple[str, ...]:
    """The toneless pinyin spellings of a Chinese word of 2–6 characters, joined (``青禾`` →
    ``("qinghe",)``); for a place name ending in a generic character (路, 镇, 乡, …) and at least
    3 characters long, also its name without it (``滨河路`` → ``binhelu``, ``binhe``). ``()`` for
    anything else (a single character, Latin letters, a character without a known reading)."""
    if not 2 <= len(word) <= 6:
        return ()
    table = _readings()
    per_char: list[tuple[str, ...]] = []
    for ch in word:
        r = table.get(ch)
        if r is None:
            return ()
        per_char.append(r)
    out: list[str] = []
    stems = [per_char]
    if len(word) >= 3 and word[-1] in PLACE_SUFFIXES:
        stems.append(per_char[:-1])
    for chars in stems:
        for combo in itertools.islice(itertools.product(*chars), MAX_FORMS):
            form = "".join(combo)
            if form not in out:
                out.append(form)
    return tuple(out)
