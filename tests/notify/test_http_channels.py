"""Chat-bot and webhook channels against a real HTTP receiver on loopback."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from qingting.core.warnings import EarlyWarning, Tier
from qingting.notify import (
    DingTalkChannel,
    FeishuChannel,
    RetryPolicy,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    deliver,
    message_for,
    webhook_signature,
)


@dataclass
class Receiver:
    """A loopback HTTP server that records requests and answers from a script (then 200 ok)."""

    url: str = ""
    script: list[tuple[int, str]] = field(default_factory=list)
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    processed: int = 0  # requests answered with success: what the receiver acted on


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    rec = Receiver()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock:
                rec.requests.append((self.path, dict(self.headers.items()), body))
                status, answer = rec.script.pop(0) if rec.script else (200, '{"errcode":0,"errmsg":"ok"}')
                if 200 <= status < 300:
                    rec.processed += 1
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:  # keep test output clean
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    rec.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield rec
    finally:
        server.shutdown()
        server.server_close()


WARNING = EarlyWarning(
    id="water-3",
    scheme="water",
    event_id=12,
    tier=Tier.II,
    created_at=1_778_551_200.0,
    title="柳湾镇停水",
    reason_zh="30 分钟内 320 条，高于基线 6.2σ，正在上升；负面 58%；4 家主流媒体报道",
    reason_en="320 items in 30 minutes, 6.2σ above its baseline, rising; 58% negative; reported by 4 mainstream media",
)
LOOPBACK = frozenset({"127.0.0.1"})  # the test receiver: allow-listed as an operator would
MESSAGE = message_for(WARNING, url="https://qt.example/warnings/water-3")


def test_signed_webhook_can_be_verified_by_the_receiver(receiver: Receiver) -> None:
    ch = WebhookChannel(receiver.url, secret="s3cret", clock=lambda: 1_778_551_260.0, allow_hosts=LOOPBACK)
    d = ch.send(MESSAGE)
    assert d.ok and d.status == 200 and d.attempt == 1
    _, headers, body = receiver.requests[0]
    assert headers["X-Qingting-Timestamp"] == "1778551260"
    expected = "sha256=" + hmac.new(b"s3cret", b"1778551260." + body, hashlib.sha256).hexdigest()
    assert headers["X-Qingting-Signature"] == expected == webhook_signature("s3cret", "1778551260", body)
    data = json.loads(body)
    assert data["tier"] == "II" and data["colour"] == "orange" and data["warning_id"] == "water-3"
    assert data["reason_zh"].startswith("30 分钟内 320 条")


def test_receiver_that_fails_then_recovers_gets_it_once(receiver: Receiver) -> None:
    receiver.script = [(503, "busy"), (500, "oops")]
    waits: list[float] = []
    log = deliver(
        WebhookChannel(receiver.url, secret="k", allow_hosts=LOOPBACK),
        MESSAGE,
        retry=RetryPolicy(max_attempts=5, base_seconds=1.0, factor=2.0, jitter=0.0),
        sleep=waits.append,
    )
    assert [(d.ok, d.status, d.attempt) for d in log] == [(False, 503, 1), (False, 500, 2), (True, 200, 3)]
    assert log[0].error == "HTTP 503 Service Unavailable" and log[0].answer == "busy"
    assert waits == [1.0, 2.0]
    assert receiver.processed == 1 and len(receiver.requests) == 3
    assert [h["X-Qingting-Delivery-Attempt"] for _, h, _ in receiver.requests] == ["1", "2", "3"]


def test_client_errors_are_not_retried(receiver: Receiver) -> None:
    receiver.script = [(404, "no such hook")]
    log = deliver(WebhookChannel(receiver.url, allow_hosts=LOOPBACK), MESSAGE, sleep=lambda s: None)
    assert [(d.ok, d.status) for d in log] == [(False, 404)]


def test_gives_up_after_the_last_attempt(receiver: Receiver) -> None:
    receiver.script = [(500, "")] * 10
    log = deliver(
        WebhookChannel(receiver.url, allow_hosts=LOOPBACK),
        MESSAGE,
        retry=RetryPolicy(max_attempts=3),
        sleep=lambda s: None,
    )
    assert [d.attempt for d in log] == [1, 2, 3] and not log[-1].ok
    assert receiver.processed == 0


def test_network_error_is_a_delivery_not_an_exception() -> None:
    # a port nobody listens on: connection refused
    d = WebhookChannel("http://127.0.0.1:9/hook", timeout=2.0, allow_hosts=LOOPBACK).send(MESSAGE)
    assert not d.ok and d.status is None and d.error
    d = WebhookChannel("not a url").send(MESSAGE)
    assert not d.ok and d.error


def test_dingtalk_signs_the_url_and_reads_errcode(receiver: Receiver) -> None:
    ch = DingTalkChannel(
        receiver.url + "?access_token=abc", secret="SEC123", clock_ms=lambda: 1_778_551_260_123, allow_hosts=LOOPBACK
    )
    assert ch.send(MESSAGE).ok
    path, _, body = receiver.requests[0]
    q = urllib.parse.parse_qs(urllib.parse.urlparse(path).query)
    assert q["access_token"] == ["abc"] and q["timestamp"] == ["1778551260123"]
    mac = hmac.new(b"SEC123", b"1778551260123\nSEC123", hashlib.sha256).digest()
    assert q["sign"] == [base64.b64encode(mac).decode()]
    data = json.loads(body)
    assert data["msgtype"] == "markdown" and data["markdown"]["title"] == "【Ⅱ级（橙色）预警】柳湾镇停水"
    assert "320 items in 30 minutes" in data["markdown"]["text"]
    # DingTalk answers 200 with an error code when the signature is wrong: that is a failure
    receiver.script = [(200, '{"errcode":310000,"errmsg":"sign not match"}')]
    d = ch.send(MESSAGE)
    assert not d.ok and d.status == 200 and d.error == "errcode 310000: sign not match"


def test_feishu_signs_the_body(receiver: Receiver) -> None:
    receiver.script = [(200, '{"code":0,"msg":"success"}')]
    ch = FeishuChannel(receiver.url, secret="FS", clock=lambda: 1_778_551_260.0, allow_hosts=LOOPBACK)
    assert ch.send(MESSAGE).ok
    data = json.loads(receiver.requests[0][2])
    assert data["timestamp"] == "1778551260"
    mac = hmac.new(b"1778551260\nFS", b"", hashlib.sha256).digest()
    assert data["sign"] == base64.b64encode(mac).decode()
    assert data["msg_type"] == "interactive" and data["card"]["header"]["template"] == "orange"
    receiver.script = [(200, '{"code":19021,"msg":"sign match fail or timestamp is not within one hour"}')]
    assert not ch.send(MESSAGE).ok


def test_wecom_and_slack_formats(receiver: Receiver) -> None:
    assert WeComChannel(receiver.url, allow_hosts=LOOPBACK).send(MESSAGE).ok
    wecom = json.loads(receiver.requests[0][2])
    assert wecom["msgtype"] == "markdown"
    assert (
        "柳湾镇停水" in wecom["markdown"]["content"]
        and "https://qt.example/warnings/water-3" in wecom["markdown"]["content"]
    )
    receiver.script = [(200, "ok")]
    assert SlackChannel(receiver.url, allow_hosts=LOOPBACK).send(MESSAGE).ok
    slack = json.loads(receiver.requests[1][2])
    assert slack["text"].startswith("【Ⅱ级（橙色）预警】柳湾镇停水: Tier II (orange): 320 items")
    assert slack["blocks"][0]["text"]["type"] == "mrkdwn"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/hook",
        "http://localhost:{port}/hook",
        "http://[::ffff:127.0.0.1]:{port}/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://0.0.0.0:{port}/hook",
    ],
)
@pytest.mark.parametrize("kind", [WebhookChannel, WeComChannel, DingTalkChannel, FeishuChannel, SlackChannel])
def test_channels_refuse_private_addresses(receiver: Receiver, kind: type, url: str) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    d = kind(url.format(port=port)).send(MESSAGE)
    assert not d.ok and d.error.startswith("refused:") and "non-public address" in d.error
    assert d.retryable is False and d.answer == "" and receiver.requests == []


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.script = [(302, "")]
    d = WebhookChannel(receiver.url, allow_hosts=LOOPBACK).send(MESSAGE)
    assert not d.ok and d.status == 302 and "redirects are not followed" in d.error
    assert len(receiver.requests) == 1
