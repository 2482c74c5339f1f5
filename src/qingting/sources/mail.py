"""One raw e-mail message → one item: subject, best text, pseudonymised sender, attachments listed.

Real mail is messy: raw 8-bit GB2312 or Big5 in headers, charsets that lie, broken boundaries,
malformed base64, messages nested in messages. The stdlib parser (``compat32``, the most
forgiving) reads the structure; we decode every header and text part ourselves with the same
encoding rules as web pages, and record the parser's defects in ``extra["defects"]`` rather than
hide them. Attachments are listed by name, type and decoded size — never opened, never run.

Bounded work: a message larger than ``max_bytes`` or with more than ``max_parts`` MIME parts (a
cheap pre-scan of boundary lines runs before the parser) or nested deeper than ``max_depth`` is
refused with :class:`MessageRefusedError`.
"""

from __future__ import annotations

import email
import email.errors
import email.header
import email.message
import email.utils
import re
from dataclasses import dataclass
from typing import Any

from qingting.sources._html import html_to_text
from qingting.sources.encoding import decode_bytes, decode_unlabelled, normalise_encoding
from qingting.sources.types import Attachment, FetchedItem, MessageRefusedError, ParseError, pseudonymise

__all__ = ["MailLimits", "decode_header_value", "parse_message"]

_BOUNDARY_LINE = re.compile(rb"(?m)^--")
_WS = re.compile(r"\s+")
_OBS_HEADER = re.compile(rb"(?m)^([!-9;-~]+)[ \t]+:")  # RFC 5322 obsolete "Subject  :" syntax


@dataclass(frozen=True, slots=True)
class MailLimits:
    """Bounds on one message; beyond them it is refused, not parsed."""

    max_bytes: int = 15 * 1024 * 1024
    max_parts: int = 1000
    max_depth: int = 20

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_parts, self.max_depth) <= 0:
            raise ValueError("MailLimits: every limit must be positive")


def _decode_chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    if charset in (None, "unknown-8bit") or normalise_encoding(charset) is None:
        return chunk.decode("ascii") if chunk.isascii() else decode_unlabelled(chunk).text
    return decode_bytes(chunk, charset, sniff=False).text


def decode_header_value(value: Any) -> str:
    """A header as readable text: RFC 2047 words decoded, raw 8-bit bytes sniffed (GB/Big5/UTF-8).

    >>> decode_header_value("=?GB2312?B?suLK1A==?= ok")
    '测试 ok'
    """
    if value is None:
        return ""
    try:
        parts = email.header.decode_header(value)
    except (email.errors.HeaderParseError, ValueError, LookupError):
        parts = [(str(value), None)]
    out: list[str] = []
    for chunk, charset in parts:
        if isinstance(chunk, str) and any("\udc80" <= c <= "\udcff" for c in chunk):
            chunk = chunk.encode("utf-8", "surrogateescape")
        out.append(_decode_chunk(chunk, charset))
    # decode_header drops the space between an encoded word and plain text only when both exist.
    text = "".join(out) if len(parts) > 1 and all(c for _, c in parts) else " ".join(x.strip() for x in out)
    return _WS.sub(" ", text).strip()


def _payload(part: email.message.Message) -> bytes:
    data = part.get_payload(decode=True)
    if isinstance(data, bytes):
        return data
    return b""


def _part_text(part: email.message.Message) -> tuple[str, str]:
    """(text, encoding) of a text part; HTML is converted to text safely."""
    raw = _payload(part)
    charset = part.get_content_charset()
    decoded = decode_bytes(raw, charset, sniff=part.get_content_subtype() == "html")
    text = decoded.text.replace("\r\n", "\n")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return text.strip(), decoded.encoding


def _raw_8bit_param(part: email.message.Message, param: str) -> str | None:
    """A ``name=``/``filename=`` parameter written in raw 8-bit bytes, decoded by sniffing.

    The stdlib replaces such bytes with U+FFFD when it parses parameters; the raw header
    (surrogate-escaped) still has them.
    """
    pattern = re.compile(rf"""(?i)\b{param}\s*=\s*(?:"([^"]*)"|([^;\s]+))""")
    for header, value in part.raw_items():
        if header.lower() not in ("content-type", "content-disposition") or not isinstance(value, str):
            continue
        m = pattern.search(value)
        if m and any("\udc80" <= c <= "\udcff" for c in m.group(0)):
            raw = (m.group(1) if m.group(1) is not None else m.group(2)).encode("utf-8", "surrogateescape")
            return decode_unlabelled(raw).text
    return None


def _filename(part: email.message.Message) -> str:
    for param in ("filename", "name"):
        raw = _raw_8bit_param(part, param)
        if raw:
            return raw
    name: Any
    try:
        name = part.get_filename()
    except (LookupError, ValueError, TypeError):
        name = None
    if name is None:
        name = part.get_param("name")
        if isinstance(name, tuple):  # RFC 2231 (charset, language, value)
            name = email.utils.collapse_rfc2231_value(name)
    return decode_header_value(name) if name else ""


def _walk(msg: email.message.Message, limits: MailLimits, where: str) -> list[email.message.Message]:
    """Leaf parts in order, refusing too many parts or too deep a nesting (no recursion)."""
    leaves: list[email.message.Message] = []
    stack: list[tuple[email.message.Message, int]] = [(msg, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if count > limits.max_parts:
            raise MessageRefusedError(f"refused: more than {limits.max_parts} MIME parts", where)
        if depth > limits.max_depth:
            raise MessageRefusedError(f"refused: MIME parts nested deeper than {limits.max_depth}", where)
        payload = part.get_payload()
        if part.is_multipart() and isinstance(payload, list):
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, email.message.Message))
        else:
            leaves.append(part)
    return leaves


_FIRST_BOUNDARY = re.compile(r"(?m)^--([^\s]{1,200}?)[ \t]*\r?$")


def _recover_boundaries(
    leaves: list[email.message.Message], limits: MailLimits, where: str
) -> list[email.message.Message]:
    """Re-read a multipart whose declared boundary never occurs, using the one its body does use.

    Real spam and broken mailers declare one boundary and write another; the stdlib then leaves
    the whole body as one string. The first ``--token`` line is the boundary actually used.
    """
    out: list[email.message.Message] = []
    for part in leaves:
        leftover = part.get_payload()
        m = (
            _FIRST_BOUNDARY.search(leftover)
            if part.get_content_maintype() == "multipart" and isinstance(leftover, str)
            else None
        )
        if m is None or not isinstance(leftover, str):
            out.append(part)
            continue
        head = f'Content-Type: {part.get_content_type()}; boundary="{m.group(1)}"\r\n\r\n'
        reparsed = email.message_from_bytes(head.encode() + leftover.encode("utf-8", "surrogateescape"))
        inner = _walk(reparsed, limits, where)
        if len(inner) == 1 and inner[0] is reparsed:
            out.append(part)  # still no structure: keep it as it was
            continue
        reparsed.defects.append(email.errors.StartBoundaryNotFoundDefect("boundary taken from the body"))
        out.extend(inner)
    return out


def parse_message(raw: bytes, *, key: bytes, external_id: str, limits: MailLimits | None = None) -> FetchedItem:
    """Parse one raw RFC 5322 message into an item; raises ParseError or MessageRefusedError."""
    limits = limits or MailLimits()
    where = external_id
    if len(raw) > limits.max_bytes:
        raise MessageRefusedError(f"refused: message of {len(raw)} bytes exceeds {limits.max_bytes}", where)
    if len(_BOUNDARY_LINE.findall(raw)) > 2 * limits.max_parts:
        raise MessageRefusedError(f"refused: more than {limits.max_parts} MIME parts (boundary pre-scan)", where)
    if not raw.strip():
        raise ParseError("empty message", where)
    try:
        msg = email.message_from_bytes(raw)
    except Exception as e:  # the stdlib parser is lenient; anything it raises is a broken message
        raise ParseError(f"cannot parse the message: {type(e).__name__}: {e}", where) from None
    if not msg.keys() or (msg.defects and not msg.get("From") and not msg.get("Subject")):
        head, sep, rest = raw.partition(b"\n\n") if b"\r\n\r\n" not in raw else raw.partition(b"\r\n\r\n")
        fixed = _OBS_HEADER.sub(rb"\1:", head)
        if fixed != head:
            msg = email.message_from_bytes(fixed + sep + rest)
            msg.defects.append(email.errors.ObsoleteHeaderDefect("white space before a header colon"))
    if not msg.keys():
        raise ParseError("not an e-mail message: no header fields found", where)
    leaves = _walk(msg, limits, where)
    leaves = _recover_boundaries(leaves, limits, where)
    defects = {type(d).__name__ for part in [msg, *leaves] for d in part.defects}

    subject = decode_header_value(msg.get("Subject"))
    sender = decode_header_value(msg.get("From"))
    name, address = email.utils.parseaddr(sender)
    handle = address or sender
    # Who to answer: Reply-To when the sender set one. Kept apart from the item (only the
    # pseudonym goes into it); the platform stores it encrypted for the message's handlers.
    reply_name, reply_address = email.utils.parseaddr(decode_header_value(msg.get("Reply-To")))
    if not reply_address:
        reply_name, reply_address = name, address

    plain: tuple[str, str] | None = None
    html: tuple[str, str] | None = None
    attachments: list[Attachment] = []
    for part in leaves:
        ctype = part.get_content_type()
        if part.get_content_maintype() == "multipart":
            # A multipart whose boundary never appears: the parser left its body as one string.
            leftover = part.get_payload()
            if isinstance(leftover, str) and leftover.strip() and plain is None:
                defects.add("BrokenMultipartReadAsText")
                salvaged = _decode_chunk(leftover.encode("utf-8", "surrogateescape"), None)
                plain = (salvaged.replace("\r\n", "\n").strip(), "unknown")
            continue
        disposition = str(part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        name = _filename(part)
        wide = str(part.get_content_charset() or "").startswith(("utf-16", "utf-32"))
        is_text = ctype in ("text/plain", "text/html") and (wide or b"\0" not in _payload(part))  # NUL: binary
        if is_text and disposition != "attachment" and not (name and disposition == "inline" and plain):
            try:
                text = _part_text(part)
            except (LookupError, ValueError, AssertionError) as e:
                defects.add(f"UndecodableTextPart({type(e).__name__})")
                continue
            if ctype == "text/plain" and plain is None:
                plain = text
                continue
            if ctype == "text/html" and html is None:
                html = text
                continue
            if not name:
                continue  # an alternative rendering or a second body: not an attachment
        attachments.append(Attachment(name=name, content_type=ctype, size=len(_payload(part))))
    body, encoding = plain if plain and plain[0] else (html or plain or ("", ""))
    if "\ufffd" in body or "\ufffd" in subject:
        defects.add("TextContainsReplacementCharacters")  # bytes that no encoding explains
    if not subject and not body and not attachments:
        raise ParseError("message has no subject, no text and no attachment", where)

    published: float | None = None
    date = msg.get("Date")
    if date:
        try:
            published = email.utils.parsedate_to_datetime(str(date)).timestamp()
        except (TypeError, ValueError, IndexError, OverflowError):
            defects.add("InvalidDate")
    message_id = str(msg.get("Message-ID") or "").strip()
    return FetchedItem(
        external_id=external_id,
        title=subject,
        text=body,
        published_at=published,
        author_pseudonym=pseudonymise(handle, key) if handle else "",
        attachments=tuple(attachments),
        extra={
            "message_id": message_id,
            "encoding": encoding or None,
            "content_type": msg.get_content_type(),
            "defects": sorted(defects),
            "size": len(raw),
            "contact": {"name": reply_name[:200], "address": reply_address[:320], "subject": subject[:500]},
        },
    )
