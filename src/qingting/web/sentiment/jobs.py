"""Periodic jobs: retrain each organisation's model from new corrections; advance re-scoring."""

from __future__ import annotations

import time
from datetime import datetime

from django.db import OperationalError

from qingting.web.sentiment import services
from qingting.web.sentiment.models import RescoreJob

RESCORE_SECONDS = 50.0  # a run of the periodic job advances re-scoring this long, then yields


def retrain_all(now: datetime) -> int:
    """Retrain every organisation that has new corrections; returns how many versions were made."""
    made = 0
    for org in services.organisations_with_corrections():
        if services.retrain(org).version is not None:
            made += 1
    return made


def rescore_step(now: datetime, *, steps: int | None = None, seconds: float = RESCORE_SECONDS) -> int:
    """Advance the open re-scoring jobs slice by slice for about ``seconds`` (or ``steps`` slices);
    returns items scored. Each slice commits on its own, so a run cut short loses nothing.

    The job runs every 15 s and a run goes on for up to ``seconds``, so a large re-score keeps
    going with short pauses; a second run while one is going (Celery beat on a busy worker) finds
    the re-scoring taken and returns at once (decision 0115)."""
    with services.rescoring_claim() as claimed:
        if not claimed:
            return 0
        scored, slices = 0, 0
        deadline = time.monotonic() + seconds
        while (steps is None or slices < steps) and time.monotonic() < deadline:
            job = (
                RescoreJob.objects.filter(status__in=[RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING])
                .order_by("created_at", "pk")
                .first()
            )
            if job is None:
                break
            before = job.done
            slices += 1
            try:
                job = services.rescore_step(job)
            except OperationalError as e:  # a deadlock or a lock timeout: the next run retries the slice
                RescoreJob.objects.filter(pk=job.pk).update(error=str(e)[:2000])
                break
            except Exception as e:  # a broken model file must not wedge the queue: record and move on
                RescoreJob.objects.filter(pk=job.pk).update(status=RescoreJob.Status.FAILED, error=str(e)[:2000])
                continue
            scored += job.done - before
        return scored
