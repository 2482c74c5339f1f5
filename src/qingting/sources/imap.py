"""The public mailbox (市长信箱-style) over IMAP: each new message becomes one item.

The connector remembers ``"<UIDVALIDITY>:<last UID>"`` as its cursor, so a re-poll asks the
server only for newer UIDs; if the server's UIDVALIDITY changes (the mailbox was rebuilt) it
starts over, and the item ids (``imap:<UIDVALIDITY>:<UID>``) keep old and new apart. Sizes are
asked for first, so a message over the limit is refused without downloading it. A message that
cannot be parsed is recorded as an error naming its UID, and the cursor moves past it.

The server address is checked like any URL (no private addresses unless allow-listed) and we
connect to the address we checked. Messages are read with ``BODY.PEEK[]`` on a read-only
selection: polling never marks mail as read.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from qingting.sources.http import check_address
from qingting.sources.mail import MailLimits, parse_message
from qingting.sources.types import (
    FetchedItem,
    FetchError,
    FetchResult,
    FetchState,
    MessageRefusedError,
    SourceError,
    TransportError,
)

__all__ = ["ImapConnector"]

_SIZE = re.compile(rb"UID (\d+)[^)]*RFC822\.SIZE (\d+)|RFC822\.SIZE (\d+)[^)]*UID (\d+)")


class _PinnedIMAP(imaplib.IMAP4):
    def __init__(self, ips: list[str], host: str, port: int, timeout: float) -> None:
        self._ips = ips
        super().__init__(ips[0], port, timeout=timeout)
        self.host = host  # STARTTLS verifies the certificate against self.host: the name, not the IP

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        last: OSError | None = None
        for ip in self._ips:
            try:
                return socket.create_connection((ip, self.port), timeout)
            except OSError as e:
                last = e
        raise last or OSError("no address")


class _PinnedIMAPSSL(imaplib.IMAP4_SSL):
    def __init__(self, ips: list[str], host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        self._ips = ips
        self._server_name = host
        super().__init__(ips[0], port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        last: OSError | None = None
        for ip in self._ips:
            try:
                sock = socket.create_connection((ip, self.port), timeout)
                wrapped: socket.socket = self.ssl_context.wrap_socket(sock, server_hostname=self._server_name)
                return wrapped
            except OSError as e:
                last = e
        raise last or OSError("no address")


@dataclass
class ImapConnector:
    """Poll one IMAP mailbox for new messages.

    ``security`` is ``"ssl"`` (port 993), ``"starttls"`` or ``"plain"`` (tests and trusted
    networks only). ``max_messages`` bounds one poll; the rest come on the next poll.
    """

    host: str
    username: str
    password: str = field(repr=False)
    key: bytes = field(repr=False, default=b"")
    port: int = 993
    mailbox: str = "INBOX"
    security: str = "ssl"
    allow_hosts: frozenset[str] = frozenset()
    timeout: float = 30.0
    max_messages: int = 200
    limits: MailLimits = field(default_factory=MailLimits)
    verify_tls: bool = True
    ca_file: str | None = None  # extra CA certificates (an intranet mail server's CA)
    # The first poll (no cursor yet) records where the mailbox stands and ingests nothing older:
    # an existing mailbox's years of mail are not flooded into the stream on day one.
    start_from_now: bool = False

    def __post_init__(self) -> None:
        if self.security not in ("ssl", "starttls", "plain"):
            raise ValueError("security must be 'ssl', 'starttls' or 'plain'")
        if not self.key:
            raise ValueError("ImapConnector needs a key to pseudonymise senders")
        self.allow_hosts = frozenset(h.lower() for h in self.allow_hosts)

    @property
    def where(self) -> str:
        return f"imap://{self.host}:{self.port}/{self.mailbox}"

    def _connect(self) -> imaplib.IMAP4:
        ips = check_address(self.host, self.port, self.allow_hosts, where=self.where)
        context = ssl.create_default_context()
        if self.ca_file:
            context.load_verify_locations(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        conn: imaplib.IMAP4
        if self.security == "ssl":
            conn = _PinnedIMAPSSL(ips, self.host, self.port, self.timeout, context)
        else:
            conn = _PinnedIMAP(ips, self.host, self.port, self.timeout)
            if self.security == "starttls":
                conn.starttls(ssl_context=context)
        return conn

    def fetch(self, state: FetchState) -> FetchResult:
        """Fetch messages newer than the cursor; never raises for faults of the server or the mail."""
        try:
            conn = self._connect()
        except SourceError as e:
            return FetchResult(errors=(e.as_error(),), cursor=state.cursor, failed=True)
        except (OSError, imaplib.IMAP4.error) as e:
            err = TransportError(f"cannot connect to the IMAP server: {e}", self.where)
            return FetchResult(errors=(err.as_error(),), cursor=state.cursor, failed=True)
        try:
            return self._poll(conn, state)
        except (OSError, imaplib.IMAP4.error, SourceError) as e:
            fault = e if isinstance(e, SourceError) else TransportError(f"IMAP session failed: {e}", self.where)
            return FetchResult(errors=(fault.as_error(),), cursor=state.cursor, failed=True)
        finally:
            with contextlib.suppress(OSError, imaplib.IMAP4.error):
                conn.logout()

    def _poll(self, conn: imaplib.IMAP4, state: FetchState) -> FetchResult:
        try:
            conn.login(self.username, self.password)
        except imaplib.IMAP4.error as e:
            raise SourceError(f"IMAP login refused for {self.username!r}: {_text(e.args)}", self.where) from None
        typ, _ = conn.select(_quote(self.mailbox), readonly=True)
        if typ != "OK":
            raise SourceError(f"cannot open mailbox {self.mailbox!r}", self.where)
        _, data = conn.response("UIDVALIDITY")
        validity = _text(data[0]) if data and data[0] else "0"
        errors: list[FetchError] = []
        last = 0
        if not state.cursor and self.start_from_now:
            return FetchResult(cursor=f"{validity}:{self._uidnext(conn) - 1}", requests=1)
        if state.cursor:
            old_validity, _, old_uid = state.cursor.partition(":")
            if old_validity == validity and old_uid.isdigit():
                last = int(old_uid)
            else:
                errors.append(
                    FetchError(f"UIDVALIDITY changed from {old_validity} to {validity}: reading the mailbox again",
                               self.where, "SourceError")
                )  # fmt: skip
        typ, data = conn.uid("SEARCH", f"UID {last + 1}:*")
        if typ != "OK":
            raise SourceError("UID SEARCH failed", self.where)
        # "n:*" always matches the highest UID, even when it is below n: filter.
        uids = sorted(u for u in (int(x) for x in b" ".join(d for d in data if d).split()) if u > last)
        uids = uids[: self.max_messages]
        items: list[FetchedItem] = []
        sizes = self._sizes(conn, uids) if uids else {}
        fetches = 1 if uids else 0
        for uid in uids:
            where = f"UID {uid}"
            external_id = f"imap:{validity}:{uid}"
            size = sizes.get(uid)
            if size is not None and size > self.limits.max_bytes:
                errors.append(
                    MessageRefusedError(
                        f"refused: message of {size} bytes exceeds {self.limits.max_bytes} (not downloaded)", where
                    ).as_error()
                )
                last = uid
                continue
            typ, msg_data = conn.uid("FETCH", str(uid), "(BODY.PEEK[])")
            fetches += 1
            raw = _literal(msg_data)
            if typ != "OK" or raw is None:
                errors.append(SourceError("the server returned no message body", where).as_error())
                last = uid
                continue
            try:
                item = parse_message(raw, key=self.key, external_id=external_id, limits=self.limits)
            except SourceError as e:
                e.where = where
                errors.append(e.as_error())
            except Exception as e:  # a parser bug on hostile mail must not stop the mailbox
                errors.append(SourceError(f"cannot parse the message: {type(e).__name__}: {e}", where).as_error())
            else:
                items.append(item)
            last = uid
        return FetchResult(items=tuple(items), errors=tuple(errors), cursor=f"{validity}:{last}", requests=fetches)

    def _uidnext(self, conn: imaplib.IMAP4) -> int:
        """The UID the next message will get (from SELECT's UIDNEXT, else the highest UID + 1)."""
        _, data = conn.response("UIDNEXT")
        if data and data[0] and _text(data[0]).strip().isdigit():
            return int(_text(data[0]).strip())
        typ, found = conn.uid("SEARCH", "ALL")
        uids = [int(x) for x in b" ".join(d for d in found if d).split()] if typ == "OK" else []
        return max(uids, default=0) + 1

    def _sizes(self, conn: imaplib.IMAP4, uids: list[int]) -> dict[int, int]:
        typ, data = conn.uid("FETCH", ",".join(str(u) for u in uids), "(UID RFC822.SIZE)")
        out: dict[int, int] = {}
        if typ != "OK":
            return out
        for line in data:
            chunk = line[0] if isinstance(line, tuple) else line
            if not isinstance(chunk, bytes):
                continue
            m = _SIZE.search(chunk)
            if m:
                uid, size = (m.group(1), m.group(2)) if m.group(1) else (m.group(4), m.group(3))
                out[int(uid)] = int(size)
        return out


def _literal(data: list[Any]) -> bytes | None:
    for part in data:
        if isinstance(part, tuple) and len(part) >= 2 and isinstance(part[1], bytes):
            return part[1]
    return None


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list | tuple):
        return " ".join(_text(v) for v in value)
    return str(value)


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'
