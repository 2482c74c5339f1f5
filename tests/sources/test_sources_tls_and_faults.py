"""HTTPS to a pinned address with the real host name verified; connector-level fault handling."""

from __future__ import annotations

import gzip
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from _loopback import LoopbackServer, make_fetcher, send

from qingting.sources.http import FetchPolicy, SafeFetcher
from qingting.sources.rss import RssConnector
from qingting.sources.types import FetchState, SourceError, TransportError


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    d = tmp_path_factory.mktemp("tls")
    cert, key = d / "cert.pem", d / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            send(self, 200, f"host={self.headers['Host']}".encode())

        def log_message(self, *a: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True).start()
    yield httpd.server_address[1], cert
    httpd.shutdown()


def test_https_verifies_the_host_name_while_connecting_to_the_checked_address(tls_server: tuple[int, Path]) -> None:
    port, cert = tls_server
    allow = frozenset({"localhost"})
    ok = SafeFetcher(FetchPolicy(allow_hosts=allow, ca_file=str(cert), retries=0))
    assert ok.get(f"https://localhost:{port}/x").body == f"host=localhost:{port}".encode()
    untrusted = SafeFetcher(FetchPolicy(allow_hosts=allow, retries=2), sleep=lambda s: None)
    with pytest.raises(SourceError, match=r"TLS certificate rejected: self.signed") as e:
        untrusted.get(f"https://localhost:{port}/x")
    assert not isinstance(e.value, TransportError)  # not retried: retrying cannot fix a certificate
    # Reached by another name (the certificate says localhost): refused even with the CA trusted.
    other = SafeFetcher(
        FetchPolicy(allow_hosts=frozenset({"feeds.test"}), ca_file=str(cert), retries=0),
        resolver=lambda host, p: ["127.0.0.1"],
    )
    with pytest.raises(SourceError, match="TLS certificate rejected: Hostname mismatch"):
        other.get(f"https://feeds.test:{port}/x")


def _drip(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Length", "100000")
    h.end_headers()
    for _ in range(100):
        h.wfile.write(b"<")
        h.wfile.flush()
        time.sleep(0.05)


def _header_drip(h: BaseHTTPRequestHandler) -> None:
    h.wfile.write(b"HTTP/1.1 200 OK\r\n")
    for _ in range(100):  # a header line that never ends, one byte at a time
        h.wfile.write(b"X")
        h.wfile.flush()
        time.sleep(0.05)


FAULTS = {
    "header-drip": (_header_drip, "DeadlineExceededError"),
    "timeout": (lambda h: time.sleep(1.0), "TransportError"),
    "500": (lambda h: send(h, 500, b"boom"), "HTTPStatusError"),
    "redirect-loop": (lambda h: send(h, 302, headers={"Location": "/feed"}), "TooManyRedirectsError"),
    "to-private": (lambda h: send(h, 302, headers={"Location": "http://10.1.2.3/feed"}), "BlockedAddressError"),
    "slow-drip": (_drip, "DeadlineExceededError"),
    "oversized": (lambda h: send(h, 200, b"<rss>" + b" " * 300_000), "BodyTooLargeError"),
    "gzip-bomb": (
        lambda h: send(h, 200, gzip.compress(b"<rss>" + b"\0" * 5_000_000), headers={"Content-Encoding": "gzip"}),
        "BodyTooLargeError",
    ),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_each_fault_is_a_recorded_error_and_keeps_the_state(server: LoopbackServer, fault: str) -> None:
    handler, kind = FAULTS[fault]
    server.routes["/feed"] = handler
    fetcher = make_fetcher(timeout=0.3, deadline=0.8, retries=1, max_bytes=200_000)
    state = FetchState(etag='"v7"', last_modified="Sun, 22 Nov 2026 10:00:00 GMT")
    r = RssConnector(server.url("/feed"), key=b"k", fetcher=fetcher).fetch(state)
    assert r.failed and r.items == () and r.state == state
    (err,) = r.errors
    assert err.kind == kind and err.what
    if fault == "to-private":
        assert err.where == "http://10.1.2.3/feed" and f"redirect from {server.url('/feed')}" in err.what
    else:
        assert err.where == server.url("/feed")


def test_sources_never_import_django() -> None:
    code = (
        "import sys, qingting.sources, qingting.sources.cli, qingting.sources.http, qingting.sources.rss, "
        "qingting.sources.pages, qingting.sources.files, qingting.sources.imap, qingting.sources.push, "
        "qingting.sources.schedule; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django' "
        "or m.startswith('qingting.web')))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip() == "[]"
