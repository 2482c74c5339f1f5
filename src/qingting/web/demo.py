"""The demo installation: a fictional organisation, a user per role, and the demo stream.

Used by ``qingting demo``. Everything here is invented (see ``docs/demo.md``): the county
青禾县, its townships, sources and posts. Running it again is safe: units, users and sources are
reused, items are ingested idempotently, and demo users get fresh passwords printed again.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from qingting.web.accounts import services as accounts
from qingting.web.accounts.models import Role, Unit, UnitKind, User
from qingting.web.monitoring import services as monitoring
from qingting.web.monitoring.models import Scheme, Source, SourceKind

log = logging.getLogger(__name__)

OFFICE = ("qinghe", "青禾县委网信办（演示）")
TOWNSHIPS = [
    ("liuwan", "柳湾镇"),
    ("shiqiao", "石桥乡"),
    ("chengguan", "城关镇"),
    ("bailu", "白鹭镇"),
    ("hetang", "荷塘乡"),
    ("guixi", "桂溪乡"),
    ("yunling", "云岭镇"),
]
DEPARTMENTS = [("water", "县水务局"), ("education", "县教育局"), ("market", "县市场监管局")]
SCHEME_NAME = "青禾县全县舆情（演示）"
KIND_MAP = {
    "weibo": SourceKind.SOCIAL,
    "wechat": SourceKind.SOCIAL,
    "news": SourceKind.NEWS,
    "forum": SourceKind.FORUM,
    "mailbox": SourceKind.MAILBOX,
}


@dataclass(frozen=True)
class DemoSetup:
    """What :func:`demo_setup` created or found."""

    office: Unit
    scheme: Scheme
    credentials: tuple[tuple[str, str, str], ...]  # (username, password, role)


def _unit(code: str, name: str, kind: str, parent: Unit | None) -> Unit:
    existing = Unit.objects.filter(code=code).first()
    return existing or accounts.unit_create(actor=None, code=code, name=name, kind=kind, parent=parent)


def _password(username: str) -> str:
    """A random password the password policy accepts: a random one can, rarely, share enough
    letters with the username to count as too similar (Qt-9AZmEEDdLReo for demo_leader)."""
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    while True:
        password = "Qt-" + secrets.token_urlsafe(9)
        try:
            validate_password(password, User(username=username))
        except ValidationError:
            continue
        return password


@transaction.atomic
def demo_setup() -> DemoSetup:
    """Create (or find) the demo organisation, one user per role, and the demo scheme."""
    office = _unit(*OFFICE, UnitKind.OFFICE, None)
    for code, name in DEPARTMENTS:
        _unit(f"qinghe-{code}", name, UnitKind.DEPARTMENT, office)
    townships = {name: _unit(f"qinghe-{code}", name, UnitKind.TOWNSHIP, office) for code, name in TOWNSHIPS}
    _unit("qinghe-liuwan-1", "柳湾镇河西社区", UnitKind.COMMUNITY, townships["柳湾镇"])
    credentials = []
    members: list[tuple[str, Unit, str]] = [(f"demo_{role}", office, role) for role in Role.values]
    members.append(("demo_liuwan", townships["柳湾镇"], Role.ANALYST))  # sees only 柳湾镇's data
    for username, unit, role in members:
        password = _password(username)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = accounts.user_create(actor=None, username=username, password=password, is_staff=(role == Role.ADMIN))
        else:
            user.set_password(password)
            user.save(update_fields=["password"])
        accounts.membership_grant(actor=None, user=user, unit=unit, role=role, reason="demo")
        credentials.append((username, password, role))
    scheme = Scheme.objects.filter(unit=office, name=SCHEME_NAME).first()
    if scheme is None:
        # The whole county: every source of the office and of its townships, present and future.
        scheme = monitoring.scheme_create(actor=None, unit=office, name=SCHEME_NAME, expression="", units=[office])
    return DemoSetup(office=office, scheme=scheme, credentials=tuple(credentials))


def _official_sources() -> frozenset[str]:
    """The demo stream's government accounts (官方微博, 青禾发布); a mailbox is where citizens write."""
    from qingting.demo._scenarios import SCENARIOS

    return frozenset(o.source for sc in SCENARIOS for o in sc.officials if o.source_kind != "mailbox")


def _source_for(record: Mapping[str, Any], office: Unit, cache: dict[str, Source]) -> Source:
    name = str(record.get("source") or "演示来源")
    source = cache.get(name)
    if source is None:
        # A local account named after a township belongs to that township (柳湾那些事 → 柳湾镇),
        # so the township's analyst (demo_liuwan) sees its items and nothing of the rest.
        unit = next(
            (u for u in Unit.objects.filter(parent=office, kind=UnitKind.TOWNSHIP) if name.startswith(u.name[:2])),
            office,
        )
        source = Source.objects.filter(name=name).first()
        if source is None:
            source = monitoring.source_create(
                actor=None,
                unit=unit,
                name=name,
                kind=KIND_MAP.get(str(record.get("source_kind")), SourceKind.OTHER),
                mainstream=bool(record.get("mainstream")),
                official=name in _official_sources(),  # the county's own accounts: official responses
            )
        cache[name] = source
    return source


def _windows(records: Sequence[Mapping[str, Any]], seconds: float) -> Iterator[list[Mapping[str, Any]]]:
    batch: list[Mapping[str, Any]] = []
    edge: datetime | None = None
    for record in records:
        t = parse_datetime(str(record["time"]))
        assert t is not None
        if edge is None:
            edge = t + timedelta(seconds=seconds)
        if t >= edge and batch:
            yield batch
            batch = []
            edge = t + timedelta(seconds=seconds)
        batch.append(record)
    if batch:
        yield batch


def demo_ingest(
    setup: DemoSetup,
    records: Sequence[Mapping[str, Any]],
    *,
    window_seconds: float = 3600.0,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Ingest ``records`` (time-ordered) in time windows, as a deployment polling every source
    once per window would: each source's items are stored, then the organisation's engine takes
    the window's items in time order in one pass (one placement, matching and warnings
    evaluation per window rather than per source)."""
    cache: dict[str, Source] = {}
    created = 0
    for window in _windows(records, window_seconds):
        by_source: dict[int, tuple[Source, list[Mapping[str, Any]]]] = {}
        for record in window:
            source = _source_for(record, setup.office, cache)
            by_source.setdefault(source.pk, (source, []))[1].append(record)
        for source, batch in by_source.values():
            created += monitoring.store_items(source=source, records=batch).created
        monitoring.pipeline_catch_up(organisation=setup.office, batch=max(1000, len(window)))
        if on_batch is not None:
            on_batch(created)
    return created


def demo_records(*, days: int = 14, scale: float = 1.0, seed: int = 7) -> list[dict[str, Any]]:
    """The fictional demo stream, shifted so that it ends now."""
    from qingting.demo import generate

    start = timezone.now().replace(microsecond=0) - timedelta(days=days)
    return generate(seed=seed, start=start, days=days, scale=scale)


# Apps that add demo data of their own (warnings, cases, reports): each has a ``demo`` module with
# ``seed(setup) -> str`` (idempotent; returns one line saying what it made). Run in this order,
# after the stream is loaded, so cases can come from warnings and reports can count both.
DEMO_APPS = ("collect", "sentiment", "warnings", "cases", "reporting", "bulletins", "ledger", "channels", "releases")


def demo_seed_apps(setup: DemoSetup) -> list[str]:
    """Let each app that has a ``demo`` module add its demo data; returns what they said."""
    import importlib
    import importlib.util

    lines = []
    for app in DEMO_APPS:
        name = f"qingting.web.{app}.demo"
        if importlib.util.find_spec(name) is not None:
            lines.append(str(importlib.import_module(name).seed(setup)))
    return lines


def replay_in_background(
    setup: DemoSetup, records: Sequence[Mapping[str, Any]], *, speed: float, stop: threading.Event
) -> threading.Thread:
    """Feed ``records`` in a thread, ``speed`` stream-seconds per real second, as a live stream."""

    def run() -> None:
        from django.db import connection

        try:
            first = parse_datetime(str(records[0]["time"])) if records else None
            began = time.monotonic()
            for window in _windows(records, 600.0):
                if first is not None:
                    t = parse_datetime(str(window[0]["time"]))
                    assert t is not None
                    due = (t - first).total_seconds() / speed
                    if stop.wait(max(0.0, due - (time.monotonic() - began))):
                        return
                demo_ingest(setup, window, window_seconds=600.0)
        except Exception:  # a demo feed must not take the server down; say what happened
            log.exception("demo replay stopped")
        finally:
            connection.close()

    thread = threading.Thread(target=run, name="qingting-demo-replay", daemon=True)
    thread.start()
    return thread
