"""Celery tasks: thin wrappers that take ids and plain data and call the platform's services.

Every task is safe to run twice (late acknowledgement redelivers a task whose worker died):
``source_poll`` commits items and fetch state together, ``ingest_items`` skips stored items.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from qingting.workers.celery_app import app


@app.task(name="qingting.poll_source")  # type: ignore[untyped-decorator]  # celery ships no types
def poll_source(source_id: int) -> dict[str, Any]:
    """Poll one source now (fetch, store new items, record health); returns the poll's report."""
    from qingting.web.monitoring.services.polling import source_poll

    report = source_poll(source_id=source_id)
    if report.created and report.organisation_id is not None:  # the poll only stored; the engine runs next
        catch_up_organisation.delay(report.organisation_id)
    return report.as_dict()


@app.task(name="qingting.ingest_batch")  # type: ignore[untyped-decorator]  # celery ships no types
def ingest_batch(scheme_id: int, source_id: int, records: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Store a batch of records (JSON mappings as ``ingest_items`` takes them) for a scheme and source,
    then queue a ``catch_up_organisation`` for the organisation's engine.

    Storing is what a worker does first: batches already queued are stored by every worker in
    parallel, and the engines run after them (a queue is first in, first out). Each scheme's engine
    runs in one worker at a time (a row lock taken with SKIP LOCKED); the worker holding it takes
    every pending item, including those other workers stored meanwhile. The periodic job
    ``monitoring.catch_up`` is the safety net.
    """
    from qingting.web.monitoring.models import Scheme, Source
    from qingting.web.monitoring.services import store_items

    scheme = Scheme.objects.get(pk=scheme_id)
    stored = store_items(source=Source.objects.get(pk=source_id), records=records, schemes=[scheme])
    if stored.created and stored.organisation_id is not None:
        catch_up_organisation.delay(stored.organisation_id)
    return {
        "created": stored.created,
        "skipped": stored.skipped,
        "errors": [f"{e.record}: {e.field}: {e.message}" for e in stored.errors],
    }


@app.task(name="qingting.catch_up")  # type: ignore[untyped-decorator]  # celery ships no types
def catch_up(scheme_id: int) -> int:
    """Run the engine of the scheme's organisation over its pending items unless another worker
    is; returns items analysed. (Kept for tasks queued before decision 0061.)"""
    from qingting.web.monitoring.models import Scheme
    from qingting.web.monitoring.services import pipeline_catch_up

    scheme = Scheme.objects.select_related("unit").filter(pk=scheme_id).first()
    return pipeline_catch_up(scheme=scheme, wait=False).items if scheme is not None else 0


@app.task(name="qingting.catch_up_organisation")  # type: ignore[untyped-decorator]  # celery ships no types
def catch_up_organisation(organisation_id: int) -> int:
    """Run the organisation's engine over its pending items unless another worker is; returns items."""
    from qingting.web.monitoring.services import pipeline_catch_up

    return pipeline_catch_up(organisation=organisation_id, wait=False).items


@app.task(name="qingting.dispatch_due_sources")  # type: ignore[untyped-decorator]  # celery ships no types
def dispatch_due_sources(limit: int = 500) -> int:
    """Beat's periodic task: claim the sources whose next run has come and queue one poll each."""
    from qingting.web.monitoring.services.polling import sources_claim_due

    ids = sources_claim_due(limit=limit)
    for source_id in ids:
        poll_source.delay(source_id)
    return len(ids)


@app.task(name="qingting.run_periodic")  # type: ignore[untyped-decorator]  # celery ships no types
def run_periodic(name: str) -> str:
    """Beat's task for one registered periodic job (:mod:`qingting.web.periodic`); returns its result."""
    from qingting.web import periodic

    return str(periodic.run(name))
