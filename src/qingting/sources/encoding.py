"""Decode fetched bytes to text, Chinese legacy encodings first-class, and say which encoding won.

Order of evidence (WHATWG-like, adapted to Chinese sites that still serve GBK and Big5):

1. a byte-order mark (UTF-8, UTF-16, UTF-32);
2. the HTTP ``charset`` — if the body decodes cleanly with it;
3. the XML declaration or HTML ``<meta>`` charset — if the body decodes cleanly with it;
4. charset-normalizer's best guess.

GB2312 and GBK labels decode as GB18030 (a strict superset: real "GB2312" pages use GBK
characters), Big5 as Big5-HKSCS, Latin-1/ASCII as windows-1252 (as browsers do). A declared
legacy encoding loses to UTF-8 when the body is also valid UTF-8 with non-ASCII bytes: GB18030
decodes almost any byte string "cleanly", while non-ASCII text that happens to be valid UTF-8 is
UTF-8 in practice. A declared ISO-8859-1/windows-1252 is weak evidence (many servers send it by
default): it is used only when the declaration and the detector find nothing better.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

import charset_normalizer

__all__ = ["Decoded", "decode_bytes", "decode_unlabelled", "normalise_encoding", "sniff_declaration"]

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz": "hz",
    "big5": "big5hkscs",
    "cp950": "big5hkscs",
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_1": "cp1252",
}
_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""", re.I)
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)
# What the detector may answer: UTF-16/32 without a BOM never occur on the web, and letting the
# detector consider them turns short Latin-1 texts into "UTF-16" nonsense.
_DETECTABLE = ("utf_8", "gb18030", "big5", "cp1252", "shift_jis", "euc_jp", "euc_kr", "cp1251", "koi8_r")
_SNIFF_BYTES = 4096
_SHORT = 256  # below this, statistics say little: decode_unlabelled's rules do better
_DETECT_BYTES = 64 * 1024  # charset-normalizer on a prefix: enough evidence, bounded time


@dataclass(frozen=True, slots=True)
class Decoded:
    """Decoded text, the encoding used (normalised name), and where that choice came from."""

    text: str
    encoding: str
    evidence: str  # "bom", "http", "declaration", "utf-8", "detected" or "fallback"
    replaced: bool = False  # some bytes did not decode and were replaced with U+FFFD


def normalise_encoding(label: str | None) -> str | None:
    """The codec name we decode with for a declared label, or ``None`` for an unknown label.

    >>> normalise_encoding("GB2312"), normalise_encoding("x-gbk"), normalise_encoding("BIG5")
    ('gb18030', 'gb18030', 'big5hkscs')
    >>> normalise_encoding("no-such-thing") is None
    True
    """
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    if label in ("x-gbk", "gb_2312-80", "csgb2312", "chinese", "x-euc-cn", "euc-cn"):
        label = "gbk"
    if label in ("x-x-big5", "big5-tw", "csbig5"):
        label = "big5"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    name = name.replace("-", "_")
    return _SUPERSETS.get(name, codecs.lookup(name).name)


def sniff_declaration(body: bytes) -> str | None:
    """The encoding label an XML declaration or an HTML ``<meta>`` gives in the first 4 KB."""
    head = body[:_SNIFF_BYTES]
    m = _XML_DECL.search(head) or _META.search(head)
    return m.group(1).decode("ascii") if m else None


def _clean(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def _utf8_with_non_ascii(body: bytes) -> str | None:
    if body.isascii():
        return None
    return _clean(body, "utf-8")


def decode_bytes(body: bytes, declared: str | None = None, *, sniff: bool = True) -> Decoded:
    """Decode ``body`` using the evidence above; ``declared`` is the HTTP/MIME charset if any.

    >>> decode_bytes("新闻".encode("gbk"), "gb2312").encoding
    'gb18030'
    >>> d = decode_bytes("新闻".encode("utf-8"), "gbk")  # a wrong header loses to valid UTF-8
    >>> d.text, d.encoding
    ('新闻', 'utf-8')
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            text = body[len(bom) :].decode(name, errors="replace")
            return Decoded(text, "utf-8" if name == "utf-8" else name, "bom", "\ufffd" in text)
    utf8 = _utf8_with_non_ascii(body)
    candidates: list[tuple[str | None, str]] = [(normalise_encoding(declared), "http")]
    if sniff:
        candidates.append((normalise_encoding(sniff_declaration(body)), "declaration"))
    weak: tuple[str, str] | None = None
    for encoding, evidence in candidates:
        if encoding is None:
            continue
        if encoding == "cp1252" and not body.isascii():
            # Many servers label everything ISO-8859-1 by default (Tomcat, old PHP): weak evidence,
            # used only when nothing better turns up.
            weak = weak or (encoding, evidence)
            continue
        if utf8 is not None and encoding not in ("utf-8", "utf_8"):
            return Decoded(utf8, "utf-8", "utf-8")
        clean = _clean(body, encoding)
        if clean is not None:
            return Decoded(clean, "utf-8" if encoding == "utf_8" else encoding, evidence)
    if utf8 is not None or body.isascii():
        return Decoded(utf8 if utf8 is not None else body.decode("ascii"), "utf-8", "utf-8")
    if len(body) < _SHORT and weak is None:
        return decode_unlabelled(body)
    best = charset_normalizer.from_bytes(body[:_DETECT_BYTES], cp_isolation=list(_DETECTABLE)).best()
    guess = normalise_encoding(best.encoding) if best is not None else None
    if weak is not None and guess not in ("gb18030", "big5hkscs", "shift_jis", "euc_jp", "euc_kr"):
        text = body.decode(weak[0], errors="replace")
        return Decoded(text, weak[0], weak[1], "\ufffd" in text)
    if guess is not None:
        text = body.decode(guess, errors="replace")
        return Decoded(text, guess, "detected", "\ufffd" in text)
    text = body.decode("utf-8", errors="replace")
    return Decoded(text, "utf-8", "fallback", True)


def _gb2312_share(text: str) -> float:
    wide = [c for c in text if ord(c) > 0x7F]
    if not wide:
        return 1.0
    ok = 0
    for c in wide:
        try:
            c.encode("gb2312")
            ok += 1
        except UnicodeEncodeError:
            pass
    return ok / len(wide)


def decode_unlabelled(body: bytes) -> Decoded:
    """Decode a short unlabelled byte string (a raw 8-bit mail header, a title): UTF-8, GB, Big5.

    Statistical detectors guess badly on a dozen characters. GB18030 accepts nearly every byte
    pair, so it wins only when nearly all its characters are common ones (in GB2312, the 6,763
    everyday characters); Big5 text misread as GBK lands in GBK's rare extension area.

    >>> decode_unlabelled("提示：您的企业成员".encode("gb2312")).text
    '提示：您的企业成员'
    >>> decode_unlabelled("臺北市政府公告".encode("big5")).encoding
    'big5hkscs'
    """
    utf8 = _clean(body, "utf-8")
    if utf8 is not None:
        if not utf8.isascii() and all(ord(c) < 0x100 for c in utf8):
            # Legacy bytes once read as Latin-1 and saved as UTF-8 (common in old spam and
            # forwarded mail): undo the detour if the Latin-1 bytes read as Chinese.
            inner = utf8.encode("latin-1")
            repaired = decode_unlabelled(inner) if not inner.isascii() else None
            if repaired is not None and repaired.encoding != "utf-8" and not repaired.replaced:
                return Decoded(repaired.text, repaired.encoding, "repaired")
        return Decoded(utf8, "utf-8", "utf-8")
    gb = _clean(body, "gb18030")
    if gb is not None and _gb2312_share(gb) >= 0.9:
        return Decoded(gb, "gb18030", "detected")
    big5 = _clean(body, "big5hkscs")
    if big5 is not None:
        return Decoded(big5, "big5hkscs", "detected")
    if gb is not None:
        return Decoded(gb, "gb18030", "detected")
    text = body.decode("gb18030", errors="replace")
    return Decoded(text, "gb18030", "fallback", True)
