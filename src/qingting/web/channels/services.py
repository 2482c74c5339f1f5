"""Writes for channels: register and edit a channel, change its state.

Every function checks that the actor administers the channel's unit (``actor=None`` is the system:
the command line, the demo and the workers), writes, and records an audit entry in one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.web.accounts.models import Role, Unit, User
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.channels.models import Channel, ChannelKind, ChannelState
from qingting.web.monitoring.models import Source

# The fields a form or the API may set (besides unit, kind and name).
DETAIL_FIELDS = ("url", "account", "registrant", "record_number", "notes", "opened_on", "inspect_automatically")


def require_admin(actor: Any, unit: Unit) -> None:
    """Raise ``PermissionDenied`` unless ``actor`` administers ``unit`` (``None`` = the system)."""
    if actor is not None and not has_role(actor, unit, {str(Role.ADMIN)}):
        raise PermissionDenied(_("Only an administrator of this unit may change its channels."))


def _state(channel: Channel) -> dict[str, Any]:
    return {
        "unit": channel.unit_id,
        "kind": channel.kind,
        "name": channel.name,
        "operator": channel.operator_id,
        "reviewer": channel.reviewer_id,
        "state": channel.state,
        "state_since": channel.state_since.isoformat() if channel.state_since else None,
        "source": channel.source_id,
        "interaction_source": channel.interaction_source_id,
        **{f: (v.isoformat() if isinstance(v, date) else v) for f in DETAIL_FIELDS for v in [getattr(channel, f)]},
    }


def _check_person(user: User | None, unit: Unit, field: str) -> None:
    if user is None:
        return
    if not user.is_active or not has_role(user, unit):
        raise ValidationError({field: _("%(user)s is not a member of %(unit)s.") % {"user": user, "unit": unit}})


def _check_source(source: Source | None, unit: Unit, field: str) -> None:
    if source is None:
        return
    # The source must be one the channel's unit may see: its own, or one of a unit above it.
    if not unit.path.startswith(source.unit.path):
        raise ValidationError({field: _("The source %(source)s belongs to another unit.") % {"source": source}})


def channel_save(
    *,
    actor: Any,
    unit: Unit,
    kind: str,
    name: str,
    operator: User | None = None,
    reviewer: User | None = None,
    source: Source | None = None,
    interaction_source: Source | None = None,
    details: dict[str, Any] | None = None,
    channel: Channel | None = None,
    version: int | None = None,
) -> Channel:
    """Register (``channel=None``) or update a channel of ``unit``.

    ``details`` may hold ``url``, ``account``, ``registrant``, ``record_number``, ``notes``,
    ``opened_on`` and ``inspect_automatically``; ``version`` (from the form) refuses a stale edit.

    >>> channel_save(actor=admin, unit=county, kind="wechat", name="青禾发布")  # doctest: +SKIP
    """
    require_admin(actor, unit)
    if channel is not None:
        require_admin(actor, channel.unit)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("A name is required.")})
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": _("Unknown kind %(kind)s.") % {"kind": kind}})
    unknown = set(details or {}) - set(DETAIL_FIELDS)
    if unknown:
        raise ValidationError({"details": _("Unknown fields: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}})
    _check_person(operator, unit, "operator")
    _check_person(reviewer, unit, "reviewer")
    _check_source(source, unit, "source")
    _check_source(interaction_source, unit, "interaction_source")
    with transaction.atomic():
        created = channel is None
        if channel is None:
            channel = Channel(unit=unit, state_since=timezone.localdate(), created_by=_user(actor))
            old = None
        else:
            channel = Channel.objects.select_for_update().get(pk=channel.pk)
            if version is not None and version != channel.version:
                raise ValidationError(
                    {"version": _("Someone else changed this channel meanwhile; reload and try again.")}
                )
            old = _state(channel)
            channel.version += 1
        clash = Channel.objects.filter(unit=unit, kind=kind, name=name).exclude(pk=channel.pk)
        if clash.exists():
            raise ValidationError(
                {"name": _("This unit already has a channel of this kind named %(name)s.") % {"name": name}}
            )
        channel.unit, channel.kind, channel.name = unit, kind, name
        channel.operator, channel.reviewer = operator, reviewer
        channel.source, channel.interaction_source = source, interaction_source
        for field, value in (details or {}).items():
            setattr(channel, field, value)
        channel.full_clean(exclude=["unit", "operator", "reviewer", "source", "interaction_source", "created_by"])
        channel.save()
        audit_record(
            actor=actor,
            action="channel.create" if created else "channel.update",
            obj=channel,
            old=old,
            new=_state(channel),
        )
    return channel


def channel_set_state(*, actor: Any, channel: Channel, state: str, on: date | None = None, reason: str = "") -> Channel:
    """Move a channel to 运营中 / 暂停 / 关停中 / 已注销 from the date ``on`` (default today).

    A closed (已注销) channel stays closed: register a new one instead of reviving it.
    """
    require_admin(actor, channel.unit)
    if state not in ChannelState.values:
        raise ValidationError({"state": _("Unknown state %(state)s.") % {"state": state}})
    on = on or timezone.localdate()
    with transaction.atomic():
        channel = Channel.objects.select_for_update().select_related("unit").get(pk=channel.pk)
        if channel.state == state:
            return channel
        if channel.state == ChannelState.CLOSED:
            raise ValidationError({"state": _("A closed channel cannot be reopened; register it again.")})
        old = {"state": channel.state, "state_since": channel.state_since.isoformat() if channel.state_since else None}
        channel.state, channel.state_since = state, on
        if state == ChannelState.CLOSED:
            channel.closed_on = on
        channel.version += 1
        channel.save(update_fields=["state", "state_since", "closed_on", "version", "updated_at"])
        audit_record(
            actor=actor,
            action="channel.state",
            obj=channel,
            old=old,
            new={"state": state, "state_since": on.isoformat()},
            reason=reason,
        )
    return channel


def _user(actor: Any) -> User | None:
    return actor if isinstance(actor, User) else None
