"""Periodic jobs: retrain each organisation's model from new corrections; advance re-scoring."""

from __future__ import annotations

from datetime import datetime

from qingting.web.sentiment import services
from qingting.web.sentiment.models import RescoreJob


def retrain_all(now: datetime) -> int:
    """Retrain every organisation that has new corrections; returns how many versions were made."""
    made = 0
    for org in services.organisations_with_corrections():
        if services.retrain(org).version is not None:
            made += 1
    return made


def rescore_step(now: datetime, *, steps: int = 20) -> int:
    """Advance the open re-scoring jobs by up to ``steps`` slices in all; returns items scored."""
    scored = 0
    for _ in range(steps):
        job = RescoreJob.objects.filter(status__in=[RescoreJob.Status.QUEUED, RescoreJob.Status.RUNNING]).first()
        if job is None:
            break
        before = job.done
        try:
            job = services.rescore_step(job)
        except Exception as e:  # a broken model file must not wedge the queue: record and move on
            RescoreJob.objects.filter(pk=job.pk).update(status=RescoreJob.Status.FAILED, error=str(e)[:2000])
            continue
        scored += job.done - before
    return scored
