"""Sources (来源): connectors that turn feeds, pages, files, the public mailbox and pushes into items.

Every connector implements :class:`~qingting.sources.types.Connector` (``fetch(state) ->
FetchResult``) and uses :class:`~qingting.sources.http.SafeFetcher` for HTTP. Modules:

- :mod:`~qingting.sources.types` — ``FetchedItem``, ``FetchResult``, ``FetchState``, errors;
- :mod:`~qingting.sources.http` and :mod:`~qingting.sources.encoding` — the safe fetcher, decoding;
- :mod:`~qingting.sources.rss`, :mod:`~qingting.sources.pages`, :mod:`~qingting.sources.files`,
  :mod:`~qingting.sources.imap` (with :mod:`~qingting.sources.mail`), :mod:`~qingting.sources.push`;
- :mod:`~qingting.sources.schedule` — next run, poll cycles, health.

This package never imports Django; the web layer stores what it returns. See ``docs/sources.md``.
"""

from qingting.sources.types import (
    Attachment,
    Connector,
    FetchedItem,
    FetchError,
    FetchResult,
    FetchState,
    SourceError,
    pseudonymise,
)

__all__ = [
    "Attachment",
    "Connector",
    "FetchError",
    "FetchResult",
    "FetchState",
    "FetchedItem",
    "SourceError",
    "pseudonymise",
]
