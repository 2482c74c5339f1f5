"""The outbox against real receivers on loopback: an SMTP server (aiosmtpd) and HTTP servers,
one of which fails and then recovers; escalation and the daily digest with a controlled clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.utils import timezone

from qingting.web.warnings import services
from qingting.web.warnings.models import DeliveryAttempt, DigestRun, Notification, Warning
from qingting.web.warnings.services import outbox

from .conftest import burst, ingest

pytestmark = pytest.mark.django_db


class Receiver:
    """An HTTP receiver on loopback that answers ``fail_first`` requests with 503, then 200."""

    def __init__(self, fail_first: int = 0, fail_status: int = 503) -> None:
        self.fail_first = fail_first
        self.fail_status = fail_status
        self.requests: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append((dict(self.headers), body))
                failing = len(outer.requests) <= outer.fail_first
                self.send_response(outer.fail_status if failing else 200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"errcode": 0, "code": 0}' if not failing else b"busy")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=2)
    yield r
    r.close()


@pytest.fixture
def smtp() -> Iterator[Any]:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    class Collect(Message):
        def __init__(self) -> None:
            super().__init__()
            self.messages: list[Any] = []

        def handle_message(self, message: Any) -> None:
            self.messages.append(message)

    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    handler = Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=free)
    controller.start()
    controller.messages = handler.messages  # type: ignore[attr-defined]
    yield controller
    controller.stop()


def _subject(mail: Any) -> str:
    from email.header import decode_header, make_header

    return str(make_header(decode_header(mail["Subject"])))


def _run_outbox_until_quiet(start: dt.datetime, *, rounds: int = 10) -> dt.datetime:
    """Run the delivery job as the scheduler would, jumping the clock to each next attempt."""
    now = start
    for _ in range(rounds):
        services.outbox_deliver(now)
        nxt = Notification.objects.filter(status="pending").order_by("next_attempt_at").first()
        if nxt is None:
            break
        now = max(now, nxt.next_attempt_at)
    return now


def test_email_reaches_a_real_smtp_server(setup: dict[str, Any], smtp: Any) -> None:
    port = smtp.port
    channel = services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="邮件", kind="email", smtp_host="127.0.0.1", smtp_port=port,
        smtp_sender="qt@east.example",
    )  # fmt: skip
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    ingest(setup, burst("a", 8))
    assert services.outbox_deliver(timezone.now()) == 1
    [mail] = smtp.messages
    assert mail["To"] == "analyst@east.example"
    assert "Ⅳ级（蓝色）预警" in _subject(mail)
    body = mail.get_payload(decode=True).decode("utf-8")
    assert "1 小时内 8 条" in body and f"/warnings/{Warning.objects.get().pk}/" in body
    n = Notification.objects.get()
    assert (n.status, n.attempts) == ("sent", 1)
    assert services.outbox_deliver(timezone.now()) == 0  # sent once


def test_a_webhook_that_fails_then_recovers_gets_the_warning_exactly_once(
    setup: dict[str, Any], receiver: Receiver
) -> None:
    channel = services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="值班群", kind="webhook", url=receiver.url, secret="s3cret"
    )
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    services.subscription_add(actor=setup["admin"], channel_id=channel.pk, min_tier=4)  # same bot: one message
    ingest(setup, burst("a", 8))
    assert Notification.objects.count() == 1
    start = timezone.now()
    services.outbox_deliver(start)
    n = Notification.objects.get()
    assert (n.status, n.attempts) == ("pending", 1) and "503" in n.last_error
    assert n.next_attempt_at > start  # backoff: not due again at once
    assert services.outbox_deliver(start) == 0  # nothing due yet
    _run_outbox_until_quiet(start)
    n.refresh_from_db()
    assert (n.status, n.attempts) == ("sent", 3)
    log = list(DeliveryAttempt.objects.filter(notification=n).values_list("attempt", "ok", "status"))
    assert log == [(1, False, 503), (2, False, 503), (3, True, 200)]
    gaps = [b.at - a.at for a, b in zip(n.attempt_log.all(), list(n.attempt_log.all())[1:], strict=False)]
    assert gaps[1] > gaps[0]  # exponential backoff
    delivered = [body for _, body in receiver.requests[2:]]
    assert len(delivered) == 1  # delivered once
    headers, body = receiver.requests[-1]
    ts = headers["X-Qingting-Timestamp"]
    expected = hmac.new(b"s3cret", f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    assert headers["X-Qingting-Signature"] == f"sha256={expected}"
    assert json.loads(body)["tier"] == "IV"


def test_two_workers_never_send_one_row_twice(setup: dict[str, Any]) -> None:
    r = Receiver()
    try:
        channel = services.channel_save(actor=setup["admin"], unit=setup["east"], name="bot", kind="wecom", url=r.url)
        services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
        ingest(setup, burst("a", 8))
        now = timezone.now()
        first = outbox._claim(now, 10)
        second = outbox._claim(now, 10)  # a second worker at the same moment
        assert len(first) == 1 and second == []
    finally:
        r.close()


def test_a_permanent_refusal_is_not_retried(setup: dict[str, Any]) -> None:
    r = Receiver(fail_first=5, fail_status=404)
    try:
        channel = services.channel_save(actor=setup["admin"], unit=setup["east"], name="bot", kind="feishu", url=r.url)
        services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
        ingest(setup, burst("a", 8))
        _run_outbox_until_quiet(timezone.now())
        n = Notification.objects.get()
        assert (n.status, n.attempts, len(r.requests)) == ("failed", 1, 1)
        assert "404" in n.last_error
    finally:
        r.close()


def test_an_unreachable_receiver_is_retried_then_given_up(setup: dict[str, Any]) -> None:
    channel = services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="bot", kind="slack", url="http://127.0.0.1:9/nowhere"
    )
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
    ingest(setup, burst("a", 8))
    end = _run_outbox_until_quiet(timezone.now(), rounds=10)
    n = Notification.objects.get()
    assert n.status == "failed" and n.attempts == services.RETRY.max_attempts  # connection refused: retried, gave up
    assert end > n.created_at


def test_escalation_goes_down_the_duty_list_on_time(setup: dict[str, Any]) -> None:
    r = Receiver()
    try:
        channel = services.channel_save(actor=setup["admin"], unit=setup["east"], name="bot", kind="webhook", url=r.url)
        services.subscription_add(actor=setup["duty2"], channel_id=channel.pk, min_tier=1)  # only Ⅰ for duty2
        ingest(setup, burst("a", 70, step=5))  # tier Ⅱ: escalates after 30 minutes
        w = Warning.objects.get()
        assert (w.tier, w.assignee, w.escalation_level) == (2, setup["analyst"], 0)
        t0 = w.last_escalated_at
        assert services.escalate_due(t0 + dt.timedelta(minutes=29)) == 0
        assert services.escalate_due(t0 + dt.timedelta(minutes=30)) == 1
        w.refresh_from_db()
        assert (w.assignee, w.escalation_level) == (setup["duty2"], 1)
        [n] = Notification.objects.filter(kind="escalation")
        assert n.user == setup["duty2"] and "升级提醒" in n.payload["title"]
        assert services.escalate_due(t0 + dt.timedelta(hours=5)) == 0  # the list is exhausted
    finally:
        r.close()


def test_acknowledged_warnings_do_not_escalate(setup: dict[str, Any]) -> None:
    ingest(setup, burst("a", 70, step=5))
    w = Warning.objects.get()
    services.warning_acknowledge(actor=setup["analyst"], warning_id=w.pk)
    assert services.escalate_due(w.raised_at + dt.timedelta(hours=1)) == 0


def test_blue_warnings_never_escalate(setup: dict[str, Any]) -> None:
    ingest(setup, burst("a", 8))
    w = Warning.objects.get()
    assert services.escalate_due(w.raised_at + dt.timedelta(days=2)) == 0


def test_daily_digest_once_per_day_per_user(setup: dict[str, Any], smtp: Any) -> None:
    port = smtp.port
    channel = services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="邮件", kind="email", smtp_host="127.0.0.1", smtp_port=port,
        smtp_sender="qt@east.example",
    )  # fmt: skip
    services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=1, digest=True)
    ingest(setup, burst("a", 8))  # a blue warning: below the subscription, but in the digest
    w = Warning.objects.get()
    assert Notification.objects.count() == 0
    tz = timezone.get_current_timezone()
    raised_day = timezone.localtime(w.raised_at).date()
    next_morning = dt.datetime.combine(raised_day + dt.timedelta(days=1), dt.time(7, 0), tzinfo=tz)
    assert services.digest_send(next_morning) == 0  # before 08:00
    assert services.digest_send(next_morning + dt.timedelta(hours=1)) == 1
    assert services.digest_send(next_morning + dt.timedelta(hours=3)) == 0  # once a day
    assert DigestRun.objects.get().warnings == 1
    services.outbox_deliver(next_morning + dt.timedelta(hours=1))
    [mail] = smtp.messages
    assert "预警日报" in _subject(mail) and w.title in mail.get_payload(decode=True).decode("utf-8")
