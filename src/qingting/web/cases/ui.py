"""What the case pages need, read from cases-core's models, selectors and services.

Views stay thin: this module turns a case into what a page shows (deadlines with the working time
left, the timeline from the audit trail, the buttons the user may press) and passes writes to the
services. It never writes to the database itself.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from qingting.web.accounts import selectors as access
from qingting.web.accounts.models import Role, Unit
from qingting.web.cases import selectors, services
from qingting.web.cases.labels import action_label

# Platform roles that handle cases (see contact visibility and writing notes); the analyst and
# reviewer read cases of their units but do not handle them.
HANDLING_ROLES = {"admin", "handler", "leader"}

# The one action shown open on a case page, in order of preference: the next step of the usual flow.
# Every other allowed action is folded away (<details>), so the page does not stack six forms.
_PRIMARY_ORDER = ("register", "claim", "answer", "close", "assign", "sign_off", "resume", "reopen")
_REASON_LABELS: dict[str, Any] = {
    "pend": gettext_lazy("What are we waiting for?"),
    "sign_off": gettext_lazy("Instructions (批示)"),
    "return": gettext_lazy("What is missing?"),
    "transfer": gettext_lazy("Why transfer?"),
    "decline": gettext_lazy("Why is this not ours?"),
    "merge": gettext_lazy("Why is it a duplicate?"),
    "reopen": gettext_lazy("Why reopen?"),
    "extend": gettext_lazy("Why more time?"),
}


class Conflict(Exception):
    """The case changed since the user loaded it (stale version or a concurrent write)."""


def message_of(exc: Exception) -> str:
    """A user-facing sentence from a ValidationError / PermissionDenied (never a traceback)."""
    if isinstance(exc, ValidationError):
        if hasattr(exc, "message_dict"):
            return " ".join(f"{' '.join(str(m) for m in msgs)}" for msgs in exc.message_dict.values())
        return " ".join(str(m) for m in exc.messages)
    return str(exc.args[0]) if exc.args and exc.args[0] else ""


def add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (or the form when no field matches)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def normalise_number(text: str) -> str:
    """Numbers typed with [] or () for 〔〕 still match (青禾[2026]0012号 → 青禾〔2026〕0012号)."""
    return text.strip().translate(str.maketrans("[]()（）", "〔〕〔〕〔〕"))


# --- reading cases (always through cases-core's scoped selector) ------------------------------


def _cases(user: Any) -> QuerySet[Any]:
    return selectors.cases_for(user).select_related("unit", "assignee")


def case_get(user: Any, pk: int) -> Any:
    """The case if the user may see it; 404 otherwise (another unit's case is not confirmed)."""
    return selectors.case_get(user, pk)


def is_case_admin(user: Any) -> bool:
    from qingting.web.accounts.models import Membership

    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser) or Membership.objects.filter(user=user, role=Role.ADMIN).exists()


def _unit_ids_with_roles(user: Any, roles: set[str]) -> list[int]:
    """Units (and their descendants) where the user holds one of ``roles``."""
    from qingting.web.accounts.models import Membership

    if user.is_superuser:
        return list(Unit.objects.values_list("pk", flat=True))
    paths = list(Membership.objects.filter(user=user, role__in=roles).values_list("unit__path", flat=True))
    if not paths:
        return []
    cond = Q()
    for path in paths:
        cond |= Q(path__startswith=path)
    return list(Unit.objects.filter(cond).values_list("pk", flat=True))


# Most urgent first; paused (pending) cases, which have no next due time, last — as the API's queues.
_URGENT = (F("next_due").asc(nulls_last=True), "pk")
ROW_FIELDS = (
    "id", "number", "summary", "unit", "unit__name", "status", "is_open", "assignee", "assignee__username",
    "assignee__display_name", "channel", "category", "priority", "received_at",
    "next_due", "close_due", "on_time",
)  # fmt: skip
"""What a queue row shows: the wide columns (description, clock) are not read for a list."""


def page_rows(ids: list[int]) -> list[Any]:
    """The cases of one page, in the page's order (the page was cut over ids only)."""
    from qingting.web.cases.models import Case

    found = Case.objects.select_related("unit", "assignee").only(*ROW_FIELDS).in_bulk(ids)
    return [found[i] for i in ids if i in found]


def my_queue(user: Any) -> QuerySet[Any]:
    """Open cases assigned to me, and assigned-but-unclaimed cases of units where I am a handler.

    The two parts are read separately (each by its own index), then scoped as usual.
    """
    from qingting.web.cases.models import Case

    handler_units = _unit_ids_with_roles(user, {"handler", "admin"})
    # order_by(): no sort, so each part is read by its own index.
    ids = set(Case.objects.filter(assignee=user, is_open=True).order_by().values_list("pk", flat=True))
    if handler_units:
        unclaimed = Case.objects.filter(unit_id__in=handler_units, is_open=True, status="assigned", assignee=None)
        ids.update(unclaimed.order_by().values_list("pk", flat=True))
    return _cases(user).filter(pk__in=sorted(ids)).order_by(*_URGENT)


def unit_queue(user: Any) -> QuerySet[Any]:
    return _cases(user).filter(is_open=True).order_by(*_URGENT)


def overdue_queue(user: Any, now: datetime) -> QuerySet[Any]:
    return _cases(user).filter(is_open=True, next_due__lt=now).order_by("next_due", "pk")


def all_cases(user: Any) -> QuerySet[Any]:
    return _cases(user).order_by("-received_at", "-pk")


_CLOSED_CLASS = {"closed": "closed", "not_responsible": "declined", "duplicate": "declined", "pending": "pending"}


def _category_names() -> dict[str, str]:
    from qingting.web.cases.models import Category

    return dict(Category.objects.values_list("code", "name"))


def decorate_rows(cases: Iterable[Any], now: datetime) -> None:
    """Add what the rows show: a status class, the next due time, whether it is overdue, and the
    working time left before it (剩 n 个工作日) or how late it is."""
    names = _category_names()
    calendar = None
    for case in cases:
        case.status_class = _CLOSED_CLASS.get(case.status, "open")
        case.category_label = names.get(case.category, case.category)
        case.row_due = case.next_due or case.close_due
        case.row_overdue = bool(case.is_open and case.next_due and case.next_due < now)
        case.row_left, case.row_left_css = "", ""
        if case.is_open and case.next_due:
            calendar = calendar or _calendar()
            case.row_left, case.row_left_css = remaining_text(case.next_due, now, calendar)
        elif case.is_open and case.status == "pending":
            case.row_left = _("clock paused")


def origin_label(case: Any) -> str:
    from qingting.web.cases.models import OriginKind

    return str(dict(OriginKind.choices).get(case.origin_kind, case.origin_kind))


# --- who may do what ----------------------------------------------------------------------------


def is_handling(user: Any, case: Any) -> bool:
    """Whether the user handles this case: its handler, or an admin/handler/leader of its unit.

    Only they see the citizen's contact details and internal notes.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return selectors.contact_visible(user, case)


def can_write(user: Any, case: Any) -> bool:
    return is_handling(user, case)


def can_note(user: Any, case: Any) -> bool:
    """Whether the user may read and write internal notes: a handler of the case, or of one of its
    joint-task units (who sees the notes but not the citizen's contact details)."""
    return selectors.notes_visible(user, case)


def _case_roles(user: Any, case: Any) -> list[Any]:
    return list(selectors.case_roles(user, case.unit))


def allowed_actions(user: Any, case: Any) -> list[str]:
    """Actions the transition table allows this user on this case now."""
    from qingting.core.cases.workflow import CaseSnapshot, CaseState
    from qingting.core.cases.workflow import allowed_actions as table_allows

    snapshot = CaseSnapshot(state=CaseState(case.status), version=case.version)
    return [a.value for a in table_allows(snapshot, _case_roles(user, case))]


def _assignable_users(case: Any) -> list[tuple[str, str]]:
    from qingting.web.accounts.models import Membership

    ancestors = [int(p) for p in case.unit.path.strip("/").split("/") if p.isdigit()]
    rows = (
        Membership.objects.filter(Q(unit=case.unit) | Q(unit_id__in=ancestors), role__in=[Role.HANDLER, Role.ADMIN])
        .select_related("user", "unit")
        .order_by("user__username")
    )
    seen: dict[str, str] = {}
    for m in rows:
        if m.user.is_active:
            seen.setdefault(str(m.user.pk), f"{m.user.get_full_name() or m.user.username}（{m.unit.name}）")
    return list(seen.items())


def _transfer_units(case: Any) -> list[tuple[str, str]]:
    return [(str(u.pk), u.name) for u in Unit.objects.exclude(pk=case.unit_id).order_by("path")]


def action_forms(user: Any, case: Any) -> list[dict[str, Any]]:
    """One small POST form per allowed action, with the inputs that action needs."""
    from qingting.core.cases.workflow import TRANSITIONS

    reason_required = {t.action.value for t in TRANSITIONS if t.reason_required}
    out = []
    for name in allowed_actions(user, case):
        form: dict[str, Any] = {
            "name": name,
            "label": action_label(name),
            "primary": False,
            "reason": name in reason_required or name in {"answer", "close", "assign", "claim"},
            "reason_required": name in reason_required,
            "reason_label": _REASON_LABELS.get(name, gettext_lazy("Reason or remark")),
        }
        if name == "assign":
            form["choices"] = [("", _("— anyone in the unit may claim it —")), *_assignable_users(case)]
            form["choices_label"] = pgettext("case", "Handler")
        elif name == "transfer":
            form["choices"] = _transfer_units(case)
            form["choices_label"] = _("To unit")
        elif name == "merge":
            form["text_field"] = "merge_into"
            form["text_label"] = _("Number of the case it duplicates")
            form["text_required"] = True
        elif name == "answer":
            form["text_field"] = "reply"
            form["text_label"] = _("Public reply (the citizen sees it)")
            form["text_required"] = not case.public_reply
            if case.public_reply:
                form["text_hint"] = _("Left empty, the public reply already given stands.")
        out.append(form)
    out += _platform_forms(user, case)
    for wanted in _PRIMARY_ORDER:
        first = next((f for f in out if f["name"] == wanted), None)
        if first is not None:
            first["primary"] = True
            out.remove(first)
            out.insert(0, first)
            break
    return out


def answer_applies(user: Any, case: Any) -> bool:
    """Whether the user may answer the case now: then the public reply is written in the answer
    action (one path, one reply), and the reply form takes internal notes only."""
    return "answer" in allowed_actions(user, case)


def _platform_forms(user: Any, case: Any) -> list[dict[str, Any]]:
    """Extension and joint tasks: no state change, same path (lock, version, audit) as the table."""
    from qingting.core.cases.workflow import Role as CoreRole
    from qingting.web.cases.models import CaseTask

    if not case.is_open:
        return []
    roles = set(_case_roles(user, case))
    dispatch = {CoreRole.DISPATCHER, CoreRole.ADMIN}
    out: list[dict[str, Any]] = []
    if roles & (dispatch | {CoreRole.LEADER}):
        out.append(
            {
                "name": "extend",
                "label": action_label("extend"),
                "number_field": "amount",
                "number_label": _("Extra time (in the close limit's unit: days or hours)"),
                "reason": True,
                "reason_required": True,
                "reason_label": _REASON_LABELS["extend"],
            }
        )
    tasks = list(CaseTask.objects.filter(case=case).select_related("unit"))
    if roles & dispatch and case.status != "answered":
        taken = {t.unit_id for t in tasks} | {case.unit_id}
        units = [(str(u.pk), u.name) for u in Unit.objects.exclude(pk__in=taken).order_by("path")]
        if units:
            out.append(
                {
                    "name": "add_task",
                    "label": action_label("add_task"),
                    "choices": units,
                    "choices_label": _("Unit handling jointly"),
                    "reason": True,
                    "reason_required": False,
                    "reason_label": _("What this unit should do"),
                }
            )
    mine = [
        (str(t.unit_id), t.unit.name)
        for t in tasks
        if t.done_at is None and selectors.case_roles(user, t.unit) & (dispatch | {CoreRole.HANDLER})
    ]
    if mine:
        out.append(
            {
                "name": "complete_task",
                "label": action_label("task_complete"),
                "choices": mine,
                "choices_label": _("Joint task of"),
                "reason": True,
                "reason_required": False,
                "reason_label": _("What was done"),
            }
        )
    return out


def joint_tasks(case: Any) -> list[Any]:
    from qingting.web.cases.models import CaseTask

    return list(CaseTask.objects.filter(case=case).select_related("unit").order_by("-lead", "pk"))


def act(user: Any, case_id: int, action: str, *, version: int, data: Mapping[str, Any]) -> Any:
    """Apply one action through ``services.case_act``; raise :class:`Conflict` on a stale version."""
    payload: dict[str, Any] = {}
    target = str(data.get("target") or "").strip()
    if action == "assign" and target:
        payload["assignee_id"] = _int_or_error(target, _("No such handler."))
    elif action == "transfer":
        if not target:
            raise ValidationError(_("Choose the unit to transfer to."))
        payload["unit_id"] = _int_or_error(target, _("No such unit."))
    elif action == "merge":
        payload["merge_into"] = _case_id_by_number(user, str(data.get("merge_into") or ""))
    elif action == "answer" and str(data.get("reply") or "").strip():
        payload["reply"] = str(data["reply"]).strip()
    elif action == "extend":
        try:
            payload["amount"] = float(str(data.get("amount") or "").strip())
        except ValueError:
            raise ValidationError(_("Give the extra time as a number.")) from None
    elif action in ("add_task", "complete_task"):
        if not target:
            raise ValidationError(_("Choose the unit."))
        payload["unit_id"] = _int_or_error(target, _("No such unit."))
    try:
        return services.case_act(
            actor=user,
            case_id=case_id,
            action=action,
            expected_version=version,
            reason=str(data.get("reason") or ""),
            **payload,
        )
    except services.CaseConflict as exc:
        raise Conflict(str(exc)) from exc


def _int_or_error(raw: str, message: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise ValidationError(message) from None


def _case_id_by_number(user: Any, text: str) -> int:
    """The id of the case the user may see with this number (typed with 〔〕, [] or ())."""
    number = normalise_number(text)
    if not number:
        raise ValidationError(_("Give the number of the case this one duplicates."))
    found = _cases(user).filter(number=number).values_list("pk", flat=True).first()
    if found is None:
        raise ValidationError(_("No case numbered %(number)s among yours.") % {"number": number})
    return int(found)


# --- writing replies, notes and attachments -----------------------------------------------------


def add_reply(user: Any, case: Any, *, text: str, public: bool) -> Any:
    return services.case_reply(actor=user, case_id=case.pk, body=text, public=public)


def upload_limit() -> int:
    return int(services.attachment_max_bytes())


def add_attachment(user: Any, case: Any, name: str, data: bytes) -> Any:
    return services.attachment_add(actor=user, case_id=case.pk, name=name, data=data)


# --- what the detail page shows -------------------------------------------------------------------


def contact_of(user: Any, case: Any) -> dict[str, str] | None:
    contact = selectors.contact_for(user, case)
    if contact is None:
        return None
    d = {k: str(getattr(contact, k) or "") for k in ("name", "phone", "email", "address")}
    return d if any(d.values()) else None


def replies_of(user: Any, case: Any) -> list[dict[str, Any]]:
    """What the replies panel lists: internal notes only for those who may read them (the rule the
    API shares, :func:`qingting.web.cases.selectors.notes_visible`)."""
    return [
        {"public": r.kind == "public", "text": r.body, "author": r.author or _("system"), "at": r.created_at}
        for r in selectors.case_replies(user, case)
    ]


def attachments_of(case: Any) -> list[Any]:
    return list(case.attachments.defer("data").select_related("uploaded_by").order_by("created_at", "pk"))


def attachment_get(case: Any, attachment_id: int) -> tuple[Any, str, str] | None:
    a = case.attachments.filter(pk=attachment_id).first()
    if a is None:
        return None
    return io.BytesIO(bytes(a.data)), a.name, a.content_type


def _status_label(value: str) -> str:
    from qingting.web.cases.models import Status

    return str(dict(Status.choices).get(value, value))


def timeline(case: Any) -> list[dict[str, Any]]:
    """The audit trail, oldest first: who, what, when, old → new state, reason."""
    rows = selectors.case_timeline(case)
    out = []
    for r in rows:
        label = action_label(r.action)
        new = r.new if isinstance(r.new, dict) else {}
        if new.get("stage") in _STAGE_NAMES:  # reminders and escalations name their target
            label = f"{label}（{_STAGE_NAMES[new['stage']]}）"
        if r.action == "answer" and new.get("reply"):  # the one public reply travels with the answer
            label = f"{label}（{_('with the public reply')}）"
        if r.action == "transfer" and new.get("to_unit"):
            label = f"{label} → {new['to_unit']}"
        moved = bool(r.old_state) and r.old_state != r.new_state
        out.append(
            {
                "at": r.at,
                # Jobs record "system" as the actor: shown in the user's language.
                "actor": _("system") if r.actor_id is None and r.actor_label in ("", "system") else r.actor_label,
                "action": r.action,
                "label": label,
                "moved": moved,
                "old": _status_label(r.old_state),
                "new": _status_label(r.new_state),
                "reason": r.reason,
            }
        )
    return out


_STAGE_NAMES: dict[str, Any] = {
    "acknowledge": gettext_lazy("acknowledge"),
    "answer": gettext_lazy("answer"),
    "close": gettext_lazy("close"),
}


def _calendar() -> Any:
    return selectors.working_calendar()


def remaining_text(due: datetime, now: datetime, calendar: Any, *, hours: bool = False) -> tuple[str, str]:
    """What is left before ``due`` in working time (or how late it is), and a css class."""
    if due < now:
        days = calendar.working_days_between(due, now)
        if days >= 1:
            return _("overdue by %(n)d working day(s)") % {"n": days}, "overdue"
        late = max(1, int((now - due).total_seconds() // 3600))
        return _("overdue by %(n)d hour(s)") % {"n": late}, "overdue"
    if hours:
        office = calendar.working_time_between(now, due).total_seconds() / 3600
        return _("%(n).1f office hour(s) left") % {"n": office}, "soon" if office <= 4 else ""
    days = calendar.working_days_between(now, due)
    if days >= 1:
        return _("%(n)d working day(s) left") % {"n": days}, "soon" if days <= 1 else ""
    left = int((due - now).total_seconds() // 3600)
    return _("due today (%(n)d hour(s) left)") % {"n": left}, "soon"


_STAGE_LABELS: dict[str, Any] = {
    "acknowledge": gettext_lazy("Acknowledge by"),
    "answer": gettext_lazy("Answer by"),
    "close": gettext_lazy("Close by"),
}


def sla_view(case: Any, now: datetime) -> tuple[list[dict[str, Any]], list[str]]:
    """The targets (label, due, what is left or the verdict, css) and the calendar notices.

    Evaluated from the case's clock by cases-core's ``sla_status``, so the page shows what the
    reminders, escalations and the frozen on-time verdict use.
    """
    from qingting.core.cases.calendar import LimitUnit
    from qingting.core.cases.sla import ClockState

    calendar = _calendar()
    status = selectors.sla_status(case, now=now)
    rows: list[dict[str, Any]] = []
    notices: list[str] = []
    for t in status.targets:
        for n in t.notices:
            if n not in notices:
                notices.append(n)
        if t.state is ClockState.NOT_STARTED:
            rows.append(
                {"label": _STAGE_LABELS[t.stage.value], "due": None, "state": _("starts on acceptance"), "css": ""}
            )
            continue
        if t.due is None:
            continue
        due = t.due.due
        if t.state in (ClockState.MET_ON_TIME, ClockState.MET_LATE):
            met = t.met_at.astimezone(due.tzinfo) if t.met_at else None
            text = _("met on time") if t.state is ClockState.MET_ON_TIME else _("met late")
            state, css = (
                (f"{text} ({met:%Y-%m-%d %H:%M})" if met else text),
                ("" if t.state is ClockState.MET_ON_TIME else "overdue"),
            )
        elif t.state is ClockState.PAUSED:
            state, css = _("paused while pending (the date moves when work resumes)"), ""
        elif not case.is_open:
            state, css = _("not met"), "overdue"
        else:
            state, css = remaining_text(due, now, calendar, hours=t.target.unit is LimitUnit.WORKING_HOURS)
        rows.append({"label": _STAGE_LABELS[t.stage.value], "due": due, "state": state, "css": css})
    for n in str(case.deadline_notice or "").split("\n"):
        if n.strip() and n.strip() not in notices:
            notices.append(n.strip())
    return rows, notices


# --- manual entry ------------------------------------------------------------------------------


def units_for_create(user: Any) -> list[Unit]:
    """Units where the user may register cases (cases-core's CREATE_ROLES on the unit or above)."""
    return [u for u in access.units_for(user) if selectors.case_roles(user, u) & selectors.CREATE_ROLES]


def can_create_somewhere(user: Any) -> bool:
    from qingting.web.accounts.models import Membership

    if user.is_superuser:
        return True
    creating = {r for r, roles in selectors.ROLE_MAP.items() if roles & selectors.CREATE_ROLES}
    return bool(Membership.objects.filter(user=user, role__in=creating).exists())


def create(user: Any, **fields: Any) -> Any:
    return services.case_create(actor=user, origin_kind="manual", **fields)


# --- figures -----------------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _duration(td: timedelta | None, working_days: float | None = None) -> str:
    if td is None:
        return "—"
    if working_days is not None:
        return str(_("%(n).1f working days") % {"n": working_days})
    hours = td.total_seconds() / 3600
    if hours < 48:
        return str(_("%(n).1f hours") % {"n": hours})
    return str(_("%(n).1f days") % {"n": hours / 24})


def _fig_row(name: str, f: Any) -> dict[str, Any]:
    median_hours = getattr(f, "median_handling_hours", None)
    median_td = timedelta(hours=median_hours) if median_hours is not None else getattr(f, "median_handling", None)
    closure, on_time = f.closure_rate, f.on_time_rate
    return {
        "unit_name": name,
        "received": f.received,
        "closed": f.closed,
        "closure_rate_pct": _pct(closure),
        "on_time_rate_pct": _pct(on_time),
        "closure_rate_value": None if closure is None else round(closure * 100, 1),
        "on_time_rate_value": None if on_time is None else round(on_time * 100, 1),
        "median_text": _duration(median_td, getattr(f, "median_working_days", None)),
    }


FIGURES_CACHE_SECONDS = 120
"""How long the figures page reuses computed figures for the same units and period."""


def _raw_figures(unit_ids: list[int], start: datetime, end: datetime) -> tuple[Any, dict[int, Any], datetime]:
    """cases-core's figures for these units and period, reused for :data:`FIGURES_CACHE_SECONDS`.

    Figures over a year of 100,000 cases take seconds to count; a statistics page may be two
    minutes old (it says so), the queues never are.
    """
    import hashlib

    from django.core.cache import cache
    from django.utils import timezone

    key = "cases:figures:" + hashlib.sha1(f"{unit_ids}|{start.isoformat()}|{end.isoformat()}".encode()).hexdigest()
    hit = cache.get(key)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    value = (selectors.case_figures(unit_ids, start, end), selectors.unit_figures(unit_ids, start, end), timezone.now())
    cache.set(key, value, FIGURES_CACHE_SECONDS)
    return value


def figures(user: Any, start: datetime, end: datetime) -> tuple[dict[str, Any], list[dict[str, Any]], datetime]:
    """Totals, one row per visible unit with cases (from cases-core's ``case_figures`` and
    ``unit_figures``), and when they were counted."""
    visible = access.visible_unit_ids(user)
    unit_ids = list(Unit.objects.values_list("pk", flat=True)) if visible is None else sorted(visible)
    total_figures, per_unit, counted_at = _raw_figures(unit_ids, start, end)
    total = _fig_row(_("All units"), total_figures)
    names = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name"))
    rows = []
    for key, f in per_unit.items():
        if not (f.received or f.closed or getattr(f, "due", 0)):
            continue
        name = names.get(key, str(key)) if isinstance(key, int) else str(getattr(key, "name", key))
        rows.append(_fig_row(name, f))
    rows.sort(key=lambda r: (-r["received"], r["unit_name"]))
    return total, rows, counted_at
