"""Periodic jobs of collection (run by the embedded scheduler and by Celery beat alike)."""

from __future__ import annotations

import logging
from datetime import datetime

log = logging.getLogger(__name__)


def prune(now: datetime) -> int:
    """Forget old push signatures (replay protection needs only the last day)."""
    from qingting.web.collect.services import push_receipts_prune

    return push_receipts_prune(now)


def source_warnings(now: datetime) -> int:
    """Raise a source warning (tier IV) for every failing or silent source, once the warnings app has them.

    ``warnings.services.source_warning_raise`` keeps one open warning per source, so running this
    every few minutes (or twice at once) raises each problem once. Without the warnings app it
    does nothing: the problems still show on the sources page.
    """
    try:
        from qingting.web.warnings.services import source_warning_raise
    except ImportError:
        return 0
    from qingting.web.collect.health import source_problems

    raised = 0
    for problem in source_problems(now):
        try:
            if source_warning_raise(source=problem.source, reason=problem.message, now=now) is not None:
                raised += 1
        except Exception:  # one source's warning must not stop the others
            log.exception("raising a warning for source %s failed", problem.source.pk)
    return raised


def imports_interrupted(now: datetime) -> int:
    """Mark imports whose process was killed as failed (run at start-up and every few minutes)."""
    from qingting.web.collect.services import imports_interrupted as mark

    return mark(now)
