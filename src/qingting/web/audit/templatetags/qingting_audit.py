"""``{% load qingting_audit %}``: ``{{ entry|audit_action }}`` and ``{{ entry|audit_actor }}``."""

from __future__ import annotations

from typing import Any

from django import template

from qingting.web.audit.labels import action_label, actor_label

register = template.Library()


@register.filter
def audit_action(entry: Any) -> str:
    return action_label(str(getattr(entry, "action", entry)))


@register.filter
def audit_actor(entry: Any) -> str:
    return actor_label(entry)
