"""Language identification: a script-ratio fast path, and lingua for the scripts that need it.

Chinese posts are the common case and cost about 3 µs (counting Han, kana, Hangul and Latin
letters over the first :data:`LANG_SAMPLE_CHARS` characters). Scripts used by one language
map directly (Thai → ``th``, Greek → ``el`` …). English is recognised from its function words.
Only the rest — other Latin-, Cyrillic- and Arabic-script text — goes to ``lingua`` in
low-accuracy mode over :data:`LINGUA_LANGUAGES` (~130 µs a call on a tweet; its models ship
inside the wheel, nothing is downloaded). The lingua detector is built on first use (~0.7 s,
~50 MB).
"""

from __future__ import annotations

import re
import threading
from typing import Any

LANG_SAMPLE_CHARS = 400
"""Only this many leading characters are examined; the language of a post shows early."""

LINGUA_LANGUAGES: tuple[str, ...] = (
    "en", "fr", "de", "es", "pt", "it", "nl", "ru", "uk", "vi", "id", "ms", "tr", "ar", "fa", "ur",
    "kk", "mn",
)  # fmt: skip
"""Languages lingua chooses among (ISO 639-1), for Latin-, Cyrillic- and Arabic-script text.

The major languages of international news and China's neighbours. Each language added costs time
(lingua scores every candidate: 30 languages took 260 µs a tweet, these 18 about 130 µs) and adds
false positives on short text (Tagalog and Danish for "wow", "mark").
"""

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_KANA = re.compile(r"[\u3040-\u30ff\u31f0-\u31ff\uff66-\uff9d]+")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f\u1e00-\u1eff]+")
_LETTERS = re.compile(r"[^\W\d_]+")

# Scripts that (for our purposes) one language writes; first match wins.
_SCRIPT_LANG: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\u0e00-\u0e7f]+"), "th"),
    (re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]+"), "el"),
    (re.compile(r"[\u0590-\u05ff]+"), "he"),
    (re.compile(r"[\u0530-\u058f]+"), "hy"),
    (re.compile(r"[\u10a0-\u10ff]+"), "ka"),
    (re.compile(r"[\u0900-\u097f]+"), "hi"),
    (re.compile(r"[\u0980-\u09ff]+"), "bn"),
    (re.compile(r"[\u0b80-\u0bff]+"), "ta"),
    (re.compile(r"[\u1780-\u17ff]+"), "km"),
    (re.compile(r"[\u0e80-\u0eff]+"), "lo"),
    (re.compile(r"[\u1000-\u109f]+"), "my"),
    (re.compile(r"[\u0f00-\u0fff]+"), "bo"),
    (re.compile(r"[\u1800-\u18af]+"), "mn"),
)
_CYRILLIC_ARABIC = re.compile(r"[\u0400-\u04ff\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]+")

# Words frequent in English and rare as words in the other Latin-script languages we meet
# (so not "to", "was", "will", "me", "do", "so", which are also Polish, German, Spanish …).
_EN_MARKER_WORDS = """
the and is are were be been have has had of you your it its this that with for not what which who
would can could should they their there we our my he she his from about just does did don't i'm
it's very good great love like all but how nice thank thanks
"""
_EN_MARKERS = frozenset(_EN_MARKER_WORDS.split())
_WORD = re.compile(r"[a-z']+")

_lock = threading.Lock()
_detector: Any = None  # lingua.LanguageDetector, built on first use


def _lingua() -> Any:
    global _detector
    if _detector is None:
        with _lock:
            if _detector is None:
                from lingua import IsoCode639_1, LanguageDetectorBuilder

                codes = [getattr(IsoCode639_1, code.upper()) for code in LINGUA_LANGUAGES]
                builder = LanguageDetectorBuilder.from_iso_codes_639_1(*codes)
                # Low accuracy mode (trigrams only) is ~5× faster; preloading the models makes the
                # first call pay for all of them instead of each new language's first post.
                _detector = builder.with_low_accuracy_mode().with_preloaded_language_models().build()
    return _detector


def _count(pattern: re.Pattern[str], text: str) -> int:
    return sum(map(len, pattern.findall(text)))


def detect_language(text: str) -> str:
    """Return the ISO 639-1 code of ``text``'s language, or ``"und"`` when it cannot be told.

    Chinese (Simplified, Traditional or mixed, with or without English words) is ``"zh"``;
    Japanese needs some kana, Korean some Hangul. ``"und"`` is returned for empty text, text with
    fewer than three letters (``"666"``, emoji only), Latin-script text of one or two words with
    no English function word (``"mark"``, ``"omg"``: too short to tell), letters of a script we do
    not know, and text lingua cannot decide. Never raises: a non-``str`` argument yields ``"und"``.

    >>> detect_language("臺灣今天下大雨，iPhone 也進水了"), detect_language("The flood closed the road")
    ('zh', 'en')
    """
    if not isinstance(text, str) or not text:
        return "und"
    sample = text[:LANG_SAMPLE_CHARS]
    han = _count(_HAN, sample)
    if han:
        kana = _count(_KANA, sample)
        if kana >= 2 and kana * 10 >= han + kana:
            return "ja"
        hangul = _count(_HANGUL, sample)
        if hangul > han:
            return "ko"
        # A Han character carries about as much as a short Latin word: "iPhone 真好用" is zh,
        # "Xi visited 上海 today with officials" is not.
        if han * 6 >= _count(_LATIN, sample):
            return "zh"
    letters = _count(_LETTERS, sample)
    if letters < 3:
        return "und"
    kana = _count(_KANA, sample)
    if kana * 2 >= letters:
        return "ja"
    if _count(_HANGUL, sample) * 2 >= letters:
        return "ko"
    for pattern, code in _SCRIPT_LANG:
        if _count(pattern, sample) * 2 >= letters:
            return code
    latin = _count(_LATIN, sample)
    if latin * 2 >= letters:
        words = _WORD.findall(sample.lower())
        hits = sum(1 for word in words if word in _EN_MARKERS)
        if hits and hits * 5 >= len(words):
            return "en"
        if len(words) < 3:  # "mark", "omg", "wahha": too short for any detector to tell
            return "und"
    elif _count(_CYRILLIC_ARABIC, sample) * 2 < letters:
        return "und"  # a script we do not know: say so rather than guess
    try:
        found = _lingua().detect_language_of(sample)
    except Exception:  # lingua is a compiled extension: never let it stop the stream
        return "und"
    if found is None:
        return "und"
    return str(found.iso_code_639_1.name).lower()
