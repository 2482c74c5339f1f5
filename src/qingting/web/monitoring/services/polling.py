"""Polling a source (采集): fetch with its connector, store new items, record its health.

:func:`source_poll` is what both worker modes call (the embedded scheduler thread and the Celery
task), so they behave the same. It never raises for faults of the outside world (a dead site, a
broken feed, a bad source configuration): those become health fields on the :class:`Source` and
a back-off of its next run. Faults of our own (the database is gone) do propagate.

Order of writes, so a killed worker loses nothing: the items and the new conditional-GET state
are committed in ONE transaction. If the process dies before the commit, the old state is kept,
the next poll fetches the same items again, and :func:`store_items` skips what is stored.

A poll only stores (``store_items``: items, pending placements, mailbox contacts, fetch state);
the organisation's engine analyses the items afterwards — the periodic job ``monitoring.catch_up``
(every 30 s, both modes) runs ``pipeline_catch_up`` for each organisation with pending items and
sends ``batch_ingested`` (schemes' matches, warnings) per analysed batch. So a poll cycle is bound
by fetching, not by clustering, and many polls never wait on the engine. A source is polled
whether or not a scheme follows it (schemes are views over what is collected, decision 0061).
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from qingting.sources.http import FetchPolicy, SafeFetcher
from qingting.sources.schedule import SourceStats, after_poll
from qingting.sources.types import Connector, FetchedItem, FetchError, FetchResult, FetchState
from qingting.web.audit.services import audit_record
from qingting.web.monitoring.models import Source
from qingting.web.monitoring.services.ingestion import store_items
from qingting.web.outbound import allow_hosts as outbound_allow_hosts

log = logging.getLogger(__name__)

CONNECTORS = ("rss", "page", "imap")  # polled on a schedule
KINDS = (*CONNECTORS, "push", "file")  # push and file sources receive items; nothing to poll
# While a poll is under way its source is "claimed": its next run is pushed this far out, so a
# second scheduler tick (or beat) does not start the same poll again. The poll sets the real one.
CLAIM_SECONDS = 600
_STATE_KEYS = ("etag", "last_modified", "cursor")


class SourceConfigError(ValueError):
    """The source's ``config`` does not describe a connector we can build."""


@dataclass(frozen=True)
class PollReport:
    """What one :func:`source_poll` did (also the Celery task's result, via :meth:`as_dict`)."""

    source_id: int
    polled: bool  # False: the source is gone, inactive or has no connector — nothing was fetched
    failed: bool = False
    created: int = 0
    skipped: int = 0
    not_modified: bool = False
    errors: tuple[str, ...] = ()
    next_run_at: datetime | None = None
    scheme_ids: tuple[int, ...] = ()  # schemes following the source (they match the items once placed)
    organisation_id: int | None = None  # whose engine now has this poll's items pending

    def as_dict(self) -> dict[str, Any]:
        """A JSON-safe mapping (Celery results, logs)."""
        return {
            "source_id": self.source_id,
            "polled": self.polled,
            "failed": self.failed,
            "created": self.created,
            "skipped": self.skipped,
            "not_modified": self.not_modified,
            "errors": list(self.errors),
            "next_run_at": self.next_run_at.isoformat() if self.next_run_at else None,
            "scheme_ids": list(self.scheme_ids),
            "organisation_id": self.organisation_id,
        }


def pseudonym_key() -> bytes:
    """The key connectors pseudonymise authors with: the same derivation as ``author_pseudonym``."""
    return hashlib.sha256(("qingting-pseudonym:" + settings.QINGTING_PSEUDONYM_KEY).encode()).digest()


def default_fetcher() -> SafeFetcher:
    """A fetcher with the default limits; private addresses only for the operator's allow-list."""
    return SafeFetcher(FetchPolicy(allow_hosts=outbound_allow_hosts()))


def build_connector(source: Source, *, fetcher: SafeFetcher | None = None, password: str | None = None) -> Connector:
    """The connector ``source.config`` describes.

    ``config["connector"]`` is ``"rss"`` (options ``max_items``), ``"page"`` (``link_pattern``
    required; ``max_articles``, ``same_host``, ``respect_robots``, ``delay``) — both poll the
    source's ``url`` — or ``"imap"`` (``host``, ``port``, ``username``, ``security``, ``mailbox``,
    ``max_messages``, ``start_from_now``; the password is the source's encrypted credential, or
    ``password`` for a source not saved yet). Raises :class:`SourceConfigError` with a sentence
    for the sources page.

    >>> build_connector(Source(url="https://x.example/rss.xml", config={"connector": "rss"}))  # doctest: +SKIP
    RssConnector(url='https://x.example/rss.xml', ...)
    """
    config = source.config if isinstance(source.config, dict) else {}
    kind = config.get("connector")
    if kind not in CONNECTORS:
        raise SourceConfigError(f"config 'connector' must be one of {', '.join(CONNECTORS)}, not {kind!r}")
    if kind == "imap":
        return _imap_connector(source, config, password)
    if not source.url:
        raise SourceConfigError("the source has no URL to poll")
    fetcher = fetcher or default_fetcher()
    key = pseudonym_key()
    try:
        if kind == "rss":
            from qingting.sources.rss import RssConnector

            return RssConnector(source.url, key=key, fetcher=fetcher, max_items=int(config.get("max_items", 1000)))
        from qingting.sources.pages import PageConnector

        pattern = config.get("link_pattern")
        if not isinstance(pattern, str) or not pattern:
            raise SourceConfigError("a page source needs config 'link_pattern' (a regular expression for links)")
        return PageConnector(
            source.url,
            pattern,
            key=key,
            fetcher=fetcher,
            max_articles=int(config.get("max_articles", 30)),
            same_host=bool(config.get("same_host", True)),
            respect_robots=bool(config.get("respect_robots", True)),
            delay=float(config.get("delay", 1.0)),
        )
    except (TypeError, ValueError) as exc:
        if isinstance(exc, SourceConfigError):
            raise
        raise SourceConfigError(f"invalid connector options: {exc}") from exc


def _imap_connector(source: Source, config: dict[str, Any], password: str | None) -> Connector:
    from qingting.sources.imap import ImapConnector

    if password is None:
        from qingting.web.collect.models import SourceSecret
        from qingting.web.crypto import DecryptionError

        try:
            secret = SourceSecret.objects.filter(source_id=source.pk).first() if source.pk else None
        except DecryptionError as exc:
            raise SourceConfigError(f"the stored mailbox password cannot be read: {exc}") from exc
        password = secret.imap_password if secret else ""
    host, username = config.get("host"), config.get("username")
    if not isinstance(host, str) or not host or not isinstance(username, str) or not username:
        raise SourceConfigError("a mailbox source needs config 'host' and 'username'")
    if not password:
        raise SourceConfigError("the mailbox password is not set")
    try:
        return ImapConnector(
            host,
            username,
            password,
            key=pseudonym_key(),
            port=int(config.get("port", 993)),
            mailbox=str(config.get("mailbox") or "INBOX"),
            security=str(config.get("security") or "ssl"),
            allow_hosts=outbound_allow_hosts(),
            max_messages=int(config.get("max_messages", 200)),
            start_from_now=bool(config.get("start_from_now", False)),
            ca_file=getattr(settings, "QINGTING_IMAP_CA_FILE", None) or None,
        )
    except (TypeError, ValueError) as exc:
        raise SourceConfigError(f"invalid mailbox options: {exc}") from exc


def _failed(where: str, what: str, kind: str = "ConfigError") -> FetchResult:
    return FetchResult(errors=(FetchError(what, where, kind),), failed=True)


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def source_poll(*, source_id: int, now: datetime | None = None, fetcher: SafeFetcher | None = None) -> PollReport:
    """Poll one source once: fetch, store new items through ``store_items``, update its health.

    The organisation's engine analyses the items later (``pipeline_catch_up``, run by the
    periodic job ``monitoring.catch_up``); ``scheme_ids`` of the report are the schemes following
    the source now.

    Health: a successful poll sets ``last_success_at`` and resets ``consecutive_failures``; a
    failed one (nothing could be read, or the configuration is wrong) records ``last_error`` and
    ``last_error_at`` and adds one failure; ``next_run_at`` follows ``schedule.next_run`` with
    ±10 % jitter, doubling per consecutive failure. A 304 stores nothing and counts as a success.

    >>> source_poll(source_id=7)  # doctest: +SKIP
    PollReport(source_id=7, polled=True, failed=False, created=12, skipped=3, ...)
    """
    source = Source.objects.filter(pk=source_id).first()
    if source is None or not source.is_active:
        return PollReport(source_id=source_id, polled=False)
    now = now or timezone.now()
    stored = source.fetch_state if isinstance(source.fetch_state, dict) else {}
    state = FetchState(**{k: v for k, v in stored.items() if k in _STATE_KEYS})
    # A source's items go to its organisation's engine whether or not a scheme follows it
    # (decision 0061: schemes are views); a scheme created later is applied to them by a backfill.
    result: FetchResult
    try:
        connector = build_connector(source, fetcher=fetcher)
    except SourceConfigError as exc:
        result = _failed(source.name, str(exc))
    else:
        try:
            result = connector.fetch(state)
        except Exception as exc:  # a connector bug must not kill the worker
            log.exception("connector of source %s crashed", source_id)
            result = _failed(source.name, f"connector crashed: {type(exc).__name__}: {exc}", "InternalError")
    created = skipped = 0
    scheme_ids: tuple[int, ...] = ()
    org_id: int | None = None
    errors = [str(e) for e in result.errors]
    if result.items and not result.failed:
        try:
            with _store_lock(), transaction.atomic():
                ingested = store_items(source=source, records=[i.as_record() for i in result.items])
                contacts_store(source, result.items)
                next_at = _record(source, result, now=now, created=ingested.created)
        except Exception as exc:
            # Nothing of this poll was kept (one transaction); the old fetch state stays, so the next
            # poll fetches the same items again. Recorded as a failure so it shows on the sources page.
            log.exception("storing the items of source %s failed", source_id)
            result = _failed(source.name, f"storing items failed: {type(exc).__name__}: {exc}", "StorageError")
            errors.append(str(result.errors[0]))
            next_at = _record(source, result, now=now)
            return PollReport(source_id, True, True, 0, 0, False, tuple(errors), next_at)
        created, skipped, scheme_ids = ingested.created, ingested.skipped, ingested.scheme_ids
        org_id = ingested.organisation_id
        errors += [f"{e.record}: {e.field}: {e.message}" for e in ingested.errors]
    else:
        with transaction.atomic():
            next_at = _record(source, result, now=now)
    return PollReport(
        source_id=source_id,
        polled=True,
        failed=result.failed,
        created=created,
        skipped=skipped,
        not_modified=result.not_modified,
        errors=tuple(errors),
        next_run_at=next_at,
        scheme_ids=scheme_ids,
        organisation_id=org_id,
    )


def contacts_store(source: Source, items: Sequence[FetchedItem]) -> int:
    """Store the reply details of mailbox/push messages (``extra["contact"]``) for their stored items.

    Called in the transaction that stored the items; items that already have contact details (a
    re-poll) are left alone. Returns how many were stored.
    """
    from qingting.web.collect.models import MessageContact
    from qingting.web.monitoring.models import Item

    wanted = {i.external_id: i.extra["contact"] for i in items if isinstance(i.extra.get("contact"), dict)}
    if not wanted:
        return 0
    rows = []
    ids = list(wanted)
    for start in range(0, len(ids), 500):
        found = Item.objects.filter(source=source, external_id__in=ids[start : start + 500], contact__isnull=True)
        for pk, external_id in found.values_list("pk", "external_id"):
            c = wanted[external_id]
            rows.append(
                MessageContact(
                    item_id=pk,
                    name=str(c.get("name", ""))[:200],
                    address=str(c.get("address", ""))[:500],
                    subject=str(c.get("subject", ""))[:500],
                )
            )
    MessageContact.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


_SQLITE_STORE = threading.Lock()


def _store_lock() -> Any:
    """On SQLite (embedded mode) one process stores one poll's items at a time.

    Polls fetch concurrently, but SQLite has one writer: threads that all wait on its file lock
    time out ("database is locked") while an engine catch-up batch holds the write lock. Queuing them here, in
    the process, costs nothing (they would wait anyway) and never times out. PostgreSQL stores
    concurrently (row locks per scheme).
    """
    return _SQLITE_STORE if connection.vendor == "sqlite" else contextlib.nullcontext()


def _record(source: Source, result: FetchResult, *, now: datetime, created: int = 0) -> datetime:
    """Write the poll's health and fetch state on the source (inside the caller's transaction)."""
    stats = SourceStats(
        last_success=_ts(source.last_success_at),
        consecutive_failures=source.consecutive_failures,
        last_error=source.last_error,
    )
    after = after_poll(stats, result, now=now.timestamp(), interval=float(max(source.poll_interval, 1)))
    next_at = datetime.fromtimestamp(after.next_run or now.timestamp(), tz=UTC)
    fields: dict[str, Any] = {"consecutive_failures": after.consecutive_failures, "next_run_at": next_at}
    if result.failed:
        fields.update(last_error=after.last_error[:2000], last_error_at=now)
    else:
        # The conditional-GET state moves on only with a poll whose items are stored.
        fields.update(last_success_at=now, fetch_state=_state_dict(result.state))
    Source.objects.filter(pk=source.pk).update(**fields)
    recovered = source.consecutive_failures > 0 and not result.failed
    if created or result.failed or recovered:
        # Polls that store nothing and change nothing are not audited (every few minutes per source).
        audit_record(
            actor=None,
            action="source.poll",
            obj=source,
            new={
                "created": created,
                "failed": result.failed,
                "consecutive_failures": after.consecutive_failures,
                "error": after.last_error[:500],
                "next_run_at": next_at.isoformat(),
            },
        )
    return next_at


def _state_dict(state: FetchState) -> dict[str, Any]:
    values = {"etag": state.etag, "last_modified": state.last_modified, "cursor": state.cursor}
    return {k: v for k, v in values.items() if v}


def sources_claim_due(*, now: datetime | None = None, limit: int = 100) -> list[int]:
    """Ids of active, pollable sources whose next run has come, claimed for ``CLAIM_SECONDS``.

    Claiming pushes ``next_run_at`` out, so a scheduler tick or beat that comes while the poll
    still runs does not start it twice; :func:`source_poll` then sets the real next run. A worker
    that dies mid-poll delays that source by the claim only.
    """
    now = now or timezone.now()
    due = Q(next_run_at__isnull=True) | Q(next_run_at__lte=now)
    base = Source.objects.filter(due, is_active=True, config__connector__in=list(CONNECTORS))
    ids = list(base.order_by("next_run_at", "pk").values_list("pk", flat=True)[:limit])
    if not ids:
        return []
    claimed: list[int] = []
    until = now + timedelta(seconds=CLAIM_SECONDS)
    for pk in ids:
        # One conditional UPDATE per source: of two dispatchers racing, exactly one wins it.
        if Source.objects.filter(due, pk=pk).update(next_run_at=until):
            claimed.append(pk)
    return claimed
