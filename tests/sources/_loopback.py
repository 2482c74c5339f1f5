"""A real HTTP server on loopback with scriptable routes, and a fetcher allow-listed for it."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from qingting.sources.http import FetchPolicy, SafeFetcher

Handler = Callable[[BaseHTTPRequestHandler], None]
TEST_HOST = "localhost"  # allow-listed in tests; 127.0.0.1 written as an IP literal is not


class LoopbackServer:
    """``routes[path] = handler``; ``hits[path]`` counts requests; ``last_headers[path]`` keeps headers."""

    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.last_headers: dict[str, dict[str, str]] = {}
        server = self

        class _H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                path = self.path
                server.hits[path] += 1
                server.last_headers[path] = {k.lower(): v for k, v in self.headers.items()}
                handler = server.routes.get(path)
                if handler is None:
                    send(self, 404, b"not found")
                    return
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    handler(self)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _H)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> LoopbackServer:
        """Serve until the ``with`` block ends: ``with LoopbackServer() as server: ...``."""
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def url(self, path: str, host: str = TEST_HOST) -> str:
        return f"http://{host}:{self.port}{path}"


def send(
    h: BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    ctype: str = "text/plain",
    headers: dict[str, str] | None = None,
) -> None:
    """Answer with ``status``, ``body`` and a correct Content-Length."""
    h.send_response(status)
    h.send_header("Content-Type", ctype)
    h.send_header("Content-Length", str(len(body)))
    for k, v in (headers or {}).items():
        h.send_header(k, v)
    h.end_headers()
    h.wfile.write(body)


def make_fetcher(**overrides: object) -> SafeFetcher:
    """A fetcher allow-listed for the test host, with short limits and no real backoff sleeps."""
    kw: dict[str, object] = {
        "allow_hosts": frozenset({TEST_HOST}),
        "timeout": 2.0,
        "deadline": 5.0,
        "retries": 2,
        "backoff": 0.01,
    }
    kw.update(overrides)
    return SafeFetcher(FetchPolicy(**kw), sleep=lambda s: None)  # type: ignore[arg-type]
