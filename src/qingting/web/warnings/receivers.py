"""Evaluate warnings when a batch of items has been stored (``monitoring.signals.batch_ingested``)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

log = logging.getLogger(__name__)


def on_batch_ingested(
    sender: Any, *, scheme_id: int, event_ids: Sequence[int], now: datetime | None = None, **_: Any
) -> None:
    """Assess the events the batch touched; warnings and their notifications commit together."""
    from qingting.web.warnings.services import warnings_evaluate

    try:
        warnings_evaluate(scheme_id=scheme_id, event_ids=event_ids, now=now)
    except Exception:  # ingestion has committed; a failure here must be visible, not fatal
        log.exception("warnings: evaluating scheme %s failed", scheme_id)
