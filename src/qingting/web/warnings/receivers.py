"""Evaluate warnings when the engine has placed a batch (``monitoring.signals.batch_ingested``) and
when a scheme has been applied to stored items (``monitoring.signals.scheme_backfilled``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


def on_batch_ingested(
    sender: Any,
    *,
    scheme_events: Mapping[int, Sequence[int]] | None = None,
    now: datetime | None = None,
    **_: Any,
) -> None:
    """Assess, for each scheme, the events of the batch it matches; warnings and their
    notifications commit together, one scheme at a time."""
    from qingting.web.warnings.services import warnings_evaluate

    for scheme_id, event_ids in (scheme_events or {}).items():
        try:
            warnings_evaluate(scheme_id=scheme_id, event_ids=event_ids, now=now)
        except Exception:  # ingestion has committed; a failure here must be visible, not fatal
            log.exception("warnings: evaluating scheme %s failed", scheme_id)


def on_scheme_backfilled(sender: Any, *, scheme_id: int, now: datetime | None = None, **_: Any) -> None:
    """A scheme now matches stored items: walk its events through time (marked as backfill,
    not announced as new)."""
    from qingting.web.monitoring.models import Scheme
    from qingting.web.warnings.services import warnings_backfill

    scheme = Scheme.objects.filter(pk=scheme_id, is_active=True).first()
    if scheme is None:
        return
    try:
        warnings_backfill(scheme=scheme, now=now)
    except Exception:
        log.exception("warnings: backfill of scheme %s failed", scheme_id)


def on_scheme_deleted(sender: Any, *, scheme_id: int, **_: Any) -> None:
    """A deleted scheme sends nothing more: its subscriptions go (its warnings stay, with their history)."""
    from qingting.web.warnings.models import Subscription

    Subscription.objects.filter(scheme_id=scheme_id).delete()
