"""Reads of the audit app that other apps use (decision 0079: apps meet through services/selectors)."""

from __future__ import annotations

from qingting.web.audit.middleware import current_correlation_id as current_correlation_id
