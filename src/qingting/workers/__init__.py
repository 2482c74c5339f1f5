"""Workers: the scheduler and task wiring that poll sources and ingest items.

Two modes, one service underneath (``qingting.web.monitoring.services.polling.source_poll``):

* embedded (default): :class:`qingting.workers.embedded.EmbeddedScheduler`, a thread inside
  ``qingting serve`` that polls due sources a few at a time;
* server: :mod:`qingting.workers.celery_app`, Celery workers and beat over Redis.
"""
