"""The one policy for connections Qingting opens on someone's configuration (decision 0070).

Sources (feeds, pages, the IMAP mailbox) and notification channels (webhook, WeCom, DingTalk,
Feishu, Slack, SMTP) all connect to hosts that an admin typed in. Whatever the kind, the same rule
holds: the host is resolved and **every** address must be public — private, loopback, link-local,
multicast, reserved, shared (CGNAT) and unspecified addresses are refused, IPv4 embedded in IPv6
unwrapped — unless the host is on the deployment's explicit allow-list. We then connect to the
address we checked, so a second DNS answer cannot swap in a private one (no rebinding).

The check runs twice: when the configuration is saved (:func:`check_url`, :func:`check_host`: a
clear error in the form or the API) and again on every connection (:func:`check_address`: DNS may
have changed since). Pure Python, no Django: ``sources`` and ``notify`` both import it.

>>> try:
...     check_url("http://169.254.169.254/latest/meta-data", frozenset())
... except OutboundRefused as e:
...     print(e)
refused: 169.254.169.254 resolves to the non-public address 169.254.169.254 (allow-list the host to reach it)
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

__all__ = [
    "BlockedAddress",
    "OutboundRefused",
    "PinnedHTTPConnection",
    "Resolver",
    "Unresolvable",
    "check_address",
    "check_host",
    "check_url",
    "connect_pinned",
    "is_public_address",
    "normalise_hosts",
    "post",
    "system_resolver",
]

Resolver = Callable[[str, int], list[str]]


class OutboundRefused(Exception):
    """A connection the policy does not allow (or a configuration that cannot be connected to)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where


class BlockedAddress(OutboundRefused):
    """The host resolves to a non-public address and is not allow-listed."""


class Unresolvable(OutboundRefused):
    """The host name has no address (now): a send fails and may be retried; a save is not refused."""


def normalise_hosts(hosts: Iterable[str]) -> frozenset[str]:
    """Allow-list entries compared as the checks compare them: stripped, lower case, no brackets."""
    return frozenset(h.strip().lower().strip("[]") for h in hosts if h and h.strip())


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True when ``ip`` is a globally routable unicast address (IPv4 embedded in IPv6 unwrapped).

    >>> is_public_address(ipaddress.ip_address("8.8.8.8"))
    True
    >>> any(is_public_address(ipaddress.ip_address(a)) for a in
    ...     ["127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "fe80::1",
    ...      "100.64.0.1", "224.0.0.1", "0.0.0.0", "2002:7f00:1::", "64:ff9b::a00:1", "fc00::1"])
    False
    """
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:  # ::ffff:a.b.c.d is that IPv4 host, no more, no less
            return is_public_address(ip.ipv4_mapped)
        embedded = ip.sixtofour
        if embedded is None and ip in ipaddress.IPv6Network("64:ff9b::/96"):
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is None and ip.teredo is not None:
            embedded = ip.teredo[1]
        if embedded is not None and not is_public_address(embedded):
            return False
    return bool(
        ip.is_global
        and not (ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local)
        and not (ip.is_reserved or ip.is_unspecified)
    )


def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to now, in the resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0])
        if addr not in seen:
            seen.append(addr)
    return seen


def check_address(
    host: str, port: int, allow_hosts: frozenset[str], resolver: Resolver = system_resolver, where: str = ""
) -> list[str]:
    """Resolve ``host`` and return its addresses, refusing non-public ones unless allow-listed.

    Every address must pass: a name that resolves to one public and one private address is refused
    (an attacker controls which one a later connect would pick). Raises :class:`BlockedAddress` or
    :class:`Unresolvable`.
    """
    where = where or host
    host = host.strip().lower().strip("[]")
    try:
        addresses = resolver(host, port)
    except (OSError, UnicodeError) as e:
        raise Unresolvable(f"cannot resolve host {host!r}: {e}", where) from None
    if not addresses:
        raise Unresolvable(f"host {host!r} has no address", where)
    if host in allow_hosts:
        return addresses
    for a in addresses:
        ip = ipaddress.ip_address(a.split("%", 1)[0])
        if not is_public_address(ip):
            raise BlockedAddress(
                f"refused: {host} resolves to the non-public address {ip} (allow-list the host to reach it)",
                where,
            )
    return addresses


def _split_url(url: str) -> tuple[str, str, int]:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise OutboundRefused(f"unsupported URL scheme {scheme!r} (only http and https)", url)
    host = (parts.hostname or "").lower()
    if not host:
        raise OutboundRefused("the URL has no host", url)
    if parts.username or parts.password:
        raise OutboundRefused("the URL carries a user name or password; put secrets in the secret field", url)
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise OutboundRefused("the URL has an invalid port", url) from None
    return scheme, host, port


def check_host(host: str, port: int, allow_hosts: frozenset[str], resolver: Resolver = system_resolver) -> None:
    """Save-time check of a host and port: refused when it resolves to a non-public address.

    A name that does not resolve *now* passes (the machine saving it may not see the DNS the
    server will use); the check on every connection still applies.
    """
    if not 0 < int(port) < 65536:
        raise OutboundRefused(f"port {port} is not a number from 1 to 65535", f"{host}:{port}")
    if not host.strip():
        raise OutboundRefused("no host given", "")
    with contextlib.suppress(Unresolvable):
        check_address(host, int(port), allow_hosts, resolver, f"{host}:{port}")


def check_url(url: str, allow_hosts: frozenset[str], resolver: Resolver = system_resolver) -> None:
    """Save-time check of an http(s) URL: scheme, host, port, and :func:`check_host` on the host."""
    _scheme, host, port = _split_url(url)
    with contextlib.suppress(Unresolvable):
        check_address(host, port, allow_hosts, resolver, url)


def connect_pinned(ips: list[str], port: int, timeout: float) -> socket.socket:
    """A TCP connection to the first of the checked ``ips`` that answers (IPv6 may be unreachable)."""
    last: OSError | None = None
    for ip in ips:
        try:
            return socket.create_connection((ip, port), timeout)
        except OSError as e:
            last = e
    raise last or OSError("no address to connect to")


class PinnedHTTPConnection(http.client.HTTPConnection):
    """An HTTP(S) connection to already-checked IP addresses; TLS verifies the real host name."""

    def __init__(
        self, ips: list[str], port: int, timeout: float, tls_host: str | None, context: ssl.SSLContext
    ) -> None:
        super().__init__(ips[0], port, timeout=timeout)
        self._ips = ips
        self._tls_host = tls_host
        self._context = context

    def connect(self) -> None:
        sock = connect_pinned(self._ips, self.port, self.timeout)  # type: ignore[arg-type]
        if self._tls_host is not None:
            sock = self._context.wrap_socket(sock, server_hostname=self._tls_host)
        self.sock = sock


def host_header(host: str, port: int, explicit_port: bool) -> str:
    """The ``Host`` header for ``host`` (IPv6 literals bracketed)."""
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if explicit_port else shown


def post(
    url: str,
    body: bytes,
    *,
    headers: Mapping[str, str],
    allow_hosts: frozenset[str],
    timeout: float,
    max_answer: int,
    resolver: Resolver = system_resolver,
) -> tuple[int, str, bytes]:
    """POST ``body`` to ``url`` under the policy; returns (status, reason, the start of the answer).

    Redirects are not followed (a 3xx is returned as it is: a receiver that moves should be
    reconfigured, and a redirect is a classic way round an address check). Raises
    :class:`OutboundRefused` for a refused or malformed URL and ``OSError`` /
    ``http.client.HTTPException`` for transport faults.
    """
    scheme, host, port = _split_url(url)
    addresses = check_address(host, port, allow_hosts, resolver, url)
    parts = urlsplit(url.strip())
    context = ssl.create_default_context()
    conn = PinnedHTTPConnection(addresses, port, timeout, host if scheme == "https" else None, context)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "POST",
            path,
            body=body,
            headers={"Host": host_header(host, port, parts.port is not None), **headers},
        )
        resp = conn.getresponse()
        answer = resp.read(max_answer)
        return resp.status, resp.reason, answer
    finally:
        conn.close()
