"""Signals the monitoring app sends for the other apps (warnings evaluate rules on them).

``batch_ingested`` is sent after a batch's transaction has committed, in the ingesting process,
with ``scheme_id``, ``event_ids`` (primary keys of the events the batch created or changed),
``item_ids`` (the new items) and ``now`` (when the batch was stored). Receivers must be quick and
must not raise (an exception is logged, never passed back to ingestion): heavy work goes to a job.
"""

from __future__ import annotations

from django.dispatch import Signal

batch_ingested = Signal()
