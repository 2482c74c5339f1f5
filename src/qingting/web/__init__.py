"""The Qingting web platform (Django): organisation, monitoring data, pages and the JSON API.

Settings live in :mod:`qingting.web.config.settings` (``embedded`` by default, ``server`` when
``QINGTING_DATABASE_URL`` is set). Apps: ``accounts`` (units, users, memberships, sign-in),
``audit`` (the append-only audit log) and ``monitoring`` (sources, schemes, items, events).
"""
