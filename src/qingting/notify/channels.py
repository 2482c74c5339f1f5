"""Channel adapters: build each platform's message and send it, never raising on a network error.

Every ``send`` returns a :class:`Delivery` (ok or error, HTTP status, attempt number, a short
excerpt of the answer) — the row of the delivery log. Payload builders (``payload``) are pure, so
the outbox can store exactly what was sent.

Channels: :class:`EmailChannel` (SMTP), :class:`WebhookChannel` (generic JSON signed with
HMAC-SHA256), :class:`WeComChannel` (企业微信群机器人), :class:`DingTalkChannel` (钉钉自定义机器人,
with its timestamp+secret signature), :class:`FeishuChannel` (飞书自定义机器人, with its signature)
and :class:`SlackChannel` (incoming webhook).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import smtplib
import socket
import ssl
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

from qingting import outbound
from qingting.notify.message import Message
from qingting.notify.retry import is_retryable

__all__ = [
    "Channel",
    "Delivery",
    "DingTalkChannel",
    "EmailChannel",
    "FeishuChannel",
    "SlackChannel",
    "WeComChannel",
    "WebhookChannel",
    "dingtalk_sign",
    "feishu_sign",
    "webhook_signature",
]

MAX_ANSWER_BYTES = 64 * 1024  # we read at most this much of a receiver's answer
EXCERPT_CHARS = 300


@dataclass(frozen=True, slots=True)
class Delivery:
    """The outcome of one attempt to deliver one message through one channel."""

    channel: str
    ok: bool
    attempt: int
    status: int | None = None  # HTTP status or SMTP reply code, when there was one
    error: str = ""
    answer: str = ""  # the start of what the receiver answered
    at: float = 0.0
    seconds: float = 0.0
    retryable: bool = True  # whether another attempt may succeed (false for e.g. HTTP 404, SMTP 550)


class Channel(Protocol):
    """What the outbox needs from a channel."""

    name: str

    def send(self, message: Message, *, attempt: int = 1) -> Delivery: ...


def _now_ms() -> int:
    return int(time.time() * 1000)


# -- signatures -----------------------------------------------------------------------------------


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=<hex>`` of HMAC-SHA256(secret, ``timestamp + "." + body``) — what a receiver checks.

    >>> sig = webhook_signature("s3cret", "1700000000", b'{"a":1}')
    >>> sig[:7], len(sig)
    ('sha256=', 71)
    """
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's ``sign``: base64(HMAC-SHA256(key=secret, ``f"{timestamp}\\n{secret}"``)), unquoted."""
    mac = hmac.new(secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's ``sign``: base64(HMAC-SHA256(key=``f"{timestamp}\\n{secret}"``, empty message))."""
    mac = hmac.new(f"{timestamp_s}\n{secret}".encode(), b"", hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


# -- HTTP -----------------------------------------------------------------------------------------


def _post_json(
    channel: str,
    url: str,
    body: bytes,
    *,
    attempt: int,
    timeout: float,
    allow_hosts: frozenset[str],
    headers: Mapping[str, str] | None = None,
    accept: Callable[[int, str], str] | None = None,
) -> Delivery:
    """POST ``body`` under the outbound policy; a 2xx answer is ok unless ``accept(status, text)``
    returns an error message. A refused address is a permanent failure (no retry); redirects are
    not followed."""
    started = time.time()
    t0 = time.perf_counter()
    all_headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "qingting-notify",
        **(headers or {}),
    }
    try:
        status, reason, raw = outbound.post(
            url, body, headers=all_headers, allow_hosts=allow_hosts, timeout=timeout, max_answer=MAX_ANSWER_BYTES
        )
    except outbound.Unresolvable as e:  # DNS may come back: retry
        return Delivery(channel, False, attempt, None, e.message, "", started, time.perf_counter() - t0)
    except outbound.OutboundRefused as e:  # a private address or a malformed URL: retrying changes nothing
        took = time.perf_counter() - t0
        return Delivery(channel, False, attempt, None, e.message, "", started, took, retryable=False)
    except (OSError, http.client.HTTPException, ValueError) as e:  # refused, timeout, broken answer
        took = time.perf_counter() - t0
        return Delivery(channel, False, attempt, None, f"{type(e).__name__}: {e}", "", started, took)
    text = raw.decode("utf-8", errors="replace")
    took = time.perf_counter() - t0
    if not 200 <= status < 300:
        error = f"HTTP {status} {reason}".strip()
        if 300 <= status < 400:
            error += " (redirects are not followed: configure the final URL)"
        return Delivery(
            channel, False, attempt, status, error, text[:EXCERPT_CHARS], started, took, retryable=is_retryable(status)
        )
    error = accept(status, text) if accept is not None else ""
    return Delivery(channel, not error, attempt, status, error, text[:EXCERPT_CHARS], started, took)


def _errcode(key: str, *alternatives: str) -> Callable[[int, str], str]:
    """Bots answer HTTP 200 with ``{"errcode": 0}`` (or ``code``) — anything else is a failure."""

    def accept(status: int, text: str) -> str:
        try:
            data = json.loads(text) if text.strip() else {}
        except ValueError:
            return f"unexpected answer: {text[:80]!r}"
        if not isinstance(data, dict):
            return f"unexpected answer: {text[:80]!r}"
        for k in (key, *alternatives):
            if k in data:
                code = data[k]
                if code in (0, "0"):
                    return ""
                msg = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
                return f"{k} {code}: {msg}"
        return ""

    return accept


def _dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# -- channels -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WebhookChannel:
    """A generic JSON webhook; with a ``secret``, signed so the receiver can check it came from us.

    Headers: ``X-Qingting-Timestamp`` (unix seconds) and ``X-Qingting-Signature``
    (:func:`webhook_signature`). Receivers should refuse timestamps older than a few minutes.
    """

    url: str
    secret: str = ""
    timeout: float = 10.0
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check
    name: str = "webhook"
    clock: Callable[[], float] = time.time

    def payload(self, message: Message) -> dict[str, Any]:
        return message.as_dict()

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        body = _dumps(self.payload(message))
        headers = {"X-Qingting-Event": "warning", "X-Qingting-Delivery-Attempt": str(attempt)}
        if self.secret:
            ts = str(int(self.clock()))
            headers["X-Qingting-Timestamp"] = ts
            headers["X-Qingting-Signature"] = webhook_signature(self.secret, ts, body)
        return _post_json(
            self.name,
            self.url,
            body,
            attempt=attempt,
            timeout=self.timeout,
            allow_hosts=self.allow_hosts,
            headers=headers,
        )


@dataclass(frozen=True, slots=True)
class WeComChannel:
    """WeCom (企业微信) group robot: ``markdown`` messages; answers ``{"errcode": 0}`` on success."""

    url: str
    timeout: float = 10.0
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check
    name: str = "wecom"

    def payload(self, message: Message) -> dict[str, Any]:
        colour = {"red": "warning", "orange": "warning", "yellow": "comment", "blue": "info"}.get(
            message.colour, "info"
        )
        lines = [f'## <font color="{colour}">{message.title}</font>', message.text_zh, f"> {message.text_en}"]
        if message.url:
            lines.append(f"[查看预警 View]({message.url})")
        return {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        body = _dumps(self.payload(message))
        return _post_json(
            self.name,
            self.url,
            body,
            attempt=attempt,
            timeout=self.timeout,
            allow_hosts=self.allow_hosts,
            accept=_errcode("errcode"),
        )


@dataclass(frozen=True, slots=True)
class DingTalkChannel:
    """DingTalk (钉钉) custom robot: ``markdown``; with a ``secret``, the URL carries ``timestamp`` and
    ``sign`` (:func:`dingtalk_sign`); answers ``{"errcode": 0}`` on success."""

    url: str
    secret: str = ""
    timeout: float = 10.0
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check
    name: str = "dingtalk"
    clock_ms: Callable[[], int] = _now_ms

    def payload(self, message: Message) -> dict[str, Any]:
        text = f"### {message.title}\n\n{message.text_zh}\n\n> {message.text_en}"
        if message.url:
            text += f"\n\n[查看预警 View]({message.url})"
        return {"msgtype": "markdown", "markdown": {"title": message.title, "text": text}}

    def signed_url(self) -> str:
        if not self.secret:
            return self.url
        ts = self.clock_ms()
        query = urllib.parse.urlencode({"timestamp": ts, "sign": dingtalk_sign(self.secret, ts)})
        return f"{self.url}{'&' if '?' in self.url else '?'}{query}"

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        body = _dumps(self.payload(message))
        return _post_json(
            self.name,
            self.signed_url(),
            body,
            attempt=attempt,
            timeout=self.timeout,
            allow_hosts=self.allow_hosts,
            accept=_errcode("errcode"),
        )


@dataclass(frozen=True, slots=True)
class FeishuChannel:
    """Feishu/Lark (飞书) custom bot: an interactive card; with a ``secret``, the body carries
    ``timestamp`` and ``sign`` (:func:`feishu_sign`); answers ``{"code": 0}`` on success."""

    url: str
    secret: str = ""
    timeout: float = 10.0
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check
    name: str = "feishu"
    clock: Callable[[], float] = time.time

    def payload(self, message: Message) -> dict[str, Any]:
        template = {"red": "red", "orange": "orange", "yellow": "yellow", "blue": "blue"}.get(message.colour, "blue")
        elements: list[dict[str, Any]] = [
            {"tag": "div", "text": {"tag": "lark_md", "content": f"{message.text_zh}\n{message.text_en}"}}
        ]
        if message.url:
            elements.append(
                {
                    "tag": "action",
                    "actions": [
                        {"tag": "button", "text": {"tag": "plain_text", "content": "查看预警"}, "url": message.url}
                    ],
                }
            )
        body: dict[str, Any] = {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": message.title}, "template": template},
                "elements": elements,
            },
        }
        if self.secret:
            ts = int(self.clock())
            body = {"timestamp": str(ts), "sign": feishu_sign(self.secret, ts), **body}
        return body

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        body = _dumps(self.payload(message))
        return _post_json(
            self.name,
            self.url,
            body,
            attempt=attempt,
            timeout=self.timeout,
            allow_hosts=self.allow_hosts,
            accept=_errcode("code", "StatusCode"),
        )


@dataclass(frozen=True, slots=True)
class SlackChannel:
    """Slack incoming webhook: ``text`` plus blocks; answers ``ok`` with HTTP 200."""

    url: str
    timeout: float = 10.0
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check
    name: str = "slack"

    def payload(self, message: Message) -> dict[str, Any]:
        emoji = {"red": ":red_circle:", "orange": ":large_orange_circle:", "yellow": ":large_yellow_circle:"}.get(
            message.colour, ":large_blue_circle:"
        )
        text = f"{emoji} *{message.title}*\n{message.text_zh}\n{message.text_en}"
        if message.url:
            text += f"\n<{message.url}|查看预警 View>"
        return {
            "text": f"{message.title}: {message.text_en}",
            "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
        }

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        body = _dumps(self.payload(message))
        return _post_json(
            self.name, self.url, body, attempt=attempt, timeout=self.timeout, allow_hosts=self.allow_hosts
        )


_UNSAFE_IN_HEADERS = str.maketrans({c: " " for c in "\r\n\x00\x0b\x0c\x85\u2028\u2029"})


def header_safe(value: str) -> str:
    """``value`` on one line: CR, LF and the other line breaks become spaces, runs of blanks one.

    A source name or a warning title comes from someone's configuration or from the public; in a
    header a line break is either refused by the e-mail library (the message is never sent) or an
    injection. Neither: it is folded to a space.

    >>> header_safe("县长信箱\r\nBcc: x@example.org")
    '县长信箱 Bcc: x@example.org'
    """
    return " ".join(str(value).translate(_UNSAFE_IN_HEADERS).split())


class _PinnedSMTP(smtplib.SMTP):
    """SMTP to addresses the outbound policy checked (STARTTLS still verifies the host name)."""

    def __init__(self, ips: list[str], host: str, port: int, timeout: float) -> None:
        self._ips = ips
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        return outbound.connect_pinned(self._ips, port, timeout)


class _PinnedSMTPSSL(smtplib.SMTP_SSL):
    """SMTP over TLS to checked addresses; the certificate is verified against the host name."""

    def __init__(self, ips: list[str], host: str, port: int, timeout: float, context: ssl.SSLContext) -> None:
        self._ips = ips
        self._tls_host = host  # smtplib keeps it in the undeclared ``_host``; ours is typed
        super().__init__(host, port, timeout=timeout, context=context)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = outbound.connect_pinned(self._ips, port, timeout)
        return self.context.wrap_socket(sock, server_hostname=self._tls_host)


@dataclass(frozen=True, slots=True)
class EmailChannel:
    """E-mail through an SMTP server (smtplib); ``starttls`` or ``use_ssl`` for encrypted servers."""

    host: str
    port: int
    sender: str
    recipients: Sequence[str]
    username: str = ""
    password: str = ""
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 10.0
    name: str = "email"
    allow_hosts: frozenset[str] = frozenset()  # exempt from the outbound address check

    def build(self, message: Message) -> EmailMessage:
        msg = EmailMessage()
        msg["Subject"] = header_safe(message.title)
        msg["From"] = header_safe(self.sender)
        msg["To"] = header_safe(", ".join(self.recipients))
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(domain=header_safe(self.sender.rpartition("@")[2]) or None)
        if message.warning_id:
            msg["X-Qingting-Warning"] = header_safe(message.warning_id)
        body = f"{message.text_zh}\n\n{message.text_en}\n"
        if message.url:
            body += f"\n{message.url}\n"
        msg.set_content(body, charset="utf-8")
        return msg

    def send(self, message: Message, *, attempt: int = 1) -> Delivery:
        started = time.time()
        t0 = time.perf_counter()
        try:
            msg = self.build(message)
        except (ValueError, TypeError) as e:  # a header the e-mail library refuses even after cleaning
            took = time.perf_counter() - t0
            return Delivery(self.name, False, attempt, None, f"cannot build the e-mail: {e}", "", started, took,
                            retryable=False)  # fmt: skip
        try:
            ips = outbound.check_address(
                self.host, self.port, self.allow_hosts, where=f"smtp://{self.host}:{self.port}"
            )
        except outbound.OutboundRefused as e:
            took = time.perf_counter() - t0
            retry = isinstance(e, outbound.Unresolvable)
            return Delivery(self.name, False, attempt, None, e.message, "", started, took, retryable=retry)
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = _PinnedSMTPSSL(
                    ips, self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = _PinnedSMTP(ips, self.host, self.port, timeout=self.timeout)
            with smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(msg, from_addr=self.sender, to_addrs=list(self.recipients))
        except smtplib.SMTPRecipientsRefused as e:
            who = ", ".join(sorted(e.recipients))
            took = time.perf_counter() - t0
            return Delivery(
                self.name, False, attempt, 550, f"all recipients refused: {who}", "", started, took, retryable=False
            )
        except smtplib.SMTPResponseException as e:
            took = time.perf_counter() - t0
            said = e.smtp_error.decode(errors="replace") if isinstance(e.smtp_error, bytes) else str(e.smtp_error)
            error = f"SMTP {e.smtp_code}: {said}"
            retry = not 500 <= e.smtp_code < 600  # SMTP: 4xx is temporary, 5xx permanent
            return Delivery(self.name, False, attempt, e.smtp_code, error, "", started, took, retryable=retry)
        except (TimeoutError, smtplib.SMTPException, OSError) as e:
            took = time.perf_counter() - t0
            return Delivery(self.name, False, attempt, None, f"{type(e).__name__}: {e}", "", started, took)
        # some recipients refused: the others have it, so it is delivered (a retry would duplicate it)
        error = f"refused recipients: {', '.join(sorted(refused))}" if refused else ""
        return Delivery(self.name, True, attempt, 250, error, "", started, time.perf_counter() - t0)
