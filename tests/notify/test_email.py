"""E-mail delivery against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from qingting.core.warnings import EarlyWarning, Tier
from qingting.notify import EmailChannel, RetryPolicy, deliver, message_for

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    """An aiosmtpd handler keeping what it receives; refuses recipients at ``blocked.example``."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:
        if address.endswith("@blocked.example"):
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


LOOPBACK = frozenset({"127.0.0.1"})  # the test server, allow-listed as an operator would
WARNING = EarlyWarning(
    id="water-3",
    scheme="water",
    event_id=12,
    tier=Tier.I,
    created_at=1_778_551_200.0,
    title="柳湾镇停水",
    reason_zh="1 小时内 1200 条，高于基线 9.0σ，正在上升；负面 71%",
    reason_en="1200 items in 1 hour, 9.0σ above its baseline, rising; 71% negative",
)


def test_email_arrives_with_a_readable_chinese_subject_and_both_languages(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    ch = EmailChannel(
        "127.0.0.1", port, sender="qingting@gov.example", recipients=["duty@gov.example"], allow_hosts=LOOPBACK
    )
    d = ch.send(message_for(WARNING, url="https://qt.example/warnings/water-3"))
    assert d.ok and d.status == 250 and d.error == ""
    ((sender, rcpts, raw),) = inbox.messages
    assert sender == "qingting@gov.example" and rcpts == ["duty@gov.example"]
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    assert msg["Subject"] == "【Ⅰ级（红色）预警】柳湾镇停水"
    assert msg["X-Qingting-Warning"] == "water-3"
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None
    text = body.get_content()
    assert "负面 71%" in text and "Tier I (red): 1200 items in 1 hour" in text
    assert "https://qt.example/warnings/water-3" in text


def test_partly_refused_recipients_are_noted_and_not_resent(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    ch = EmailChannel(
        "127.0.0.1",
        port,
        sender="qt@gov.example",
        recipients=["a@gov.example", "b@blocked.example"],
        allow_hosts=LOOPBACK,
    )
    log = deliver(ch, message_for(WARNING), sleep=lambda s: None)
    assert len(log) == 1 and log[0].ok and "b@blocked.example" in log[0].error
    assert len(inbox.messages) == 1 and inbox.messages[0][1] == ["a@gov.example"]


def test_all_recipients_refused_is_a_permanent_failure(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    ch = EmailChannel(
        "127.0.0.1", port, sender="qt@gov.example", recipients=["x@blocked.example"], allow_hosts=LOOPBACK
    )
    log = deliver(ch, message_for(WARNING), sleep=lambda s: None)
    assert [(d.ok, d.status) for d in log] == [(False, 550)]
    assert inbox.messages == []


def test_server_down_is_retried_and_never_raises() -> None:
    port = free_port()  # nothing listens there
    ch = EmailChannel(
        "127.0.0.1", port, sender="qt@gov.example", recipients=["a@gov.example"], timeout=2.0, allow_hosts=LOOPBACK
    )
    waits: list[float] = []
    log = deliver(
        ch, message_for(WARNING), retry=RetryPolicy(max_attempts=3, base_seconds=1, jitter=0), sleep=waits.append
    )
    assert [d.attempt for d in log] == [1, 2, 3] and not any(d.ok for d in log)
    assert "ConnectionRefusedError" in log[0].error
    assert waits == [1.0, 3.0]


def test_a_line_break_in_the_title_is_folded_and_the_mail_still_goes(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    hostile = EarlyWarning(
        id="w\r\n7", scheme="water", event_id=1, tier=Tier.III, created_at=1_778_551_200.0,
        title="县长信箱\r\nBcc: spy@example.org\n停水", reason_zh="原因", reason_en="why",
    )  # fmt: skip
    ch = EmailChannel("127.0.0.1", port, sender="qt@gov.example", recipients=["a@gov.example"], allow_hosts=LOOPBACK)
    d = ch.send(message_for(hostile))
    assert d.ok, d.error
    msg = email.message_from_bytes(inbox.messages[0][2], policy=email.policy.default)
    assert "县长信箱 Bcc: spy@example.org 停水" in str(msg["Subject"])
    assert msg["Bcc"] is None and inbox.messages[0][1] == ["a@gov.example"]
    assert str(msg["X-Qingting-Warning"]) == "w 7"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "10.0.0.5", "::1"])
def test_smtp_to_a_private_address_is_refused_unless_allow_listed(smtp: tuple[Inbox, int], host: str) -> None:
    inbox, port = smtp
    d = EmailChannel(host, port, sender="qt@gov.example", recipients=["a@gov.example"], timeout=2.0).send(
        message_for(WARNING)
    )
    assert not d.ok and d.error.startswith("refused:") and "non-public address" in d.error
    assert d.retryable is False and inbox.messages == []
