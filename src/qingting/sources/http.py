"""The one HTTP client every connector uses: safe by default, polite, bounded.

* **Addresses** — the host is resolved and every address must be public: private, loopback,
  link-local, multicast, reserved, shared (CGNAT) and unspecified addresses are refused, for IPv4
  and IPv6, including IPv4 embedded in IPv6 (mapped, 6to4, NAT64). An admin allow-lists a host
  by name (``allow_hosts``) to reach it anyway. Redirects are re-checked hop by hop.
* **No DNS rebinding** — we connect to the address we checked (TLS still verifies the host name
  through SNI), so a second resolution cannot swap in a private address.
* **Bounded** — a total deadline per request (a watchdog shuts the socket, which defeats a
  slow-drip server), a per-read timeout, a maximum body size counted on the wire and again
  after gzip/deflate/br decompression (gzip-bomb protection), at most ``max_redirects`` hops.
* **Polite** — a clear User-Agent, conditional GET (``If-None-Match``/``If-Modified-Since``; a
  304 stores nothing), retries with exponential backoff and jitter for 5xx and transport faults
  only, and robots.txt (RFC 9309) for page crawling, cached per host.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import socket
import ssl
import threading
import time
import urllib.robotparser
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import brotli

from qingting import __version__, outbound
from qingting.outbound import is_public_address
from qingting.outbound import system_resolver as _system_resolver
from qingting.sources.types import (
    BlockedAddressError,
    BodyTooLargeError,
    DeadlineExceededError,
    HTTPStatusError,
    SourceError,
    TooManyRedirectsError,
    TransportError,
)

__all__ = [
    "DEFAULT_USER_AGENT",
    "FetchPolicy",
    "HttpResponse",
    "RobotsCache",
    "SafeFetcher",
    "check_address",
    "is_public_address",
]

DEFAULT_USER_AGENT = f"Qingting/{__version__} (public-opinion listening; +https://github.com/qingting)"
_REDIRECTS = (301, 302, 303, 307, 308)
_CHUNK = 64 * 1024

Resolver = Callable[[str, int], list[str]]


@dataclass(frozen=True, slots=True)
class FetchPolicy:
    """Limits and manners for one source's requests; defaults suit feeds and news pages."""

    allow_hosts: frozenset[str] = frozenset()  # host names (or IP literals) exempt from the address check
    max_bytes: int = 5 * 1024 * 1024  # on the wire and after decompression
    max_redirects: int = 5
    timeout: float = 10.0  # per connect / read
    deadline: float = 30.0  # whole request, redirects and retries included
    retries: int = 2  # extra attempts for 5xx and transport faults
    backoff: float = 0.5  # first retry waits about this long, then doubles (with jitter)
    max_backoff: float = 8.0
    user_agent: str = DEFAULT_USER_AGENT
    verify_tls: bool = True
    ca_file: str | None = None  # extra CA certificates (an intranet CA), added to the system ones

    def __post_init__(self) -> None:
        if self.max_bytes <= 0 or self.deadline <= 0 or self.timeout <= 0:
            raise ValueError("FetchPolicy: max_bytes, deadline and timeout must be positive")
        if self.max_redirects < 0 or self.retries < 0:
            raise ValueError("FetchPolicy: max_redirects and retries must be >= 0")
        object.__setattr__(self, "allow_hosts", frozenset(h.strip().lower() for h in self.allow_hosts))


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """A completed request: final URL, status, lower-cased headers and the (decompressed) body."""

    url: str
    status: int
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    requests: int = 1  # attempts made, redirects and retries included

    @property
    def not_modified(self) -> bool:
        """The server answered 304 to our conditional request."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def charset(self) -> str | None:
        """The ``charset`` parameter of Content-Type, if any."""
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = part.partition("=")
            if key.strip().lower() == "charset":
                return value.strip().strip("\"'") or None
        return None


def check_address(
    host: str, port: int, allow_hosts: frozenset[str], resolver: Resolver = _system_resolver, where: str = ""
) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing non-public ones unless allow-listed.

    The shared outbound policy (:func:`qingting.outbound.check_address`), its refusals as the
    source errors connectors report: :class:`BlockedAddressError`, or :class:`TransportError` for a
    name that does not resolve.
    """
    try:
        return outbound.check_address(host, port, allow_hosts, resolver, where or host)
    except outbound.BlockedAddress as e:
        raise BlockedAddressError(e.message, e.where) from None
    except outbound.OutboundRefused as e:
        raise TransportError(e.message, e.where) from None


class _Decompressor:
    """Streams Content-Encoding away, never producing more than ``limit`` bytes."""

    def __init__(self, coding: str, limit: int, where: str) -> None:
        self.coding = coding
        self.limit = limit
        self.where = where
        self.out = bytearray()
        self._z: Any = None
        self._br: Any = None
        if coding in ("gzip", "x-gzip"):
            self._z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self._z = None  # zlib-wrapped or raw: decided on the first bytes
        elif coding == "br":
            self._br = brotli.Decompressor()
        elif coding not in ("", "identity"):
            raise SourceError(f"unsupported Content-Encoding {coding!r}", where)

    def _room(self) -> int:
        return self.limit - len(self.out) + 1  # one byte more than allowed reveals an overflow

    def _emit(self, data: bytes) -> None:
        self.out += data
        if len(self.out) > self.limit:
            raise BodyTooLargeError(
                f"body larger than {self.limit} bytes after {self.coding} decompression (refused)",
                self.where,
            )

    def feed(self, data: bytes) -> None:
        if self.coding == "deflate" and self._z is None:
            # RFC 9110 says zlib-wrapped; some servers send raw deflate.
            self._z = zlib.decompressobj() if data[:1] == b"\x78" else zlib.decompressobj(-zlib.MAX_WBITS)
        try:
            if self._z is not None:
                buf = data
                while True:
                    self._emit(self._z.decompress(buf, self._room()))
                    buf = self._z.unconsumed_tail
                    if not buf:
                        break
            elif self._br is not None:
                self._emit(self._br.process(data, output_buffer_limit=self._room()))
                while not self._br.can_accept_more_data():
                    self._emit(self._br.process(b"", output_buffer_limit=self._room()))
            else:
                self._emit(data)
        except (zlib.error, brotli.error) as e:
            raise SourceError(f"corrupt {self.coding} body: {e}", self.where) from None

    def finish(self) -> bytes:
        if self._z is not None:
            self._emit(self._z.flush())
        return bytes(self.out)


_PinnedConnection = outbound.PinnedHTTPConnection


class SafeFetcher:
    """Fetch URLs under a :class:`FetchPolicy`; raises :class:`SourceError` subclasses.

    ``resolver``, ``sleep`` and ``rng`` are parameters so tests can pin DNS and skip the waits.

    >>> try:
    ...     SafeFetcher(FetchPolicy()).get("http://127.0.0.1:9/")
    ... except BlockedAddressError as e:
    ...     print(e.message.split(" (")[0])
    refused: 127.0.0.1 resolves to the non-public address 127.0.0.1
    """

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        resolver: Resolver = _system_resolver,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.resolver = resolver
        self.sleep = sleep
        self.rng = rng or random.Random()
        self._tls = ssl.create_default_context()
        if self.policy.ca_file:
            self._tls.load_verify_locations(cafile=self.policy.ca_file)
        if not self.policy.verify_tls:
            self._tls.check_hostname = False
            self._tls.verify_mode = ssl.CERT_NONE
        self.robots = RobotsCache(self)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = "*/*",
    ) -> HttpResponse:
        """GET ``url`` following safe redirects; a 304 to the conditional headers is returned as is.

        Raises :class:`HTTPStatusError` for 4xx (and 5xx after retries), and the other
        :class:`SourceError` subclasses for refused addresses, limits and transport faults.
        """
        p = self.policy
        start = time.monotonic()
        deadline = start + p.deadline
        headers = {"User-Agent": p.user_agent, "Accept": accept, "Accept-Encoding": "gzip, deflate, br"}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        requests = 0
        seen = {url}
        current = url
        for _hop in range(p.max_redirects + 1):
            try:
                status, resp_headers, body, n = self._with_retries(current, headers, deadline)
            except SourceError as e:
                if current != url:  # say which configured URL led there
                    e.message += f"; reached by a redirect from {url}"
                raise
            requests += n
            if status in _REDIRECTS and "location" in resp_headers:
                nxt = urljoin(current, resp_headers["location"])
                if nxt in seen:
                    raise TooManyRedirectsError(f"redirect loop back to {nxt}", url)
                seen.add(nxt)
                current = nxt
                # Conditional headers belong to the URL we asked for, not where it moved to.
                headers.pop("If-None-Match", None)
                headers.pop("If-Modified-Since", None)
                continue
            if status >= 400:
                raise HTTPStatusError(f"HTTP {status} {http.client.responses.get(status, '')}".strip(), current, status)
            return HttpResponse(current, status, resp_headers, body, requests)
        raise TooManyRedirectsError(f"more than {p.max_redirects} redirects", url)

    def _with_retries(
        self, url: str, headers: dict[str, str], deadline: float
    ) -> tuple[int, dict[str, str], bytes, int]:
        p = self.policy
        attempt = 0
        while True:
            attempt += 1
            try:
                status, resp_headers, body = self._once(url, headers, deadline)
            except TransportError:
                if attempt > p.retries or not self._backoff(attempt, deadline):
                    raise
                continue
            if 500 <= status < 600 and attempt <= p.retries and self._backoff(attempt, deadline):
                continue
            return status, resp_headers, body, attempt

    def _backoff(self, attempt: int, deadline: float) -> bool:
        """Sleep before retry ``attempt``; False when the wait would overrun the deadline."""
        p = self.policy
        wait = min(p.max_backoff, p.backoff * 2 ** (attempt - 1)) * self.rng.uniform(0.5, 1.5)
        if time.monotonic() + wait >= deadline:
            return False
        self.sleep(wait)
        return True

    def _once(self, url: str, headers: dict[str, str], deadline: float) -> tuple[int, dict[str, str], bytes]:
        p = self.policy
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise SourceError(f"unsupported URL scheme {scheme!r} (only http and https)", url)
        host = (parts.hostname or "").lower()
        if not host:
            raise SourceError("URL has no host", url)
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise SourceError("URL has an invalid port", url) from None
        addresses = check_address(host, port, p.allow_hosts, self.resolver, url)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeadlineExceededError(f"deadline of {p.deadline:g} s exceeded", url)
        conn = _PinnedConnection(
            addresses, port, min(p.timeout, remaining), host if scheme == "https" else None, self._tls
        )
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        if ":" in host and not host.startswith("["):
            host_header = f"[{host}]" if parts.port is None else f"[{host}]:{parts.port}"
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        expired = threading.Event()

        def watchdog() -> None:
            # Shutting the socket down wakes a blocked recv: the only way to bound a slow drip.
            expired.set()
            sock = conn.sock
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        timer = threading.Timer(remaining, watchdog)
        timer.daemon = True
        timer.start()
        try:
            conn.request("GET", path, headers={"Host": host_header, **headers})
            resp = conn.getresponse()
            resp_headers = {k.lower(): v for k, v in resp.getheaders()}
            if resp.status in _REDIRECTS or resp.status == 304 or resp.status >= 400:
                return resp.status, resp_headers, b""
            length = resp_headers.get("content-length", "")
            if length.isdigit() and int(length) > p.max_bytes:
                raise BodyTooLargeError(f"body of {int(length)} bytes exceeds the limit of {p.max_bytes}", url)
            coding = resp_headers.get("content-encoding", "").strip().lower()
            decoder = _Decompressor(coding, p.max_bytes, url)
            wire = 0
            while True:
                if conn.sock is not None:
                    conn.sock.settimeout(max(0.01, min(p.timeout, deadline - time.monotonic())))
                chunk = resp.read1(_CHUNK)
                if not chunk:
                    break
                wire += len(chunk)
                if wire > p.max_bytes:
                    raise BodyTooLargeError(f"body larger than {p.max_bytes} bytes (refused)", url)
                decoder.feed(chunk)
            if resp.length not in (None, 0) and not expired.is_set():
                raise TransportError("connection closed before the whole body arrived", url)
            if expired.is_set():
                raise DeadlineExceededError(f"deadline of {p.deadline:g} s exceeded while reading", url)
            return resp.status, resp_headers, decoder.finish()
        except SourceError:
            raise
        except ssl.SSLCertVerificationError as e:
            # A certificate problem does not go away by retrying: report it at once.
            raise SourceError(f"TLS certificate rejected: {e.verify_message or e}", url) from None
        except (OSError, http.client.HTTPException, ValueError) as e:
            if expired.is_set() or time.monotonic() >= deadline:
                raise DeadlineExceededError(f"deadline of {p.deadline:g} s exceeded", url) from None
            what = "timed out" if isinstance(e, TimeoutError | socket.timeout) else f"{type(e).__name__}: {e}"
            raise TransportError(f"connection failed: {what}", url) from None
        finally:
            timer.cancel()
            conn.close()

    def allowed_by_robots(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets our user agent fetch it (cached per host)."""
        return self.robots.allowed(url)


class RobotsCache:
    """robots.txt per ``scheme://host:port``, fetched through the same safe fetcher (RFC 9309).

    A missing robots.txt (4xx) allows everything; an unreachable one (5xx, network fault)
    disallows everything until it can be read — the RFC's "assume complete disallow".
    """

    def __init__(self, fetcher: SafeFetcher, ttl: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.fetcher = fetcher
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, urllib.robotparser.RobotFileParser | bool]] = {}
        self._lock = threading.Lock()

    def _rules(self, url: str) -> urllib.robotparser.RobotFileParser | bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}".lower()
        with self._lock:
            cached = self._cache.get(origin)
        if cached is not None and self.clock() - cached[0] <= self.ttl:
            return cached[1]
        rules = self._load(origin)
        with self._lock:
            self._cache[origin] = (self.clock(), rules)
        return rules

    def allowed(self, url: str) -> bool:
        """Whether our user agent may fetch ``url``."""
        rules = self._rules(url)
        if isinstance(rules, bool):
            return rules
        return rules.can_fetch(self.fetcher.policy.user_agent, url)

    def crawl_delay(self, url: str) -> float:
        """The host's ``Crawl-delay`` for our user agent in seconds (0 when it sets none)."""
        rules = self._rules(url)
        if isinstance(rules, bool):
            return 0.0
        delay = rules.crawl_delay(self.fetcher.policy.user_agent)
        return float(delay) if delay else 0.0

    def _load(self, origin: str) -> urllib.robotparser.RobotFileParser | bool:
        try:
            resp = self.fetcher.get(origin + "/robots.txt", accept="text/plain")
        except HTTPStatusError as e:
            return 400 <= e.status < 500
        except SourceError:
            return False
        parser = urllib.robotparser.RobotFileParser()
        parser.parse(resp.body.decode("utf-8", errors="replace").splitlines())
        return parser
