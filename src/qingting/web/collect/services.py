"""Writes for collection: add and edit sources, test them, run them, push intake, file imports.

Every function checks that the actor administers the source's unit (``actor=None`` is the system:
the command line and the workers), writes an audit entry, and never logs a credential.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from qingting.sources.types import FetchedItem, FetchError, FetchResult, FetchState
from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.collect import messages
from qingting.web.collect.models import ImportRun, ImportStatus, PushReceipt, SourceSecret
from qingting.web.crypto import DecryptionError
from qingting.web.monitoring.models import Item, Scheme, Source, SourceKind
from qingting.web.monitoring.selectors import organisation_id, schemes_following
from qingting.web.monitoring.services import (
    CatchUpResult,
    ingest_items,
    pipeline_catch_up,
    polling,
    scheme_create,
    store_items,
)

log = logging.getLogger(__name__)

# What each connector is, to the rest of the platform (Source.kind feeds the dashboard's charts).
CONNECTOR_KIND = {
    "rss": SourceKind.NEWS,
    "page": SourceKind.NEWS,
    "imap": SourceKind.MAILBOX,
    "push": SourceKind.OTHER,
    "file": SourceKind.IMPORT,
}
# Options each connector keeps in Source.config (anything else a form sends is dropped).
OPTIONS = {
    "rss": ("max_items",),
    "page": ("link_pattern", "max_articles", "same_host", "respect_robots", "delay"),
    "imap": ("host", "port", "username", "security", "mailbox", "max_messages", "start_from_now"),
    "push": ("tolerance",),
    "file": ("fields", "format", "sheet"),
}
SECRET_FIELDS = ("imap_password", "push_token", "push_secret")
IMPORT_BATCH = 2000


def require_admin(actor: Any, unit: Unit) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` administers ``unit`` (``None`` = the system)."""
    if actor is not None and not has_role(actor, unit, {str(Role.ADMIN)}):
        raise PermissionDenied("only an administrator of this unit may change its sources")


def _config(connector: str, options: Mapping[str, Any], scheme: Scheme | None) -> dict[str, Any]:
    if connector not in polling.KINDS:
        raise ValidationError({"connector": f"unknown connector {connector!r}; one of {', '.join(polling.KINDS)}"})
    config: dict[str, Any] = {"connector": connector}
    for name in OPTIONS[connector]:
        if name in options and options[name] not in (None, ""):
            config[name] = options[name]
    if scheme is not None:
        config["scheme"] = scheme.pk
    return config


def source_save(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    connector: str,
    url: str = "",
    options: Mapping[str, Any] | None = None,
    secrets: Mapping[str, str] | None = None,
    poll_interval: int = 900,
    scheme: Scheme | None = None,
    is_active: bool = True,
    mainstream: bool = False,
    official: bool = False,
    source: Source | None = None,
    regenerate: bool = False,
) -> Source:
    """Create (``source=None``) or update a source with its connector options and credentials.

    ``secrets`` holds ``imap_password`` / ``push_token`` / ``push_secret``; an empty or missing
    value keeps the stored one (forms never show secrets back). A new push source gets a fresh
    token and secret (``regenerate`` issues new ones). Without ``scheme`` a new source joins the
    unit's oldest active scheme, or a new scheme named after the source.
    """
    require_admin(actor, unit)
    if source is not None:
        require_admin(actor, source.unit)
    name = name.strip()
    if not name:
        raise ValidationError({"name": "a name is required"})
    clash = Source.objects.filter(unit=unit, name=name)
    if source is not None:
        clash = clash.exclude(pk=source.pk)
    if clash.exists():
        raise ValidationError({"name": f"this unit already has a source named {name!r}"})
    if scheme is not None and scheme.unit_id != unit.pk:
        raise ValidationError({"scheme": "the scheme belongs to another unit"})
    config = _config(connector, options or {}, scheme)
    with transaction.atomic():
        created = source is None
        if source is None:
            source = Source(unit=unit, next_run_at=timezone.now())
        old = {
            "name": source.name,
            "url": source.url,
            "config": source.config,
            "is_active": source.is_active,
            "official": source.official,
        }
        if not created and (source.url != url or (source.config or {}).get("connector") != connector):
            source.fetch_state = {}  # another feed: its conditional-GET state means nothing here
        source.name, source.url, source.config = name, url, config
        source.kind = CONNECTOR_KIND[connector]
        source.poll_interval, source.is_active, source.mainstream = poll_interval, is_active, mainstream
        source.official = official
        if created or old["is_active"] != is_active:
            source.next_run_at = timezone.now()
        source.save()
        secret, _ = SourceSecret.objects.get_or_create(source=source)
        changed_secrets = []
        for key in SECRET_FIELDS:
            value = (secrets or {}).get(key) or ""
            if value:
                setattr(secret, key, value)
                changed_secrets.append(key)
        if connector == "push" and (regenerate or not secret.push_token):
            secret.push_token, secret.push_secret = _random_token(), _random_token()
            changed_secrets += ["push_token", "push_secret"]
        secret.save()
        if scheme is None and not schemes_following(source).exists():
            follow = Scheme.objects.filter(unit=unit, is_active=True).order_by("pk").first()
            if follow is None:
                follow = scheme_create(actor=actor, unit=unit, name=name)
            follow.sources.add(source)
        elif scheme is not None:
            scheme.sources.add(source)
        audit_record(
            actor=actor,
            action="source.create" if created else "source.update",
            obj=source,
            old=None if created else old,
            # Which credentials changed, never their values.
            new={
                "name": name,
                "url": url,
                "config": config,
                "is_active": is_active,
                "official": official,
                "secrets": changed_secrets,
            },
        )
    return source


def _random_token() -> str:
    import secrets

    return secrets.token_urlsafe(32)


def source_set_active(*, actor: Any, source: Source, active: bool) -> Source:
    """Enable or disable a source (a disabled source is not polled and refuses pushes)."""
    require_admin(actor, source.unit)
    with transaction.atomic():
        Source.objects.filter(pk=source.pk).update(
            is_active=active, next_run_at=timezone.now() if active else source.next_run_at
        )
        audit_record(actor=actor, action="source.enable" if active else "source.disable", obj=source,
                     old={"is_active": source.is_active}, new={"is_active": active})  # fmt: skip
    source.refresh_from_db()
    return source


def source_run_now(*, actor: Any, source: Source) -> polling.PollReport:
    """Poll the source once now (the "run now" button, ``qingting source run``)."""
    require_admin(actor, source.unit)
    if (source.config or {}).get("connector") not in polling.CONNECTORS:
        raise ValidationError(
            {"connector": "this source receives items (push or file import); there is nothing to poll"}
        )
    if not source.is_active:
        raise ValidationError({"is_active": "the source is disabled: enable it first"})
    audit_record(actor=actor, action="source.run", obj=source, new={})
    return polling.source_poll(source_id=source.pk)


def source_preview(
    *, connector: str, url: str = "", options: Mapping[str, Any] | None = None, password: str | None = None,
    source: Source | None = None, max_items: int = 20,
) -> FetchResult:  # fmt: skip
    """Fetch once with an unsaved configuration and return what would be ingested — storing nothing.

    A page source fetches at most ``max_items`` articles. Mailbox previews never move the saved
    cursor: they read the mailbox as a first poll would.
    """
    config = _config(connector, options or {}, None)
    if connector not in polling.CONNECTORS:
        raise ValidationError({"connector": "push and file sources have nothing to fetch: send or upload items"})
    if connector == "page":
        config["max_articles"] = min(int(config.get("max_articles", max_items)), max_items)
        config["delay"] = 0.0 if not config.get("delay") else min(float(config["delay"]), 1.0)
    probe = Source(pk=source.pk if source else None, url=url, config=config)
    if connector == "imap" and not password and source is not None:
        password = None  # the stored one
    elif connector == "imap":
        password = password or ""
    try:
        built = polling.build_connector(probe, password=password)
    except polling.SourceConfigError as exc:
        return FetchResult(errors=(FetchError(str(exc), url or connector, "ConfigError"),), failed=True)
    try:
        return built.fetch(FetchState())
    except Exception as exc:  # a connector bug must not become a 500 page
        log.exception("preview of %s crashed", connector)
        return FetchResult(errors=(FetchError(f"connector crashed: {type(exc).__name__}", url, "InternalError"),),
                           failed=True)  # fmt: skip


# --- push intake --------------------------------------------------------------------------------


class IntakeRefused(Exception):
    """The whole push request is refused; ``status`` is the HTTP status, ``field`` what was wrong."""

    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def push_receive(*, source_id: int, token: str, signature: str | None, body: bytes, now: float | None = None
                 ) -> dict[str, Any]:  # fmt: skip
    """Verify and store one push request; answer with per-item results.

    Order: the source exists, is a push source and is active (404/409); the token matches (401);
    the signature over ``"<t>." + body`` matches and ``t`` is within the tolerance (401); this
    exact signed request was not received before (409, a replay); the body is acceptable (413 /
    400). Then each item is ``stored``, ``duplicate`` (its id was received before) or ``error``
    with the field. Idempotent: sending the same items again (newly signed) stores nothing twice.
    """
    from qingting.sources.push import PayloadError, SignatureError, validate_batch, verify_signature

    now = time.time() if now is None else now
    source = Source.objects.select_related("unit").filter(pk=source_id).first()
    config = (source.config or {}) if source is not None else {}
    if source is None or config.get("connector") != "push":
        raise IntakeRefused(404, "no push source with this id", "source_id")
    if not source.is_active:
        raise IntakeRefused(409, "this source is disabled", "source_id")
    try:
        secret = SourceSecret.objects.filter(source=source).first()
    except DecryptionError:
        log.error("push source %s: its stored token cannot be decrypted (was the encryption key changed?)", source.pk)
        raise IntakeRefused(
            503, "this source's credentials cannot be read; ask its administrator", "source_id"
        ) from None
    if secret is None or not secret.push_token or not hmac.compare_digest(token.encode(), secret.push_token.encode()):
        raise IntakeRefused(401, "wrong or missing token", "Authorization")
    tolerance = float(config.get("tolerance", 300))
    try:
        verify_signature(secret.push_secret.encode(), body, signature, now=now, tolerance=tolerance)
    except SignatureError as exc:
        raise IntakeRefused(401, exc.message, exc.where) from None
    digest = hashlib.sha256((signature or "").encode()).hexdigest()
    max_bytes = int(getattr(settings, "QINGTING_PUSH_MAX_BYTES", 2 * 1024 * 1024))
    max_items = int(getattr(settings, "QINGTING_PUSH_MAX_ITEMS", 500))
    try:
        batch = validate_batch(
            body,
            key=polling.pseudonym_key(),
            seen=lambda eid: Item.objects.filter(source=source, external_id=eid).exists(),
            max_items=max_items,
            max_bytes=max_bytes,
        )
    except PayloadError as exc:
        status = 413 if ("exceeds" in exc.message) else 400
        raise IntakeRefused(status, exc.message, "body") from None
    accepted = batch.accepted
    stored_ids: set[str] = set()
    item_errors: dict[str, str] = {}
    with transaction.atomic():
        try:
            with transaction.atomic():
                PushReceipt.objects.create(
                    source=source, signature=digest, received_at=datetime.fromtimestamp(now, tz=UTC)
                )
        except IntegrityError:
            raise IntakeRefused(
                409, "this signed request was received before (a replay)", "X-Qingting-Signature"
            ) from None
        if accepted:
            result = ingest_items(source=source, records=[i.as_record() for i in accepted])
            polling.contacts_store(source, accepted)
            for err in result.errors:
                item_errors[_record_id(accepted, err.record)] = f"{err.field}: {err.message}"
            stored_ids = {i.external_id for i in accepted} - set(item_errors)
        Source.objects.filter(pk=source.pk).update(last_success_at=timezone.now(), consecutive_failures=0)
        audit_record(actor=None, action="source.push", obj=source, new={**batch.summary(), "stored": len(stored_ids)})
    results = []
    counts = {"stored": 0, "duplicate": 0, "error": 0}
    for r in batch.results:
        out: dict[str, Any] = {"index": r.index, "id": r.external_id}
        if r.status == "accepted" and r.external_id in stored_ids:
            out["status"] = "stored"
        elif r.status == "duplicate":
            out.update(status="duplicate", message=r.message)
        else:
            message = item_errors.get(r.external_id or "", r.message)
            field_name, sep, _ = message.partition(":")
            out.update(status="error", field=field_name if sep and " " not in field_name else "", message=message)
        counts[out["status"]] += 1
        results.append(out)
    return {"source": source.pk, **counts, "results": results}


def _record_id(items: tuple[FetchedItem, ...], record: str) -> str:
    # ingest_items names a bad record by its position ("record 3") or its id; map back to the id.
    for i in items:
        if i.external_id == record:
            return record
    digits = "".join(ch for ch in record if ch.isdigit())
    if digits and 0 < int(digits) <= len(items):
        return items[int(digits) - 1].external_id
    return record


def push_receipts_prune(now: datetime) -> int:
    """Forget push signatures older than a day (their timestamps are refused anyway)."""
    deleted, _ = PushReceipt.objects.filter(received_at__lt=now - timedelta(days=1)).delete()
    return deleted


# --- file import --------------------------------------------------------------------------------


@dataclass
class ImportProgress:
    """Running totals of a file import, handed to the progress callback after every batch."""

    read: int = 0
    created: int = 0
    skipped: int = 0
    failed: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)  # codes and parameters (collect.messages)

    def note(self, message: dict[str, Any]) -> None:
        self.failed += 1
        if len(self.errors) < 100:
            self.errors.append(message)


def file_import(
    *,
    actor: Any,
    source: Source,
    path: str | Path,
    fields: Mapping[str, str] | None = None,
    fmt: str | None = None,
    sheet: str | None = None,
    file_name: str = "",
    batch_size: int = IMPORT_BATCH,
    progress: Callable[[ImportProgress], None] | None = None,
    max_bytes: int | Literal["setting"] | None = "setting",
) -> ImportRun:
    """Stream a JSONL/CSV/TSV/Excel file into ``source``: constant memory, idempotent on re-run.

    Records go to ``store_items`` in batches of ``batch_size`` (one transaction each, no engine),
    so memory does not grow with the file and an interrupted import is resumed by running it
    again: stored records are skipped by their id. Each refused record is named with its line or
    row. The organisation's engine analyses the items afterwards: call
    :func:`import_catch_up` (``qingting import`` does), or leave them to the periodic job
    ``monitoring.catch_up`` (every 30 s; the upload page does).

    A file that is not records at all (wrong type, over ``max_bytes`` — by default
    ``QINGTING_IMPORT_MAX_BYTES``; ``None`` for any size — or an Excel workbook that unpacks
    beyond the ratio and size limits) is refused with ``ValidationError`` on ``file`` before any
    run is recorded.
    """
    from qingting.sources.files import FileRefused, check_import_file, read_file_items

    require_admin(actor, source.unit)
    mapping = dict(fields if fields is not None else (source.config or {}).get("fields") or {})
    name = file_name or Path(path).name
    limits = import_limits(max_bytes)
    try:
        check_import_file(path, name=name, fmt=fmt, limits=limits)
    except FileRefused as exc:
        raise ValidationError({"file": [str(exc)]}) from None
    run = ImportRun.objects.create(source=source, file_name=name[:300], fields=mapping, started_by=actor)
    totals = ImportProgress()
    try:
        items = read_file_items(path, key=polling.pseudonym_key(), fields=mapping, fmt=fmt, sheet=sheet,
                                name=name, limits=limits)  # fmt: skip
        for batch in _batches(items, batch_size, totals):
            if batch:
                result = store_items(source=source, records=[i.as_record() for i in batch])
                totals.created += result.created
                totals.skipped += result.skipped
                for err in result.errors:
                    totals.note(messages.refusal(_record_id(tuple(batch), err.record), err.field, err.message))
            ImportRun.objects.filter(pk=run.pk).update(
                read=totals.read, created=totals.created, skipped=totals.skipped, failed=totals.failed,
                errors=totals.errors, heartbeat_at=timezone.now(),
            )  # fmt: skip
            if progress is not None:
                progress(totals)
    except (OSError, ValueError) as exc:
        totals.note(messages.file_failed(run.file_name, str(exc)))
        _finish(run, totals, ImportStatus.FAILED, actor)
        return run
    except BaseException:
        _finish(run, totals, ImportStatus.FAILED, actor)
        raise
    _finish(run, totals, ImportStatus.DONE, actor)
    return run


def import_limits(max_bytes: int | Literal["setting"] | None = "setting") -> Any:
    """The import limits from the settings (docs/sources.md); ``max_bytes=None`` lifts the size limit."""
    from qingting.sources.files import ImportLimits

    size = int(settings.QINGTING_IMPORT_MAX_BYTES) if max_bytes == "setting" else max_bytes
    return ImportLimits(
        max_bytes=size,
        max_ratio=float(settings.QINGTING_IMPORT_MAX_RATIO),
        max_unpacked=int(settings.QINGTING_IMPORT_MAX_UNPACKED_BYTES),
    )


def imports_interrupted(now: datetime, *, stale_after: timedelta = timedelta(minutes=10)) -> int:
    """Mark as failed every import still "running" with no progress for ``stale_after``: its process
    was killed (a batch takes seconds, and each one records progress). Returns how many.

    Nothing is lost by this: stored records stay stored, and importing the file again skips them.
    """
    from django.db.models import Q
    from django.db.models.functions import Coalesce

    stale = ImportRun.objects.annotate(seen=Coalesce("heartbeat_at", "started_at")).filter(
        Q(status=ImportStatus.RUNNING) & Q(seen__lt=now - stale_after)
    )
    count = 0
    for run in stale.select_related("source"):
        since = timezone.localtime(run.heartbeat_at or run.started_at)
        message = messages.interrupted(run.file_name, f"{since:%Y-%m-%d %H:%M}")
        with transaction.atomic():
            claimed = ImportRun.objects.filter(pk=run.pk, status=ImportStatus.RUNNING).update(
                status=ImportStatus.FAILED, finished_at=now, errors=[*(run.errors or [])[:99], message]
            )
            if claimed:
                count += 1
                audit_record(actor=None, action="source.import_interrupted", obj=run.source,
                             new={"file": run.file_name, "read": run.read, "created": run.created})  # fmt: skip
    return count


def import_catch_up(
    source: Source, *, progress: Callable[[CatchUpResult], None] | None = None, batch: int = 2000
) -> list[CatchUpResult]:
    """Run the organisation's engine over its pending items (after :func:`file_import`).

    ``batch`` items per transaction; ``progress`` is called after every transaction with the
    running totals. When another process is running the engine it is left to it (``busy``).
    Interrupting loses nothing: the periodic job ``monitoring.catch_up`` takes the rest. One
    result (the organisation's engine), for callers written when each scheme had an engine.
    """
    org = organisation_id(source.unit)
    total = CatchUpResult(organisation_id=org)
    while True:
        step = pipeline_catch_up(organisation=org, batch=batch, max_items=batch, wait=False)
        total = CatchUpResult(organisation_id=org, items=total.items + step.items,
                              batches=total.batches + step.batches, busy=step.busy)  # fmt: skip
        if progress is not None:
            progress(total)
        if step.busy or step.items == 0:
            break
    return [total]


def _batches(
    objs: Iterator[FetchedItem | FetchError], size: int, totals: ImportProgress
) -> Iterator[list[FetchedItem]]:
    batch: list[FetchedItem] = []
    for obj in objs:
        totals.read += 1
        if isinstance(obj, FetchError):
            field_name, sep, what = obj.what.partition(": ")  # the reader's "field: what was wrong"
            totals.note(messages.refusal(obj.where, field_name if sep else "", what if sep else obj.what))
            continue
        batch.append(obj)
        if len(batch) >= size:
            yield batch
            batch = []
    yield batch


def _finish(run: ImportRun, totals: ImportProgress, status: Any, actor: Any) -> None:
    for name in ("read", "created", "skipped", "failed", "errors"):
        setattr(run, name, getattr(totals, name))
    run.status, run.finished_at = status, timezone.now()
    run.save()
    audit_record(actor=actor, action="source.import", obj=run.source,
                 new={"file": run.file_name, "status": status, "read": run.read, "created": run.created,
                      "skipped": run.skipped, "failed": run.failed})  # fmt: skip
