"""Writing audit entries. Call inside the transaction of the write being recorded."""

from __future__ import annotations

from typing import Any

from django.db import models

from qingting.web.audit.middleware import current_correlation_id
from qingting.web.audit.models import AuditEntry


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    old: Any = None,
    new: Any = None,
    reason: str = "",
    ip: str = "",
    actor_label: str = "",
) -> AuditEntry:
    """Append one audit entry. ``actor`` is a user, or ``None`` for the system.

    >>> audit_record(actor=user, action="scheme.create", obj=scheme, new={"name": "供水"})  # doctest: +SKIP
    """
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEntry.objects.create(
        actor=user,
        actor_label=actor_label or (user.get_username() if user is not None else "system"),
        action=action,
        object_type=object_type,
        object_id=object_id,
        old=old,
        new=new,
        reason=reason,
        correlation_id=current_correlation_id(),
        ip=ip,
    )
