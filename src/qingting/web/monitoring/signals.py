"""Signals the monitoring app sends for the other apps (warnings evaluate rules on them).

``batch_ingested`` is sent after an engine batch's transaction has committed, in the analysing
process, with ``organisation_id``, ``event_ids`` (primary keys of the events the batch created or
changed), ``item_ids`` (the items it placed), ``scheme_events`` (``{scheme id: [event ids]}``: the
events each scheme matches among those) and ``now``. ``scheme_backfilled`` is sent when a scheme
has been applied to stored items, with ``scheme_id`` and ``now``; ``scheme_deleted`` inside the
transaction that deleted (archived) a scheme, with ``scheme_id``. Receivers must be quick and
must not raise (an exception is logged, never passed back to ingestion): heavy work goes to a job.
"""

from __future__ import annotations

from django.dispatch import Signal

batch_ingested = Signal()
scheme_backfilled = Signal()
scheme_deleted = Signal()
