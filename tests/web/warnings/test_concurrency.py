"""Two workers at once on PostgreSQL with real row locks: one evaluation of a scheme at a time (one
warning, one notification), and two delivery workers never send one outbox row twice.

Transactional (the threads need committed data and their own connections). The audit trail is
append-only, so the flush after the test runs with triggers off for that session (as in the
cases concurrency tests).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.utils import timezone

from qingting.notify.message import Message
from qingting.web.monitoring.signals import batch_ingested
from qingting.web.warnings import receivers, services
from qingting.web.warnings.models import Notification, Warning
from qingting.web.warnings.services import outbox

from ..concurrency import ROW_LOCK_TESTS, allow_flush, race
from .conftest import burst, ingest
from .test_delivery import Receiver

pytestmark = ROW_LOCK_TESTS


@pytest.fixture
def pg(setup: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield setup
    allow_flush()


def test_two_evaluations_of_one_scheme_raise_one_warning(pg: dict[str, Any]) -> None:
    channel = services.channel_save(
        actor=pg["admin"], unit=pg["east"], name="mail", kind="email", smtp_host="127.0.0.1", smtp_sender="q@e.example"
    )
    services.subscription_add(actor=pg["analyst"], channel_id=channel.pk, min_tier=4)
    batch_ingested.disconnect(dispatch_uid="warnings.evaluate")  # store the items without evaluating
    try:
        ingest(pg, burst("a", 8))
    finally:
        batch_ingested.connect(receivers.on_batch_ingested, dispatch_uid="warnings.evaluate")
    event_ids = list(pg["scheme"].events.values_list("pk", flat=True))
    now = timezone.now()
    results = race(2, lambda i: services.warnings_evaluate(scheme_id=pg["scheme"].pk, event_ids=event_ids, now=now))
    assert all(r.status == "ok" for r in results), results
    assert sorted(len(r.value) for r in results) == [0, 1]
    assert Warning.objects.count() == 1 and Notification.objects.count() == 1


def test_two_delivery_workers_send_each_row_once(pg: dict[str, Any]) -> None:
    receiver = Receiver()
    try:
        channel = services.channel_save(
            actor=pg["admin"], unit=pg["east"], name="hook", kind="webhook", url=receiver.url
        )
        now = timezone.now()
        for i in range(30):
            outbox._enqueue(
                kind="warning", channel=channel, message=Message(title=f"t{i}", text_zh="…", text_en="…"),
                key=f"race{i}", now=now,
            )  # fmt: skip
        results = race(2, lambda i: services.outbox_deliver(now))
        assert all(r.status == "ok" for r in results), results
        assert sum(r.value for r in results) == 30
        titles = [json.loads(body)["title"] for _, body in receiver.requests]
        assert sorted(titles) == sorted(f"t{i}" for i in range(30))  # every row once, none twice
        assert set(Notification.objects.values_list("status", flat=True)) == {"sent"}
    finally:
        receiver.close()
