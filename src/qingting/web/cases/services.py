"""Writes about cases. ONE service changes a case's state: :func:`case_act`.

``case_act`` locks the row (``SELECT … FOR UPDATE``), checks the optimistic version, maps the
actor's memberships to case roles, asks the core state machine
(:func:`qingting.core.cases.workflow.apply_action`) whether the move is allowed, applies it,
recomputes the deadlines from the SLA policy and the working-day calendar, bumps ``version`` and
appends the audit entry (:class:`~qingting.web.cases.models.CaseAction`) — all in one
transaction. Nothing else sets ``status``.

Besides the table's actions, three actions change no state but go through the same path (lock,
version, roles, audit): ``extend`` (an approved extension of the close limit), ``add_task`` and
``complete_task`` (joint handling, 联合办理).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, overload

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from qingting.core.cases import sla as core_sla
from qingting.core.cases.calendar import to_china
from qingting.core.cases.workflow import (
    TRANSITIONS,
    Action,
    CaseNumber,
    CaseSnapshot,
    CaseState,
    JointTask,
    SignOff,
    TransitionError,
    apply_action,
)
from qingting.core.cases.workflow import Role as CoreRole
from qingting.web.accounts import selectors as account_selectors
from qingting.web.accounts.models import Unit, User
from qingting.web.audit.selectors import current_correlation_id
from qingting.web.cases import selectors
from qingting.web.cases.labels import action_label
from qingting.web.cases.models import (
    CLOSED_STATES,
    TEXT_LIMITS,
    Case,
    CaseAction,
    CaseAttachment,
    CaseContact,
    CaseCounter,
    CasePrefix,
    CaseReply,
    CaseTask,
    Category,
    Channel,
    Open311Client,
    OriginKind,
    Priority,
    ReplyKind,
    Status,
    UnitProfile,
)


class CaseConflict(Exception):
    """The case changed since the caller read it (stale version, or a concurrent writer won)."""

    def __init__(self, message: str, *, current_version: int | None = None) -> None:
        super().__init__(message)
        self.current_version = current_version


PLATFORM_ACTIONS = ("extend", "add_task", "complete_task")
"""Actions with no state change that still go through :func:`case_act` (lock, version, audit)."""

ACTIONS: tuple[str, ...] = tuple(a.value for a in Action) + PLATFORM_ACTIONS

_BY_ACTION = {t.action: t for t in TRANSITIONS}
_PLATFORM_ROLES: dict[str, frozenset[CoreRole]] = {
    "extend": frozenset({CoreRole.DISPATCHER, CoreRole.ADMIN, CoreRole.LEADER}),
    "add_task": frozenset({CoreRole.DISPATCHER, CoreRole.ADMIN}),
    "complete_task": frozenset({CoreRole.HANDLER, CoreRole.DISPATCHER, CoreRole.ADMIN}),
}

# Which clock event (core sla.EventKind) each action puts on the case's timeline.
_CLOCK: dict[str, core_sla.EventKind] = {
    Action.REGISTER: core_sla.EventKind.ACKNOWLEDGED,
    Action.DECLINE: core_sla.EventKind.ACKNOWLEDGED,
    Action.PEND: core_sla.EventKind.PAUSED,
    Action.RESUME: core_sla.EventKind.RESUMED,
    Action.ANSWER: core_sla.EventKind.ANSWERED,
    Action.CLOSE: core_sla.EventKind.CLOSED,
}

# Fields whose before/after values go into the audit entry.
_TRACKED = (
    "status",
    "unit_id",
    "assignee_id",
    "ack_due",
    "answer_due",
    "close_due",
    "closed_at",
    "on_time",
    "merged_into_id",
    "signed_off_by_id",
    "extensions",
    "sla_policy",
)


def _now() -> datetime:
    return timezone.now()


def _actor_label(actor: Any) -> str:
    return actor.get_username() if actor is not None else "system"


def _audit_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _state(case: Case) -> dict[str, Any]:
    return {f: _audit_value(getattr(case, f)) for f in _TRACKED}


def _diff(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in before if before[k] != after[k]]
    return {k: before[k] for k in keys}, {k: after[k] for k in keys}


# --- messages users see (translated; names, never ids) ---------------------------------------------

_ROLE_LABELS: dict[str, Any] = {
    CoreRole.INTAKE: gettext_lazy("intake clerk"),
    CoreRole.DISPATCHER: gettext_lazy("dispatcher"),
    CoreRole.HANDLER: gettext_lazy("handler"),
    CoreRole.LEADER: gettext_lazy("leader"),
    CoreRole.ADMIN: gettext_lazy("administrator"),
    CoreRole.SYSTEM: gettext_lazy("system"),
}


_TIME_UNITS: dict[str, Any] = {
    "working_days": gettext_lazy("working days"),
    "calendar_days": gettext_lazy("calendar days"),
    "working_hours": gettext_lazy("working hours"),
}


def _action_label(action: str) -> str:
    return action_label(str(action))


def _state_label(state: str) -> str:
    return str(dict(Status.choices).get(str(state), state))


def _needs_roles(action: str, roles: Iterable[CoreRole]) -> str:
    names = "、".join(str(_ROLE_LABELS.get(r, r)) for r in sorted(roles, key=lambda r: r.value))
    return _("“%(action)s” needs one of these roles on the case's unit: %(roles)s.") % {
        "action": _action_label(action),
        "roles": names,
    }


def _changed(case: Case) -> str:
    return _("Case %(number)s was changed by someone else. Reload it and try again.") % {"number": case.number}


def _unit_names(ids: Iterable[str]) -> str:
    wanted = [int(i) for i in ids if str(i).isdigit()]
    names = dict(Unit.objects.filter(pk__in=wanted).values_list("pk", "name"))
    return "、".join(str(names.get(int(i), i)) if str(i).isdigit() else str(i) for i in ids)


def _transition_message(exc: TransitionError, case: Case) -> str:
    """The core's refusal in the user's language, with unit names (the core speaks English and ids)."""
    text = str(exc)
    action, state = _action_label(exc.action.value), _state_label(exc.state.value)
    if m := re.fullmatch(r"joint tasks still open: (.*)", text):
        return _("Joint tasks are still open for: %(units)s.") % {"units": _unit_names(m[1].split(", "))}
    if text.startswith("cannot "):
        return _("Cannot do “%(action)s” on a case that is %(state)s.") % {"action": action, "state": state}
    if " needs one of the roles: " in text:
        return _needs_roles(exc.action.value, _BY_ACTION[exc.action].roles)
    if text.endswith(" needs a reason"):
        return _("“%(action)s” needs a reason.") % {"action": action}
    if "sign-off" in text:
        return _("This category needs a leader's sign-off (签批) before it is answered.")
    if text.startswith("merge needs"):
        return _("Merging needs the case this one duplicates.")
    if m := re.search(r"within (\d+) days", text):
        return _("A case can be reopened only within %(days)s days of closing.") % {"days": m[1]}
    return text


def _extension_message(exc: core_sla.SlaError, policy: core_sla.SlaPolicy, *, reason: str, amount: float) -> str:
    """Why an extension is refused, in the user's language."""
    if not reason.strip():
        return _("An extension needs a reason (it is told to the citizen).")
    if policy.close is None:
        return _("The time-limit policy %(policy)s has no close target to extend.") % {
            "policy": policy.label or policy.name
        }
    if amount <= 0:
        return _("An extension must be positive.")
    if "at most" in str(exc):
        return _("An extension may be at most %(amount)s %(unit)s.") % {
            "amount": f"{policy.max_extension:g}",
            "unit": _TIME_UNITS.get(policy.close.unit.value, policy.close.unit.value),
        }
    return _("The time-limit policy %(policy)s allows %(n)d extension(s), and they are used.") % {
        "policy": policy.label or policy.name,
        "n": policy.max_extensions,
    }


# --- the clock and deadlines --------------------------------------------------------------------


def _clock_add(case: Case, at: datetime, kind: core_sla.EventKind, amount: float = 0) -> None:
    entry: list[Any] = [to_china(at).isoformat(), kind.value]
    if amount:
        entry.append(amount)
    case.clock = [*(case.clock or []), entry]


def _policy_for(case: Case) -> core_sla.SlaPolicy:
    return core_sla.match_policy(
        selectors.sla_policies(), category=case.category, priority=case.priority, channel=case.channel
    )


def recompute_deadlines(case: Case, *, now: datetime, policy: core_sla.SlaPolicy | None = None) -> core_sla.SlaStatus:
    """Set the due dates, the next due time, the alert time and the calendar notice from the clock.

    Called on every change. Paused (pending) cases have no ``next_due``: they are not overdue.
    """
    policies, calendar = selectors.rules()
    policy = policy or core_sla.match_policy(
        policies, category=case.category, priority=case.priority, channel=case.channel
    )
    status = core_sla.compute_sla(policy, selectors.clock_events(case), calendar, now=now)
    case.sla_policy = policy.name
    dues: dict[core_sla.Stage, datetime | None] = {s: None for s in core_sla.Stage}
    notices: list[str] = []
    open_dues: list[datetime] = []
    alerts: list[datetime] = []
    for t in status.targets:
        if t.due is None:
            continue
        dues[t.stage] = t.due.due
        notices.extend(n for n in t.notices if n not in notices)
        if t.on_time is None and t.state is not core_sla.ClockState.PAUSED:
            open_dues.append(t.due.due)
            if t.remind_at is not None:
                alerts.append(t.remind_at)
    case.ack_due = dues[core_sla.Stage.ACKNOWLEDGE]
    case.answer_due = dues[core_sla.Stage.ANSWER]
    case.close_due = dues[core_sla.Stage.CLOSE]
    is_open = case.status not in CLOSED_STATES
    case.next_due = min(open_dues) if open_dues and is_open else None
    case.next_alert_at = min(alerts) if alerts and is_open else None
    case.deadline_notice = "；".join(notices)[:500]
    return status


# --- numbering ---------------------------------------------------------------------------------

_BAD_ABBR = re.compile(r"[〔〕\[\]()（）\s\d]")


def unit_abbreviation(unit: Unit) -> str:
    """The unit's abbreviation for case numbers (its :class:`UnitProfile`, else from its name)."""
    profile = UnitProfile.objects.filter(unit=unit).first()
    if profile is not None and profile.abbreviation:
        return profile.abbreviation
    cleaned = _BAD_ABBR.sub("", unit.name) or _BAD_ABBR.sub("", unit.code) or "案"
    return cleaned[:2]


_CN_DIGITS = str.maketrans("0123456789", "〇一二三四五六七八九")


def _prefix_candidates(unit: Unit, wanted: str) -> list[str]:
    """Prefixes to try for ``unit``, shortest first: its abbreviation, more of its name, the name
    after its parent's prefix, and at last the name with the unit's id (always free)."""
    name = _BAD_ABBR.sub("", unit.name) or _BAD_ABBR.sub("", unit.code) or "案"
    out = [wanted, *(name[:n] for n in range(len(wanted) + 1, len(name) + 1))]
    parent = getattr(unit, "parent", None)
    if parent is not None:
        out.append(_BAD_ABBR.sub("", unit_abbreviation(parent)) + name)
    out.append(f"{name}·{str(unit.pk).translate(_CN_DIGITS)}")
    seen: list[str] = []
    for c in out:
        c = c[:40]
        if c and c not in seen:
            seen.append(c)
    return seen


def _prefix_free(prefix: str, unit: Unit) -> bool:
    """No other unit holds ``prefix`` or is called so, and no other unit's number (also from before
    prefixes were stored) starts with it."""
    if CasePrefix.objects.filter(prefix=prefix).exclude(unit=unit).exists():
        return False
    if Unit.objects.filter(name=prefix).exclude(pk=unit.pk).exists():  # 柳湾镇河西社区 is not "柳湾镇"
        return False
    return not Case.objects.filter(number__startswith=f"{prefix}〔").exclude(number_unit=unit).exists()


def number_prefix(unit: Unit) -> str:
    """The prefix of ``unit``'s case numbers, unique across units (decision 0071).

    Called with the unit's counter row locked. Two units whose names begin alike (柳湾镇 and
    柳湾镇河西社区) get ``柳湾`` and ``柳湾镇河``; a prefix is never given to a second unit, and
    never to a unit while another unit's numbers carry it.
    """
    wanted = unit_abbreviation(unit)
    row = CasePrefix.objects.filter(unit=unit).first()
    if row is not None and wanted in (row.prefix, row.wanted):
        return row.prefix
    for candidate in _prefix_candidates(unit, wanted):
        if row is not None and candidate == row.prefix:
            return candidate
        if not _prefix_free(candidate, unit):
            continue
        try:
            with transaction.atomic():  # a savepoint: another unit may claim it at the same moment
                CasePrefix.objects.update_or_create(unit=unit, defaults={"prefix": candidate, "wanted": wanted})
        except IntegrityError:
            continue
        return candidate
    raise RuntimeError(f"no free case-number prefix for unit {unit.pk}")  # unreachable: the last has the id


def _next_number(unit: Unit, year: int) -> tuple[str, int]:
    """The next number in ``unit`` for ``year``; the counter row is locked until the transaction ends."""
    CaseCounter.objects.bulk_create([CaseCounter(unit=unit, year=year, last=0)], ignore_conflicts=True)
    counter = CaseCounter.objects.select_for_update().get(unit=unit, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return str(CaseNumber(number_prefix(unit), year, counter.last)), counter.last


# --- create ------------------------------------------------------------------------------------

CONTACT_FIELDS = ("name", "phone", "email", "address")


def _check_choice(value: str, choices: Iterable[str], what: str) -> None:
    allowed = list(choices)
    if value not in allowed:
        raise ValidationError(
            {
                what: [
                    _("Unknown %(what)s %(value)r; expected one of: %(allowed)s.")
                    % {"what": what, "value": value, "allowed": ", ".join(allowed)}
                ]
            }
        )


def _record(
    case: Case,
    *,
    actor: Any,
    action: str,
    old_state: str,
    version: int | None,
    old: dict[str, Any] | None,
    new: dict[str, Any] | None,
    reason: str,
    at: datetime,
    correlation_id: str,
) -> CaseAction:
    return CaseAction.objects.create(
        case=case,
        version=version,
        actor=actor,
        actor_label=_actor_label(actor),
        action=action,
        old_state=old_state,
        new_state=case.status,
        old=old,
        new=new,
        reason=reason,
        correlation_id=correlation_id,
        at=at,
    )


_LIMIT_MESSAGES = {
    "summary": gettext_lazy("The summary is %(n)d characters; at most %(limit)d."),
    "description": gettext_lazy("The description is %(n)d characters; at most %(limit)d."),
    "region": gettext_lazy("The place is %(n)d characters; at most %(limit)d."),
    "address": gettext_lazy("The address is %(n)d characters; at most %(limit)d."),
    "body": gettext_lazy("The text is %(n)d characters; at most %(limit)d."),
    "reason": gettext_lazy("The reason is %(n)d characters; at most %(limit)d."),
}


def _check_lengths(**fields: str) -> None:
    """``ValidationError`` naming every field longer than its limit (:data:`models.TEXT_LIMITS`)."""
    errors = {
        name: [_LIMIT_MESSAGES[name] % {"n": len(value), "limit": TEXT_LIMITS[name]}]
        for name, value in fields.items()
        if len(value) > TEXT_LIMITS[name]
    }
    if errors:
        raise ValidationError(errors)


def case_create(
    *,
    actor: Any,
    unit: Unit,
    channel: str,
    category: str,
    summary: str,
    description: str = "",
    priority: str = "normal",
    region: str = "",
    contact: dict[str, str] | None = None,
    event: Any = None,
    item: Any = None,
    origin_kind: str = "manual",
    origin_id: int | None = None,
    received_at: datetime | None = None,
    address: str = "",
    lat: float | None = None,
    lon: float | None = None,
    now: datetime | None = None,
) -> Case:
    """Register a new case (state ``received``) in ``unit`` with its number, deadlines and audit entry.

    ``actor=None`` is the system (intake robots, Open311). A user needs an intake, dispatcher,
    handler or admin role on ``unit``. ``contact`` keys: name, phone, email, address (encrypted,
    shown only to the case's handlers). ``now`` is the time of the registration (default: the
    clock; the demo and tests give it). One case per ``item``: a second one is a ``ValidationError``.
    """
    if actor is not None and not (selectors.case_roles(actor, unit) & selectors.CREATE_ROLES):
        raise PermissionDenied(
            _("Registering cases in %(unit)s needs the administrator, reviewer, handler or analyst role there.")
            % {"unit": unit.name}
        )
    summary = (summary or "").strip()
    if not summary:
        raise ValidationError({"summary": [_("A summary is required.")]})
    _check_lengths(summary=summary, description=description or "", region=region or "", address=address or "")
    _check_choice(channel, Channel.values, "channel")
    _check_choice(priority, Priority.values, "priority")
    _check_choice(origin_kind, OriginKind.values, "origin_kind")
    known = list(Category.objects.filter(is_active=True).values_list("code", flat=True))
    if known or Category.objects.exists():
        _check_choice(category, known, "category")
    elif not re.fullmatch(r"[-a-zA-Z0-9_]{1,40}", category or ""):
        # No categories configured at all (e.g. a flushed test database): any code-like value.
        raise ValidationError(
            {"category": [_("Category %(c)r must be a short code (letters, digits, -, _).") % {"c": category}]}
        )
    contact = dict(contact or {})
    unknown = sorted(set(contact) - set(CONTACT_FIELDS))
    if unknown:
        raise ValidationError(
            {
                "contact": [
                    _("Unknown contact field(s) %(unknown)s; expected %(fields)s.")
                    % {"unknown": ", ".join(unknown), "fields": ", ".join(CONTACT_FIELDS)}
                ]
            }
        )
    now = now or _now()
    received = received_at or now
    if timezone.is_naive(received):
        raise ValidationError({"received_at": [_("Give an aware datetime (with a time zone).")]})
    with transaction.atomic():
        number, seq = _next_number(unit, to_china(received).year)
        case = Case(
            unit=unit,
            number_unit=unit,
            number=number,
            year=to_china(received).year,
            seq=seq,
            channel=channel,
            category=category,
            priority=priority,
            summary=summary,
            description=description or "",
            region=region or "",
            address=address or "",
            lat=lat,
            lon=lon,
            status=Status.RECEIVED,
            is_open=True,
            version=0,
            received_at=received,
            updated_at=now,
            event_id=getattr(event, "pk", event),
            item_id=getattr(item, "pk", item),
            origin_kind=origin_kind,
            origin_id=origin_id,
        )
        _clock_add(case, received, core_sla.EventKind.RECEIVED)
        recompute_deadlines(case, now=now)
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction stays usable
                case.save()
        except IntegrityError:
            if case.item_id is None:
                raise
            other = Case.objects.filter(item_id=case.item_id).values_list("number", flat=True).first()
            if other is None:
                raise
            raise ValidationError(
                {"item": [_("This message already has a case: %(number)s.") % {"number": other}]},
                code="item_has_case",
            ) from None
        if any(str(v or "").strip() for v in contact.values()):
            CaseContact.objects.create(case=case, **{k: str(contact.get(k) or "").strip() for k in CONTACT_FIELDS})
        _record(
            case,
            actor=actor,
            action="create",
            old_state="",
            version=0,
            old=None,
            new={
                "number": number,
                "unit_id": unit.pk,
                "channel": channel,
                "category": category,
                "priority": priority,
                "origin_kind": origin_kind,
                "origin_id": origin_id,
                **{k: _audit_value(v) for k, v in _state(case).items()},
            },
            reason="",
            at=now,
            correlation_id=current_correlation_id() or uuid.uuid4().hex,
        )
    return case


# --- the one transition service -----------------------------------------------------------------


def _snapshot(case: Case, *, need_tasks: bool) -> CaseSnapshot:
    tasks: tuple[JointTask, ...] = ()
    if need_tasks:
        tasks = tuple(
            JointTask(str(t.unit_id), t.lead, t.done_at) for t in CaseTask.objects.filter(case=case).order_by("pk")
        )
    sign_off = None
    if case.signed_off_at is not None:
        sign_off = SignOff(str(case.signed_off_by_id), case.sign_off_instructions, case.signed_off_at)
    return CaseSnapshot(
        state=CaseState(case.status),
        requires_sign_off=need_tasks and selectors.category_requires_sign_off(case.category),
        sign_off=sign_off,
        tasks=tasks,
        closed_at=case.closed_at,
        merged_into=str(case.merged_into_id) if case.merged_into_id else None,
        version=case.version,
    )


@overload
def _int(payload: dict[str, Any], key: str, *, required: Literal[True]) -> int: ...


@overload
def _int(payload: dict[str, Any], key: str, *, required: bool) -> int | None: ...


def _int(payload: dict[str, Any], key: str, *, required: bool) -> int | None:
    raw = payload.get(key)
    if raw in (None, ""):
        if required:
            raise ValidationError({key: [_("This action needs it.")]})
        return None
    try:
        return int(getattr(raw, "pk", raw))
    except (TypeError, ValueError):
        raise ValidationError({key: [_("Must be an id, got %(raw)r.") % {"raw": raw}]}) from None


def _unit(unit_id: int, field: str) -> Unit:
    unit = Unit.objects.filter(pk=unit_id).first()
    if unit is None:
        raise ValidationError({field: [_("No unit with id %(id)s.") % {"id": unit_id}]})
    return unit


def _may_see(actor: Any, case: Case) -> bool:
    if actor is None:
        return True
    ids = account_selectors.visible_unit_ids(actor)
    if ids is None or case.unit_id in ids:
        return True
    return bool(ids) and CaseTask.objects.filter(case=case, unit_id__in=ids).exists()


def _apply_core(
    case: Case, action: Action, *, actor: Any, roles: frozenset[CoreRole], now: datetime, reason: str, payload: Any
) -> dict[str, Any]:
    """Check and apply one table action to ``case`` (in memory). Returns extra audit detail."""
    spec = _BY_ACTION[action]
    if CaseState(case.status) in spec.sources and not roles & spec.roles:
        raise PermissionDenied(_needs_roles(action.value, spec.roles))
    detail: dict[str, Any] = {}
    merge_into: Case | None = None
    if action is Action.MERGE:
        target_id = _int(payload, "merge_into", required=True)
        merge_into = Case.objects.filter(pk=target_id).first()
        if merge_into is None or not _may_see(actor, merge_into):
            raise ValidationError({"merge_into": [_("No case with id %(id)s among yours.") % {"id": target_id}]})
        if merge_into.pk == case.pk or merge_into.status == Status.DUPLICATE:
            raise ValidationError({"merge_into": [_("Merge into another case that is not itself a duplicate.")]})
    snapshot = _snapshot(case, need_tasks=action is Action.ANSWER)
    try:
        new, _audit = apply_action(
            snapshot,
            action,
            actor=_actor_label(actor),
            roles=roles,
            now=now,
            reason=reason,
            merge_into=merge_into.number if merge_into else None,
            reopen_days=int(getattr(settings, "QINGTING_CASE_REOPEN_DAYS", 30)),
        )
    except TransitionError as exc:
        raise ValidationError(_transition_message(exc, case)) from exc

    # Effects beyond the state, per action.
    if action is Action.ASSIGN:
        unit_id = _int(payload, "unit_id", required=False)
        if unit_id is not None and unit_id != case.unit_id:
            target = _unit(unit_id, "unit_id")
            if actor is not None and not (selectors.case_roles(actor, target) & {CoreRole.DISPATCHER, CoreRole.ADMIN}):
                raise PermissionDenied(
                    _("Assigning to %(unit)s needs the dispatcher or admin role there.") % {"unit": target.name}
                )
            case.unit = target
        assignee_id = _int(payload, "assignee_id", required=False)
        if assignee_id is not None:
            assignee = User.objects.filter(pk=assignee_id, is_active=True).first()
            if assignee is None or not (
                selectors.case_roles(assignee, case.unit) & {CoreRole.HANDLER, CoreRole.DISPATCHER, CoreRole.ADMIN}
            ):
                raise ValidationError(
                    {
                        "assignee_id": [
                            _("%(user)s is not a handler of %(unit)s.")
                            % {"user": assignee or assignee_id, "unit": case.unit.name}
                        ]
                    }
                )
            case.assignee = assignee
        else:
            case.assignee = None
    elif action is Action.CLAIM:
        if (
            case.assignee_id is not None
            and case.assignee_id != getattr(actor, "pk", None)
            and not roles & {CoreRole.DISPATCHER, CoreRole.ADMIN}
        ):
            raise PermissionDenied(
                _("This case is assigned to %(user)s; only they or a dispatcher may claim it.")
                % {"user": case.assignee}
            )
        if actor is not None:
            case.assignee = actor
    elif action is Action.TRANSFER:
        unit_id = _int(payload, "unit_id", required=True)
        assert unit_id is not None
        if unit_id == case.unit_id:
            raise ValidationError({"unit_id": [_("Transfer to another unit.")]})
        target = _unit(unit_id, "unit_id")
        detail["from_unit"] = case.unit.name
        detail["to_unit"] = target.name
        case.unit = target
        case.assignee = None
    elif action is Action.MERGE:
        assert merge_into is not None
        case.merged_into = merge_into
        detail["merged_into"] = merge_into.number
    elif action is Action.SIGN_OFF:
        case.signed_off_by = actor
        case.sign_off_instructions = new.sign_off.instructions if new.sign_off else reason
        case.signed_off_at = now
    elif action is Action.RETURN:
        case.signed_off_by = None
        case.sign_off_instructions = ""
        case.signed_off_at = None
    elif action is Action.ANSWER:
        reply = str(payload.get("reply") or "").strip()
        if reply:
            CaseReply.objects.create(case=case, kind=ReplyKind.PUBLIC, body=reply, author=actor, created_at=now)
            case.public_reply = reply
            detail["reply"] = reply
        elif not case.public_reply:
            raise ValidationError({"reply": [_("Answering needs the public reply (what the citizen is told).")]})

    case.status = new.state.value
    case.is_open = new.state.value not in CLOSED_STATES
    case.closed_at = new.closed_at
    if action is Action.PEND:
        case.paused_at = now
    elif action is Action.RESUME and case.paused_at is not None:
        case.paused_seconds += (now - case.paused_at).total_seconds()
        case.paused_at = None
    kind = _CLOCK.get(action)
    if kind is not None:
        _clock_add(case, now, kind)
    if action is Action.DECLINE:
        _clock_add(case, now, core_sla.EventKind.CLOSED)
    if action is Action.REOPEN:
        # A reopened case is measured by a fresh timeline starting at the reopening (docs/cases.md).
        case.clock = []
        _clock_add(case, now, core_sla.EventKind.RECEIVED)
        case.reopen_count += 1
        case.on_time = None
        case.extensions = 0
        case.paused_seconds = 0
        case.assignee = None
    return detail


def _apply_platform(
    case: Case, action: str, *, actor: Any, roles: frozenset[CoreRole], now: datetime, reason: str, payload: Any
) -> dict[str, Any]:
    if not roles & _PLATFORM_ROLES[action] and action != "complete_task":
        raise PermissionDenied(_needs_roles(action, _PLATFORM_ROLES[action]))
    if not case.is_open:
        raise ValidationError(
            _("Cannot do “%(action)s” on a case that is %(state)s.")
            % {"action": _action_label(action), "state": _state_label(case.status)}
        )
    detail: dict[str, Any] = {}
    if action == "extend":
        try:
            amount = float(payload.get("amount") or 0)
        except (TypeError, ValueError):
            raise ValidationError({"amount": [_("Must be a number.")]}) from None
        policy = _policy_for(case)
        try:
            core_sla.check_extension(policy, selectors.clock_events(case), amount=amount, reason=reason)
        except core_sla.SlaError as exc:
            raise ValidationError(_extension_message(exc, policy, reason=reason, amount=amount)) from exc
        _clock_add(case, now, core_sla.EventKind.EXTENDED, amount)
        case.extensions += 1
        detail["amount"] = amount
    elif action == "add_task":
        if case.status in (Status.ANSWERED,):
            raise ValidationError(_("The case is already answered."))
        unit = _unit(_int(payload, "unit_id", required=True) or 0, "unit_id")
        lead = bool(payload.get("lead", False))
        if CaseTask.objects.filter(case=case, unit=unit).exists():
            raise ValidationError({"unit_id": [_("%(unit)s already has a task in this case.") % {"unit": unit.name}]})
        CaseTask.objects.create(case=case, unit=unit, lead=lead, created_at=now, note=reason)
        detail.update(unit=unit.name, lead=lead)
    else:  # complete_task
        unit_id = _int(payload, "unit_id", required=False)
        tasks = CaseTask.objects.select_related("unit").filter(case=case, done_at__isnull=True)
        if unit_id is not None:
            tasks = tasks.filter(unit_id=unit_id)
        mine = [t for t in tasks if selectors.case_roles(actor, t.unit) & _PLATFORM_ROLES[action]]
        if not mine:
            raise PermissionDenied(_("No open joint task of yours in this case."))
        task = mine[0]
        task.done_at = now
        task.note = (reason or str(payload.get("note") or "")).strip()
        task.save(update_fields=["done_at", "note"])
        detail.update(unit=task.unit.name)
    return detail


def case_act(
    *,
    actor: Any,
    case_id: int,
    action: str,
    expected_version: int | None = None,
    reason: str = "",
    now: datetime | None = None,
    **payload: Any,
) -> Case:
    """Apply ``action`` to case ``case_id`` as ``actor`` (``None`` = the system); return the case.

    Payload by action: ``assign`` — ``unit_id``, ``assignee_id`` (both optional); ``transfer`` —
    ``unit_id``; ``merge`` — ``merge_into`` (a case id); ``answer`` — ``reply`` (the public reply);
    ``extend`` — ``amount``; ``add_task`` — ``unit_id``, ``lead``; ``complete_task`` — ``unit_id``.
    ``now`` is the time of the action (default: the clock; the demo back-dates with it).

    Raises :class:`CaseConflict` (stale ``expected_version``), ``PermissionDenied`` (role),
    ``ValidationError`` (a move the table does not allow, a missing reason, bad payload) and
    ``Http404`` (no such case, or not one the actor may see).
    """
    if action not in ACTIONS:
        raise ValidationError(
            {
                "action": [
                    _("Unknown action %(action)r; expected one of: %(all)s.")
                    % {"action": action, "all": ", ".join(ACTIONS)}
                ]
            }
        )
    now = now or _now()
    reason = (reason or "").strip()
    with transaction.atomic():
        case = Case.objects.select_for_update().select_related("unit").filter(pk=case_id).first()
        if case is None or not _may_see(actor, case):
            raise Http404(_("No such case."))
        if expected_version is not None and int(expected_version) != case.version:
            raise CaseConflict(
                _(
                    "Case %(number)s was changed by someone else (it is at version %(current)s, "
                    "you had version %(yours)s). Reload it and try again."
                )
                % {"number": case.number, "current": case.version, "yours": expected_version},
                current_version=case.version,
            )
        roles = selectors.case_roles(actor, case.unit)
        before = _state(case)
        old_state = case.status
        if action in PLATFORM_ACTIONS:
            detail = _apply_platform(case, action, actor=actor, roles=roles, now=now, reason=reason, payload=payload)
        else:
            detail = _apply_core(
                case, Action(action), actor=actor, roles=roles, now=now, reason=reason, payload=payload
            )
        status = recompute_deadlines(case, now=now)
        if action == Action.CLOSE:
            try:
                case.on_time = status.target(core_sla.Stage.CLOSE).on_time
            except KeyError:
                case.on_time = None
        case.version += 1
        case.updated_at = now
        # The conditional update is the second guard: if the row moved (a backend without row
        # locks), nothing is written and the caller gets a conflict.
        fields = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields if f.attname != "id"}
        updated = Case.objects.filter(pk=case.pk, version=case.version - 1).update(**fields)
        if updated != 1:
            raise CaseConflict(_changed(case))
        old, new = _diff(before, _state(case))
        if detail:
            new = {**new, **{k: _audit_value(v) for k, v in detail.items()}}
        try:
            _record(
                case,
                actor=actor,
                action=action,
                old_state=old_state,
                version=case.version,
                old=old,
                new=new,
                reason=reason,
                at=now,
                correlation_id=current_correlation_id() or uuid.uuid4().hex,
            )
        except IntegrityError as exc:  # another writer recorded this version first
            raise CaseConflict(_changed(case)) from exc
    return case


# --- replies and attachments ------------------------------------------------------------------

REPLY_ROLES = frozenset({CoreRole.HANDLER, CoreRole.DISPATCHER, CoreRole.ADMIN, CoreRole.LEADER})


def _locked_case_for_write(actor: Any, case_id: int, *, note: bool = False) -> Case:
    """The case, locked, if ``actor`` may write on it; ``note``: an internal note, which the
    handlers of a joint-task unit of this case may write too (decision 0059)."""
    case = Case.objects.select_for_update().select_related("unit").filter(pk=case_id).first()
    if case is None or not _may_see(actor, case):
        raise Http404(_("No such case."))
    if actor is None or case.assignee_id == getattr(actor, "pk", None):
        return case
    if selectors.case_roles(actor, case.unit) & REPLY_ROLES:
        return case
    if note and selectors.task_unit_handler(actor, case):
        return case
    if note:
        raise PermissionDenied(
            _(
                "Writing a note on a case needs a handler, reviewer, leader or admin role on its unit "
                "or on one of its joint-task units."
            )
        )
    raise PermissionDenied(_("Writing on a case needs a handler, reviewer, leader or admin role on its unit."))


def case_reply(*, actor: Any, case_id: int, body: str, public: bool, now: datetime | None = None) -> CaseReply:
    """Add a public reply (what the citizen sees) or an internal note; audited, no state change.

    A public reply on a closed case is refused (reopen it first); notes are always allowed, also to
    the handlers of the case's joint-task units (on this case only: the task is what lets them in).
    """
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("The text is empty.")]})
    _check_lengths(body=body)
    now = now or _now()
    with transaction.atomic():
        case = _locked_case_for_write(actor, case_id, note=not public)
        if public and not case.is_open:
            raise ValidationError(_("The case is closed; reopen it to reply again."))
        reply = CaseReply.objects.create(
            case=case, kind=ReplyKind.PUBLIC if public else ReplyKind.INTERNAL, body=body, author=actor, created_at=now
        )
        if public:
            Case.objects.filter(pk=case.pk).update(public_reply=body, updated_at=now)
        _record(
            case,
            actor=actor,
            action="reply" if public else "note",
            old_state=case.status,
            version=None,
            old=None,
            new={"reply_id": reply.pk, "kind": reply.kind, "length": len(body)},
            reason="",
            at=now,
            correlation_id=current_correlation_id() or uuid.uuid4().hex,
        )
    return reply


ATTACHMENT_TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    # extension: (content type, accepted leading bytes)
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".gif": ("image/gif", (b"GIF87a", b"GIF89a")),
    ".webp": ("image/webp", (b"RIFF",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
    ".txt": ("text/plain", ()),
}
"""Accepted attachment types. The file's first bytes must match its extension; files are only ever
stored and offered for download (``Content-Disposition: attachment``), never executed or inlined."""


def attachment_max_bytes() -> int:
    return int(getattr(settings, "QINGTING_CASE_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def check_attachment(name: str, data: bytes) -> str:
    """The content type for ``name``/``data``; ``ValidationError`` naming the problem otherwise."""
    from qingting.web.uploads import name_problem

    clean = re.sub(r"[\\/\x00-\x1f]", "_", (name or "").strip())
    if not clean:
        raise ValidationError({"name": [_("The file needs a name.")]})
    too_long = name_problem(clean)
    if too_long:
        raise ValidationError({"name": [too_long]})
    ext = ("." + clean.rsplit(".", 1)[-1].lower()) if "." in clean else ""
    if ext not in ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ATTACHMENT_TYPES))
        raise ValidationError(
            {
                "name": [
                    _("%(name)s: files of type %(ext)s are not accepted; allowed: %(allowed)s.")
                    % {"name": clean, "ext": ext or _("(none)"), "allowed": allowed}
                ]
            }
        )
    limit = attachment_max_bytes()
    if len(data) > limit:
        raise ValidationError(
            {
                "data": [
                    _("%(name)s is %(size)d bytes; the limit is %(limit)d bytes.")
                    % {"name": clean, "size": len(data), "limit": limit}
                ]
            }
        )
    if not data:
        raise ValidationError({"data": [_("%(name)s is empty.") % {"name": clean}]})
    content_type, magics = ATTACHMENT_TYPES[ext]
    if magics and not any(data.startswith(m) for m in magics):
        raise ValidationError(
            {"data": [_("%(name)s does not look like a %(ext)s file.") % {"name": clean, "ext": ext}]}
        )
    if ext == ".txt":
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError({"data": [_("%(name)s is not UTF-8 text.") % {"name": clean}]}) from None
    return content_type


def attachment_add(
    *, actor: Any, case_id: int, name: str, data: bytes, reply: CaseReply | None = None, now: datetime | None = None
) -> CaseAttachment:
    """Attach a file to a case (type and size checked); audited, no state change."""
    content_type = check_attachment(name, data)
    now = now or _now()
    with transaction.atomic():
        case = _locked_case_for_write(actor, case_id)
        att = CaseAttachment.objects.create(
            case=case,
            reply=reply,
            name=re.sub(r"[\\/\x00-\x1f]", "_", name.strip())[:200],
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            data=data,
            uploaded_by=actor,
            created_at=now,
        )
        _record(
            case,
            actor=actor,
            action="attach",
            old_state=case.status,
            version=None,
            old=None,
            new={"attachment_id": att.pk, "name": att.name, "size": att.size, "sha256": att.sha256},
            reason="",
            at=now,
            correlation_id=current_correlation_id() or uuid.uuid4().hex,
        )
    return att


# --- Open311 clients ---------------------------------------------------------------------------


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class IssuedKey:
    client: Open311Client
    api_key: str  # shown once


def open311_client_create(*, actor: Any, name: str, unit: Unit) -> IssuedKey:
    """A new Open311 client whose POSTed requests become cases in ``unit``; the key is shown once."""
    if actor is not None and not (selectors.case_roles(actor, unit) & {CoreRole.ADMIN}):
        raise PermissionDenied(
            _("Creating Open311 clients for %(unit)s needs the administrator role there.") % {"unit": unit.name}
        )
    key = "o311_" + secrets.token_urlsafe(24)
    from qingting.web.audit.services import audit_record

    with transaction.atomic():
        client = Open311Client.objects.create(name=name, unit=unit, key_hash=_key_hash(key), prefix=key[:8])
        audit_record(actor=actor, action="open311.client_create", obj=client, new={"name": name, "unit": unit.pk})
    return IssuedKey(client, key)


def open311_authenticate(api_key: str) -> Open311Client | None:
    """The active client holding ``api_key``, or ``None``."""
    if not api_key:
        return None
    client = Open311Client.objects.select_related("unit").filter(key_hash=_key_hash(api_key), is_active=True).first()
    if client is not None:
        Open311Client.objects.filter(pk=client.pk).update(last_used_at=_now())
    return client
