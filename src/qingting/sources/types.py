"""What every connector returns: frozen dataclasses, a ``SourceError`` hierarchy, one Protocol.

A connector turns the outside world into :class:`FetchedItem` values with an ``external_id``
that is stable for its source (the web layer makes ``(source, external_id)`` unique, which is
what makes re-polling idempotent). Faults never raise out of :meth:`Connector.fetch`: they are
recorded as :class:`FetchError` entries in the :class:`FetchResult`, next to every valid item
that could still be read.

Author handles are pseudonymised at the connector boundary with :func:`pseudonymise` (a keyed
HMAC-SHA256): the handle itself never leaves the connector.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, runtime_checkable

__all__ = [
    "Attachment",
    "BlockedAddressError",
    "BodyTooLargeError",
    "Connector",
    "DeadlineExceededError",
    "FetchError",
    "FetchResult",
    "FetchState",
    "FetchedItem",
    "HTTPStatusError",
    "MessageRefusedError",
    "ParseError",
    "RobotsDisallowedError",
    "SourceError",
    "TooManyRedirectsError",
    "TransportError",
    "pseudonymise",
]


def pseudonymise(handle: str, key: bytes) -> str:
    """A stable, non-reversible pseudonym for an author handle: hex HMAC-SHA256 keyed by ``key``.

    The handle is stripped and case-folded first, so ``Alice@Example.org`` and ``alice@example.org``
    are the same person. Without the key the pseudonym cannot be linked back to the handle.

    >>> pseudonymise("Alice@Example.org", b"k") == pseudonymise("alice@example.org ", b"k")
    True
    >>> len(pseudonymise("x", b"k"))
    32
    """
    if not key:
        raise ValueError("pseudonymise: an empty key would make pseudonyms reversible by guessing")
    digest = hmac.new(key, handle.strip().casefold().encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:32]  # 128 bits: collision-free in practice, shorter in the database


@dataclass(frozen=True, slots=True)
class Attachment:
    """An attachment as recorded: never opened, never executed — only its name, type and size."""

    name: str
    content_type: str
    size: int


@dataclass(frozen=True, slots=True)
class FetchedItem:
    """One item as a connector delivers it, before the platform stores it.

    ``external_id`` is stable per source (a feed entry's id, an article's URL, a mail's UID under
    its UIDVALIDITY, a file record's id). ``published_at`` is unix seconds or ``None`` when the
    source does not say. ``author_pseudonym`` is :func:`pseudonymise` of the handle, or ``""``.
    """

    external_id: str
    url: str = ""
    title: str = ""
    text: str = ""
    published_at: float | None = None
    author_pseudonym: str = ""
    engagement: int = 0
    lang: str | None = None
    attachments: tuple[Attachment, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)

    def as_record(self) -> dict[str, Any]:
        """The mapping the platform's ingestion service takes (``monitoring.services.ingest_items``).

        The author goes as ``author_pseudonym``: it is already keyed here, the handle is gone.
        """
        return {
            "external_id": self.external_id,
            "text": self.text or self.title,
            "title": self.title,
            "url": self.url,
            "published_at": self.published_at,
            "author_pseudonym": self.author_pseudonym,
            "engagement": self.engagement,
            "lang": self.lang,
            "attachments": [{"name": a.name, "content_type": a.content_type, "size": a.size} for a in self.attachments],
        }


@dataclass(frozen=True, slots=True)
class FetchError:
    """A fault recorded during a fetch: ``what`` went wrong, ``where`` (a URL, a UID, a line)."""

    what: str
    where: str
    kind: str = "error"  # the SourceError class name, for grouping in the UI

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


@dataclass(frozen=True, slots=True)
class FetchState:
    """What a connector remembers between polls (the web layer stores it on the source).

    ``etag`` and ``last_modified`` drive the conditional GET; ``cursor`` is connector-specific
    (the IMAP connector stores ``"<uidvalidity>:<last uid>"``).
    """

    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class FetchResult:
    """Everything one poll produced.

    ``not_modified`` is true when the server answered 304 to a conditional request: nothing is to
    be stored. ``state`` is what to remember for the next poll.
    """

    items: tuple[FetchedItem, ...] = ()
    errors: tuple[FetchError, ...] = ()
    http_status: int | None = None
    encoding: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    cursor: str | None = None
    requests: int = 0  # HTTP requests (or IMAP fetches) this poll made, for politeness accounting
    failed: bool = False  # the poll as a whole failed (nothing could be read); health counts these

    @property
    def state(self) -> FetchState:
        """The state to pass to the next :meth:`Connector.fetch`."""
        return FetchState(etag=self.etag, last_modified=self.last_modified, cursor=self.cursor)

    def with_errors(self, *errors: FetchError) -> FetchResult:
        """A copy with more errors recorded."""
        return replace(self, errors=self.errors + errors)


@runtime_checkable
class Connector(Protocol):
    """One source: ``fetch(state)`` polls it once and never raises for faults of the outside world."""

    def fetch(self, state: FetchState) -> FetchResult:
        """Poll once, conditional on ``state``; record faults in the result instead of raising."""
        ...


class SourceError(Exception):
    """Base of every fault a source can produce; ``where`` names the URL, UID or record."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.where = where

    def __str__(self) -> str:
        return f"{self.message} ({self.where})" if self.where else self.message

    def as_error(self) -> FetchError:
        """This fault as a recorded :class:`FetchError`."""
        return FetchError(what=self.message, where=self.where, kind=type(self).__name__)


class BlockedAddressError(SourceError):
    """The host resolves to a private, loopback, link-local, multicast or reserved address."""


class TooManyRedirectsError(SourceError):
    """More redirects than allowed, or a redirect loop."""


class BodyTooLargeError(SourceError):
    """The body (compressed or decompressed) is larger than the configured limit."""


class DeadlineExceededError(SourceError):
    """The whole request took longer than its total deadline (e.g. a slow-drip server)."""


class TransportError(SourceError):
    """The connection failed or timed out (after retries)."""


class HTTPStatusError(SourceError):
    """The server answered with an error status (after retries for 5xx)."""

    def __init__(self, message: str, where: str = "", status: int = 0) -> None:
        super().__init__(message, where)
        self.status = status


class RobotsDisallowedError(SourceError):
    """robots.txt of the host forbids our user agent to fetch this page."""


class ParseError(SourceError):
    """The content could not be parsed (malformed XML, broken MIME, bad record)."""


class MessageRefusedError(SourceError):
    """A message was refused before parsing (too large, too many parts)."""
