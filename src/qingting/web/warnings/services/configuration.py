"""Settings administrators edit: channels, key dates, quiet hours, duty lists, rules, a scheme's
warning settings; and each user's subscriptions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import has_role, visible_unit_ids
from qingting.web.audit.services import audit_record
from qingting.web.monitoring.models import Scheme
from qingting.web.outbound import validate_host, validate_url
from qingting.web.warnings.models import ChannelKind, DutyMember, NotificationChannel, Subscription

ADMIN_ROLES: set[str] = {"admin"}


def require_admin(actor: Any, unit: Unit) -> None:
    if not has_role(actor, unit, ADMIN_ROLES):
        raise PermissionDenied("only an administrator of the unit may change this")


def _admin_unit(actor: Any, unit: Unit) -> None:
    seen = visible_unit_ids(actor)
    if seen is not None and unit.pk not in seen:
        from django.http import Http404

        raise Http404("no such unit")
    require_admin(actor, unit)


@transaction.atomic
def channel_save(
    *,
    actor: Any,
    unit: Unit,
    name: str,
    kind: str,
    url: str = "",
    secret: str = "",
    smtp_host: str = "",
    smtp_port: int = 25,
    smtp_username: str = "",
    smtp_password: str = "",
    smtp_sender: str = "",
    smtp_starttls: bool = False,
) -> NotificationChannel:
    """Add a notification channel to ``unit`` (admins only); secrets are stored encrypted."""
    _admin_unit(actor, unit)
    if kind not in ChannelKind.values:
        raise ValidationError({"kind": f"unknown channel kind {kind!r}"})
    if not name.strip():
        raise ValidationError({"name": "a channel needs a name"})
    if kind == "email":
        if not smtp_host.strip() or not smtp_sender.strip():
            raise ValidationError({"smtp_host": "an e-mail channel needs an SMTP host and a sender address"})
        if not 0 < int(smtp_port) < 65536:
            raise ValidationError({"smtp_port": "the SMTP port is a number from 1 to 65535"})
        validate_host(smtp_host.strip(), int(smtp_port), field="smtp_host")
    elif not url.startswith(("https://", "http://")):
        raise ValidationError({"url": "the channel's URL must start with https:// (or http://)"})
    else:
        validate_url(url, field="url")
    channel = NotificationChannel(
        unit=unit, name=name.strip()[:100], kind=kind, url=url.strip(), secret=secret.strip(),
        smtp_host=smtp_host.strip(), smtp_port=int(smtp_port), smtp_username=smtp_username.strip(),
        smtp_password=smtp_password, smtp_sender=smtp_sender.strip(), smtp_starttls=smtp_starttls,
    )  # fmt: skip
    channel.full_clean(exclude=["secret", "smtp_password"])
    channel.save()
    audit_record(actor=actor, action="warning_channel.create", obj=channel, new={"name": channel.name, "kind": kind})
    return channel


@transaction.atomic
def channel_delete(*, actor: Any, channel_id: int) -> None:
    channel = NotificationChannel.objects.select_related("unit").filter(pk=channel_id).first()
    if channel is None:
        from django.http import Http404

        raise Http404("no such channel")
    _admin_unit(actor, channel.unit)
    audit_record(actor=actor, action="warning_channel.delete", obj=channel, old={"name": channel.name})
    channel.delete()


def channel_set_active(*, actor: Any, channel_id: int, active: bool) -> NotificationChannel:
    """Enable or disable a channel (admins only). A disabled channel sends nothing: no warning,
    escalation or digest is queued for it, and rows already queued are not delivered."""
    with transaction.atomic():
        channel: NotificationChannel | None = (
            NotificationChannel.objects.select_for_update().select_related("unit").filter(pk=channel_id).first()
        )
        if channel is None:
            from django.http import Http404

            raise Http404("no such channel")
        _admin_unit(actor, channel.unit)
        if channel.is_active != active:
            old = channel.is_active
            channel.is_active = active
            channel.save(update_fields=["is_active"])
            audit_record(
                actor=actor, action="warning_channel.enable" if active else "warning_channel.disable", obj=channel,
                old={"is_active": old}, new={"is_active": active},
            )  # fmt: skip
    return channel


@transaction.atomic
def key_date_add(
    *, actor: Any, unit: Unit, label: str, start: Any, end: Any, factor: float = 0.5, annual: bool = False,
    watch_24h: bool = True,
) -> Any:  # fmt: skip
    """Add a key date or period to ``unit``'s calendar (tightens thresholds of its schemes)."""
    from qingting.core.warnings import KeyDate as CoreKeyDate
    from qingting.web.warnings.models import KeyDate

    _admin_unit(actor, unit)
    if not label.strip():
        raise ValidationError({"label": "a key date needs a label"})
    try:
        CoreKeyDate(start, end, label, factor=float(factor), annual=annual, watch_24h=watch_24h)
    except ValueError as exc:
        raise ValidationError({"factor": str(exc)}) from exc
    kd = KeyDate.objects.create(
        unit=unit, label=label.strip()[:100], start=start, end=end, factor=float(factor), annual=annual,
        watch_24h=watch_24h,
    )  # fmt: skip
    audit_record(actor=actor, action="warning_keydate.create", obj=kd, new={"label": kd.label, "start": str(start)})
    return kd


@transaction.atomic
def key_date_delete(*, actor: Any, key_date_id: int) -> None:
    from qingting.web.warnings.models import KeyDate

    kd = KeyDate.objects.select_related("unit").filter(pk=key_date_id).first()
    if kd is None:
        from django.http import Http404

        raise Http404("no such key date")
    _admin_unit(actor, kd.unit)
    audit_record(actor=actor, action="warning_keydate.delete", obj=kd, old={"label": kd.label})
    kd.delete()


@transaction.atomic
def quiet_hours_set(*, actor: Any, unit: Unit, start: Any = None, end: Any = None, min_tier: int = 2) -> Any:
    """Set (or, with ``start=None``, clear) the unit's quiet hours."""
    from qingting.web.warnings.models import QuietHours

    _admin_unit(actor, unit)
    old = QuietHours.objects.filter(unit=unit).first()
    if start is None or end is None:
        if old is not None:
            audit_record(actor=actor, action="warning_quiet.clear", obj=old, old={"start": str(old.start)})
            old.delete()
        return None
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    q, _ = QuietHours.objects.update_or_create(unit=unit, defaults={"start": start, "end": end, "min_tier": min_tier})
    audit_record(
        actor=actor, action="warning_quiet.set", obj=q, new={"start": str(start), "end": str(end), "min_tier": min_tier}
    )
    return q


@transaction.atomic
def duty_set(*, actor: Any, unit: Unit, users: Sequence[Any]) -> list[DutyMember]:
    """Replace the unit's duty list with ``users`` in order (each must see the unit)."""
    _admin_unit(actor, unit)
    for u in users:
        seen = visible_unit_ids(u)
        if seen is not None and unit.pk not in seen:
            raise ValidationError({"users": f"{u} is not a member of {unit.name} (or of a unit above it)"})
    if len({u.pk for u in users}) != len(users):
        raise ValidationError({"users": "a person appears twice on the duty list"})
    old = list(DutyMember.objects.filter(unit=unit).values_list("user_id", flat=True))
    DutyMember.objects.filter(unit=unit).delete()
    rows = [DutyMember.objects.create(unit=unit, user=u, position=i) for i, u in enumerate(users)]
    audit_record(
        actor=actor, action="warning_duty.set", obj=unit, old={"users": old}, new={"users": [u.pk for u in users]}
    )
    return rows


@transaction.atomic
def rules_set(*, actor: Any, scheme: Scheme, rules: Sequence[dict[str, Any]]) -> list[Any]:
    """Replace the scheme's warning rules (an empty list returns it to the default rules)."""
    from qingting.web.warnings.models import WarningRule
    from qingting.web.warnings.policy import rule_to_core

    _admin_unit(actor, scheme.unit)
    rows = []
    for i, r in enumerate(rules, start=1):
        row = WarningRule(scheme=scheme, **r)
        try:
            rule_to_core(row)
        except (ValueError, KeyError) as exc:
            raise ValidationError({"rules": f"rule {i}: {exc}"}) from exc
        rows.append(row)
    old = list(WarningRule.objects.filter(scheme=scheme).values())
    WarningRule.objects.filter(scheme=scheme).delete()
    for row in rows:
        row.save()
    audit_record(
        actor=actor,
        action="warning_rules.set",
        obj=scheme,
        old={"rules": len(old)},
        new={"rules": [dict(r) for r in rules]},
    )
    return rows


@transaction.atomic
def subscription_add(
    *, actor: Any, channel_id: int, scheme_id: int | None = None, min_tier: int = 3, digest: bool = True
) -> Subscription:
    """The signed-in user subscribes to warnings (of one scheme, or all they see) by a channel."""
    seen = visible_unit_ids(actor)
    channel = NotificationChannel.objects.filter(pk=channel_id, is_active=True).first()
    if channel is None or (seen is not None and channel.unit_id not in seen):
        raise ValidationError({"channel": "choose a channel of your units"})
    scheme = None
    if scheme_id:
        scheme = Scheme.objects.filter(pk=scheme_id).first()
        if scheme is None or (seen is not None and scheme.unit_id not in seen):
            raise ValidationError({"scheme": "choose a scheme of your units"})
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    if channel.kind == ChannelKind.EMAIL and not (actor.email or "").strip():
        raise ValidationError({"channel": "your account has no e-mail address"})
    sub = Subscription.objects.create(user=actor, scheme=scheme, min_tier=min_tier, channel=channel, digest=digest)
    audit_record(
        actor=actor, action="warning_subscription.create", obj=sub, new={"channel": channel.pk, "tier": min_tier}
    )
    return sub


@transaction.atomic
def subscription_delete(*, actor: Any, subscription_id: int) -> None:
    sub = Subscription.objects.filter(pk=subscription_id, user=actor).first()
    if sub is None:
        from django.http import Http404

        raise Http404("no such subscription")
    audit_record(actor=actor, action="warning_subscription.delete", obj=sub)
    sub.delete()


@transaction.atomic
def scheme_settings_set(
    *,
    actor: Any,
    scheme: Scheme,
    window_seconds: int = 3600,
    cooldown_seconds: int = 6 * 3600,
    min_tier: int = 4,
    ack_timeouts: dict[int, int | None] | None = None,
) -> Any:
    """Set a scheme's window, cooldown, lowest tier and escalation timeouts (per tier, ``None`` = never)."""
    from qingting.web.warnings.models import SchemeWarningSettings

    _admin_unit(actor, scheme.unit)
    if not 60 <= window_seconds <= 7 * 86400:
        raise ValidationError({"window_seconds": "the window is between 60 seconds and 7 days"})
    if not 0 <= cooldown_seconds <= 30 * 86400:
        raise ValidationError({"cooldown_seconds": "the cooldown is between 0 and 30 days"})
    if min_tier not in (1, 2, 3, 4):
        raise ValidationError({"min_tier": "choose a tier"})
    timeouts = {1: 600, 2: 1800, 3: 4 * 3600, 4: None, **(ack_timeouts or {})}
    for tier, v in timeouts.items():
        if v is not None and not 60 <= v <= 7 * 86400:
            raise ValidationError({"ack_timeouts": f"tier {tier}: a timeout is between 60 seconds and 7 days"})
    row, _ = SchemeWarningSettings.objects.update_or_create(
        scheme=scheme,
        defaults={
            "window_seconds": window_seconds,
            "cooldown_seconds": cooldown_seconds,
            "min_tier": min_tier,
            "ack_timeout_1": timeouts[1],
            "ack_timeout_2": timeouts[2],
            "ack_timeout_3": timeouts[3],
            "ack_timeout_4": timeouts[4],
        },
    )
    audit_record(
        actor=actor, action="warning_settings.set", obj=scheme,
        new={"window": window_seconds, "cooldown": cooldown_seconds, "min_tier": min_tier,
             "ack_timeouts": {str(k): v for k, v in timeouts.items()}},
    )  # fmt: skip
    return row
