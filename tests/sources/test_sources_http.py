"""The safe fetcher against a real loopback server with injected faults."""

from __future__ import annotations

import gzip
import ipaddress
import time
from http.server import BaseHTTPRequestHandler

import brotli
import pytest
from _loopback import LoopbackServer, make_fetcher, send

from qingting.sources.encoding import decode_bytes
from qingting.sources.http import FetchPolicy, SafeFetcher, check_address, is_public_address
from qingting.sources.types import (
    BlockedAddressError,
    BodyTooLargeError,
    DeadlineExceededError,
    HTTPStatusError,
    TooManyRedirectsError,
    TransportError,
)


def test_plain_and_gzip_bodies_arrive_decompressed(server: LoopbackServer) -> None:
    payload = "市政府回应市民关切。".encode() * 200
    server.routes["/plain"] = lambda h: send(h, 200, payload, "text/html; charset=utf-8")
    server.routes["/gz"] = lambda h: send(h, 200, gzip.compress(payload), headers={"Content-Encoding": "gzip"})
    server.routes["/br"] = lambda h: send(h, 200, brotli.compress(payload), headers={"Content-Encoding": "br"})
    f = make_fetcher()
    r = f.get(server.url("/plain"))
    assert r.status == 200 and r.body == payload and r.charset == "utf-8"
    assert f.get(server.url("/gz")).body == payload
    assert f.get(server.url("/br")).body == payload
    assert server.last_headers["/plain"]["user-agent"].startswith("Qingting/")


def test_conditional_get_returns_not_modified_without_body(server: LoopbackServer) -> None:
    def handler(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == '"v1"':
            h.send_response(304)
            h.send_header("ETag", '"v1"')
            h.end_headers()
        else:
            send(h, 200, b"<rss/>", headers={"ETag": '"v1"', "Last-Modified": "Sun, 22 Nov 2026 10:00:00 GMT"})

    server.routes["/feed"] = handler
    f = make_fetcher()
    first = f.get(server.url("/feed"))
    assert first.etag == '"v1"' and first.last_modified and not first.not_modified
    again = f.get(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)
    assert again.not_modified and again.body == b"" and again.requests == 1
    assert server.last_headers["/feed"]["if-modified-since"] == first.last_modified


def test_5xx_is_retried_with_backoff_then_reported(server: LoopbackServer) -> None:
    server.routes["/down"] = lambda h: send(h, 500, b"oops")
    waits: list[float] = []
    f = SafeFetcher(FetchPolicy(allow_hosts=frozenset({"localhost"}), retries=3, backoff=0.1), sleep=waits.append)
    with pytest.raises(HTTPStatusError) as e:
        f.get(server.url("/down"))
    assert e.value.status == 500 and server.hits["/down"] == 4
    assert len(waits) == 3 and waits[0] < waits[2]  # exponential, jitter within 0.5..1.5x
    assert 0.05 <= waits[0] <= 0.15 and 0.2 <= waits[2] <= 0.6


def test_a_transient_503_recovers_and_4xx_is_not_retried(server: LoopbackServer) -> None:
    calls = {"n": 0}

    def flaky(h: BaseHTTPRequestHandler) -> None:
        calls["n"] += 1
        send(h, 503 if calls["n"] == 1 else 200, b"ok")

    server.routes["/flaky"] = flaky
    server.routes["/gone"] = lambda h: send(h, 404, b"no")
    f = make_fetcher()
    r = f.get(server.url("/flaky"))
    assert r.body == b"ok" and r.requests == 2
    with pytest.raises(HTTPStatusError, match="404"):
        f.get(server.url("/gone"))
    assert server.hits["/gone"] == 1


def test_read_timeout_is_a_transport_error(server: LoopbackServer) -> None:
    server.routes["/hang"] = lambda h: time.sleep(1.5)
    f = make_fetcher(timeout=0.3, retries=1, deadline=5.0)
    with pytest.raises(TransportError, match="timed out"):
        f.get(server.url("/hang"))
    assert server.hits["/hang"] == 2  # timeouts are retried


def test_slow_drip_is_cut_at_the_deadline(server: LoopbackServer) -> None:
    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        for _ in range(1000):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)  # each byte well within the read timeout: only a total deadline helps

    server.routes["/drip"] = drip
    f = make_fetcher(timeout=1.0, deadline=0.8, retries=0)
    t0 = time.monotonic()
    with pytest.raises(DeadlineExceededError):
        f.get(server.url("/drip"))
    assert time.monotonic() - t0 < 2.0


def test_redirect_loop_and_too_many_hops(server: LoopbackServer) -> None:
    server.routes["/a"] = lambda h: send(h, 302, headers={"Location": "/b"})
    server.routes["/b"] = lambda h: send(h, 302, headers={"Location": "/a"})
    for i in range(10):
        server.routes[f"/hop{i}"] = lambda h, i=i: send(h, 301, headers={"Location": f"/hop{i + 1}"})
    f = make_fetcher(max_redirects=3)
    with pytest.raises(TooManyRedirectsError, match="loop"):
        f.get(server.url("/a"))
    with pytest.raises(TooManyRedirectsError, match="more than 3"):
        f.get(server.url("/hop0"))


def test_redirect_to_private_addresses_is_refused_hop_by_hop(server: LoopbackServer) -> None:
    server.routes["/to-ip"] = lambda h: send(h, 302, headers={"Location": server.url("/secret", "127.0.0.1")})
    server.routes["/to-10"] = lambda h: send(h, 302, headers={"Location": "http://10.0.0.1/admin"})
    server.routes["/to-meta"] = lambda h: send(h, 302, headers={"Location": "http://169.254.169.254/latest/"})
    server.routes["/secret"] = lambda h: send(h, 200, b"secret")
    f = make_fetcher()
    for path, addr in (("/to-ip", "127.0.0.1"), ("/to-10", "10.0.0.1"), ("/to-meta", "169.254.169.254")):
        with pytest.raises(BlockedAddressError, match=addr):
            f.get(server.url(path))
    assert server.hits["/secret"] == 0


def test_unlisted_loopback_host_is_refused_before_connecting(server: LoopbackServer) -> None:
    server.routes["/x"] = lambda h: send(h, 200, b"x")
    with pytest.raises(BlockedAddressError, match="non-public"):
        SafeFetcher(FetchPolicy()).get(server.url("/x"))
    assert server.hits["/x"] == 0


def test_dns_rebinding_style_mixed_answers_are_refused() -> None:
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    with pytest.raises(BlockedAddressError):
        check_address("evil.example", 80, frozenset(), resolver)
    assert check_address("ok.example", 80, frozenset(), lambda h, p: ["93.184.216.34"]) == ["93.184.216.34"]


@pytest.mark.parametrize(
    "addr",
    ["10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.2", "169.254.1.1", "100.64.0.1", "0.0.0.0",
     "224.0.0.251", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
     "::ffff:10.0.0.1", "::ffff:127.0.0.1", "2002:c0a8:0101::1", "64:ff9b::7f00:1"],
)  # fmt: skip
def test_non_public_addresses(addr: str) -> None:
    assert not is_public_address(ipaddress.ip_address(addr))


@pytest.mark.parametrize("addr", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses(addr: str) -> None:
    assert is_public_address(ipaddress.ip_address(addr))


def test_oversized_body_refused_with_and_without_length(server: LoopbackServer) -> None:
    big = b"x" * 300_000

    def chunked(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Transfer-Encoding", "chunked")
        h.end_headers()
        for _ in range(30):
            h.wfile.write(b"%x\r\n%s\r\n" % (10_000, b"y" * 10_000))
        h.wfile.write(b"0\r\n\r\n")

    server.routes["/big"] = lambda h: send(h, 200, big)
    server.routes["/chunked"] = chunked
    f = make_fetcher(max_bytes=100_000)
    with pytest.raises(BodyTooLargeError, match="300000 bytes"):
        f.get(server.url("/big"))
    with pytest.raises(BodyTooLargeError, match="larger than 100000"):
        f.get(server.url("/chunked"))


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_compression_bombs_are_refused(server: LoopbackServer, coding: str) -> None:
    import zlib

    raw = b"\0" * 8_000_000  # 1,000x the limit below once decompressed
    bomb = {"gzip": gzip.compress(raw), "deflate": zlib.compress(raw), "br": brotli.compress(raw, quality=5)}[coding]
    assert len(bomb) < 20_000
    server.routes["/bomb"] = lambda h: send(h, 200, bomb, headers={"Content-Encoding": coding})
    with pytest.raises(BodyTooLargeError, match="decompression"):
        make_fetcher(max_bytes=8_000).get(server.url("/bomb"))


def test_truncated_body_is_reported(server: LoopbackServer) -> None:
    def short(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Length", "1000")
        h.end_headers()
        h.wfile.write(b"only a little")
        h.close_connection = True

    server.routes["/short"] = short
    with pytest.raises(TransportError, match=r"before the whole body|IncompleteRead"):
        make_fetcher(retries=0).get(server.url("/short"))


def test_robots_txt_is_respected_and_cached(server: LoopbackServer) -> None:
    server.routes["/robots.txt"] = lambda h: send(h, 200, b"User-agent: *\nDisallow: /private\n")
    f = make_fetcher()
    assert f.allowed_by_robots(server.url("/news/1.html"))
    assert not f.allowed_by_robots(server.url("/private/x.html"))
    assert server.hits["/robots.txt"] == 1


def test_missing_robots_allows_and_failing_robots_disallows(server: LoopbackServer) -> None:
    f = make_fetcher()
    assert f.allowed_by_robots(server.url("/a"))  # 404: no rules
    with LoopbackServer() as other:
        other.routes["/robots.txt"] = lambda h: send(h, 500, b"")
        assert not f.allowed_by_robots(other.url("/a"))  # 5xx: assume complete disallow


TEXT = "北京市政府今天发布了关于交通管理的新规定，市民普遍表示欢迎，认为有利于缓解拥堵。"
BIG5_TEXT = "臺北市政府今天發布了關於交通管理的新規定，市民普遍表示歡迎，認為有利於緩解擁堵。"


@pytest.mark.parametrize(
    ("body", "declared", "encoding", "evidence", "text"),
    [
        (TEXT.encode("gbk"), "gb2312", "gb18030", "http", TEXT),
        (TEXT.encode("gbk"), None, "gb18030", "detected", TEXT),
        (TEXT.encode("gbk"), "utf-8", "gb18030", "detected", TEXT),  # wrong header: fails strictly
        (TEXT.encode("gbk"), "iso-8859-1", "gb18030", "detected", TEXT),  # default Tomcat header
        (TEXT.encode("utf-8"), "gbk", "utf-8", "utf-8", TEXT),  # wrong header, valid UTF-8
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "gbk", "utf-8", "bom", TEXT),
        (TEXT.encode("utf-16"), None, "utf-16-le", "bom", TEXT),
        (BIG5_TEXT.encode("big5"), None, "big5hkscs", "detected", BIG5_TEXT),
        (BIG5_TEXT.encode("big5"), "big5", "big5hkscs", "http", BIG5_TEXT),
        (b'<?xml version="1.0" encoding="GBK"?><a>' + TEXT.encode("gbk") + b"</a>", None, "gb18030",
         "declaration", None),
        (b'<html><head><meta charset="big5"></head>' + BIG5_TEXT.encode("big5"), None, "big5hkscs",
         "declaration", None),
        ("𠀀 GB18030 四字节".encode("gb18030"), "gb2312", "gb18030", "http", "𠀀 GB18030 四字节"),
    ],
)  # fmt: skip
def test_encoding_detection(body: bytes, declared: str | None, encoding: str, evidence: str, text: str | None) -> None:
    d = decode_bytes(body, declared)
    assert (d.encoding, d.evidence) == (encoding, evidence)
    assert text is None or d.text == text
    assert TEXT[:4] in d.text or BIG5_TEXT[:4] in d.text or "四字节" in d.text
