"""Settings split by environment: ``base`` (shared), ``embedded``, ``server``, ``test``."""
