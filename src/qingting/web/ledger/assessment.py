"""The unit assessment (考核): indicator schemes, figures computed from Qingting's data, scorecards.

An :class:`~qingting.web.ledger.models.AssessmentScheme` is a year's indicators for one assessed
level (乡镇, 部门 …) of an office's tree, after the shape of the national 政府网站与政务新媒体
indicators (``docs/ledger.md``): scored indicators whose weights add up to 100, deductions and
bonuses with a cap, and 单项否决 (single-item veto) items. Each indicator's metric is either
computed here from the other apps' selectors (:data:`METRICS`) or entered by the assessor with
evidence (``manual``). Every figure carries its numerator, denominator and the source it was
counted from, so a scorecard can be traced back to its rows (:func:`metric_rows`).

Other apps may add metrics with :func:`register_metric` (for instance the channels app's
inspection verdicts and 信息准确率 once it exists): that is the extension point.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, overload

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from qingting.core.cases.calendar import CHINA_TZ
from qingting.web.accounts.models import Unit, UnitKind
from qingting.web.accounts.selectors import has_role
from qingting.web.audit.services import audit_record
from qingting.web.ledger import selectors
from qingting.web.ledger.models import (
    AssessmentRun,
    AssessmentScheme,
    Evidence,
    Indicator,
    IndicatorRole,
    ManualEntry,
)
from qingting.web.ledger.services import MANAGE_ROLES, evidence_check

RESULT_VERSION = 1


# --- periods -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssessPeriod:
    label: str  # "2026" or "2026-H1"
    first: date
    last: date  # inclusive

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time.min, tzinfo=CHINA_TZ)

    @property
    def end(self) -> datetime:
        return datetime.combine(self.last + timedelta(days=1), time.min, tzinfo=CHINA_TZ)

    @property
    def title(self) -> str:
        if "-H" in self.label:
            y, h = self.label.split("-H")
            return f"{y}年{'上' if h == '1' else '下'}半年"
        return f"{self.label}年度"

    def previous(self) -> AssessPeriod:
        if "-H" in self.label:
            y, h = int(self.label[:4]), self.label[-1]
            return parse_period(f"{y}-H1" if h == "2" else f"{y - 1}-H2")
        return parse_period(str(int(self.label) - 1))


def parse_period(label: str) -> AssessPeriod:
    """``2026`` (the year) or ``2026-H1`` / ``2026-H2``; ``ValueError`` naming the input otherwise."""
    text = label.strip().upper()
    try:
        if len(text) == 4 and text.isdigit():
            y = int(text)
            return AssessPeriod(text, date(y, 1, 1), date(y, 12, 31))
        if len(text) == 7 and text[4:6] == "-H" and text[:4].isdigit() and text[6] in "12":
            y = int(text[:4])
            if text[6] == "1":
                return AssessPeriod(text, date(y, 1, 1), date(y, 6, 30))
            return AssessPeriod(text, date(y, 7, 1), date(y, 12, 31))
    except ValueError:
        pass
    raise ValueError(f"period {label!r}: give a year (2026) or a half-year (2026-H1, 2026-H2)")


# --- metrics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One figure of one unit: the value and what it was computed from."""

    value: float | None  # None: no data (e.g. no case was due)
    num: float | None = None
    den: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"value": self.value, "num": self.num, "den": self.den}


Computer = Callable[[dict[int, list[int]], "AssessPeriod"], dict[int, Figure]]


@dataclass(frozen=True)
class Metric:
    """A computed metric: ``compute(subtrees, period)`` gives one figure per assessed unit, where
    ``subtrees`` maps each assessed unit to its own id and its descendants' ids."""

    key: str
    label: str  # Chinese, as the scorecard prints it
    unit: str  # "%", "小时", "件", "次", "天" …
    source: str  # where it is counted from (shown next to the figure)
    compute: Computer


METRICS: dict[str, Metric] = {}


def register_metric(metric: Metric) -> None:
    """Add (or replace) a computed metric; other apps call this from their ``AppConfig.ready()``."""
    METRICS[metric.key] = metric


def _rollup(subtrees: dict[int, list[int]], per_unit: dict[int, Any]) -> dict[int, list[Any]]:
    owner = {u: a for a, ids in subtrees.items() for u in ids}
    out: dict[int, list[Any]] = {a: [] for a in subtrees}
    for unit_id, value in per_unit.items():
        if unit_id in owner:
            out[owner[unit_id]].append(value)
    return out


def _all_ids(subtrees: dict[int, list[int]]) -> list[int]:
    return sorted({u for ids in subtrees.values() for u in ids})


def _rate(num: float, den: float) -> Figure:
    return Figure(round(100.0 * num / den, 2) if den else None, num, den)


_CASES: dict[tuple[Any, ...], Any] = {}


def _case_figures(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, list[Any]]:
    from qingting.web.cases.selectors import unit_figures

    key = (tuple(sorted(subtrees)), period.label)
    if key not in _CASES:  # both case metrics of one computation share one query
        _CASES.clear()
        _CASES[key] = _rollup(subtrees, unit_figures(_all_ids(subtrees), period.start, period.end))
    return dict(_CASES[key])


def _closure(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    rows = _case_figures(subtrees, period)
    return {a: _rate(sum(f.closed_of_received for f in fs), sum(f.received for f in fs)) for a, fs in rows.items()}


def _on_time(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    rows = _case_figures(subtrees, period)
    return {a: _rate(sum(f.closed_on_time for f in fs), sum(f.due for f in fs)) for a, fs in rows.items()}


def _response(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    from qingting.web.warnings.selectors import response_hours

    per_unit = response_hours(_all_ids(subtrees), period.start, period.end)
    out = {}
    for a, lists in _rollup(subtrees, per_unit).items():
        hours = [h for hs in lists for h in hs]
        out[a] = Figure(round(statistics.median(hours), 2) if hours else None, None, len(hours))
    return out


def _submissions(key: str) -> Computer:
    def compute(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
        from qingting.web.bulletins.selectors import submission_counts_by_unit

        rows = {r["unit_id"]: r for r in submission_counts_by_unit(_all_ids(subtrees), period.first, period.last)}
        out = {}
        for a, rs in _rollup(subtrees, rows).items():
            n = (
                sum(r["submitted"] for r in rs)
                if key == "submitted"
                else sum(r["adopted_full"] + r["adopted_summary"] for r in rs)
            )
            out[a] = Figure(float(n), float(n), None)
        return out

    return compute


def _bulletins(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    from qingting.web.bulletins.selectors import bulletins_issued

    return {a: Figure(float(n := bulletins_issued(ids, period.first, period.last)), n) for a, ids in subtrees.items()}


def _tasks(key: str) -> Computer:
    def compute(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
        per_unit = selectors.tasks_due_figures(_all_ids(subtrees), period.first, period.last)
        out = {}
        for a, rs in _rollup(subtrees, per_unit).items():
            due = sum(r["due"] for r in rs)
            if key == "overdue":
                n = sum(r["overdue"] for r in rs)
                out[a] = Figure(float(n), n, due)
            else:
                out[a] = _rate(sum(r["on_time"] for r in rs), due)
        return out

    return compute


def _training(key: str) -> Computer:
    def compute(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
        per_unit = selectors.training_figures(_all_ids(subtrees), period.first, period.last)
        return {
            a: Figure(float(v := sum(r[key] for r in rs)), v, None) for a, rs in _rollup(subtrees, per_unit).items()
        }

    return compute


def _duty_gaps(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    last = min(period.last, timezone.localdate())
    if last < period.first:
        return {a: Figure(0.0, 0, 0) for a in subtrees}
    gaps = selectors.duty_gap_days(list(subtrees), period.first, last)
    return {a: Figure(float(len(gaps.get(a, []))), len(gaps.get(a, [])), None) for a in subtrees}


def _equipment(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    day = min(period.last, timezone.localdate())
    per_unit = selectors.equipment_overdue(_all_ids(subtrees), day)
    return {a: Figure(float(n := sum(len(x) for x in rs)), n, None) for a, rs in _rollup(subtrees, per_unit).items()}


def _channels_failed(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    try:
        from qingting.web.channels.selectors import verdicts_by_unit
    except ImportError:
        return {}
    per_unit = verdicts_by_unit(_all_ids(subtrees), period.start, period.end)
    out = {}
    for a, rs in _rollup(subtrees, per_unit).items():
        failed = sum(r.get("fail", 0) for r in rs)
        checked = sum(sum(r.values()) for r in rs)
        out[a] = Figure(float(failed) if checked else None, failed, checked)
    return out


def _release_accuracy(subtrees: dict[int, list[int]], period: AssessPeriod) -> dict[int, Figure]:
    try:
        from qingting.web.releases.selectors import release_counts_by_unit
    except ImportError:
        return {}
    per_unit = release_counts_by_unit(_all_ids(subtrees), period.start, period.end)
    out = {}
    for a, rs in _rollup(subtrees, per_unit).items():
        published = sum(p for p, _c in rs)
        corrected = sum(c for _p, c in rs)
        out[a] = _rate(published - corrected, published)
    return out


for _m in (
    Metric("case_closure_rate", "网民诉求办结率", "%", "诉求办理：期内受理且期末前办结 ÷ 期内受理", _closure),
    Metric("case_on_time_rate", "按时办结率", "%", "诉求办理：期内到期且按期办结 ÷ 期内到期", _on_time),
    Metric("warning_response_hours", "预警响应时长中位数", "小时", "预警：自发出至确认/转办/排除", _response),
    Metric("submissions", "向上级直报", "期", "舆情专报直报记录", _submissions("submitted")),
    Metric("submissions_adopted", "直报被采用", "期", "直报记录中直报采用与摘报采用", _submissions("adopted")),
    Metric("bulletins", "编发舆情专报", "期", "已印发的舆情专报", _bulletins),
    Metric("task_completion_rate", "台账任务按期完成率", "%", "台账：期内到期且按期完成 ÷ 期内到期", _tasks("rate")),
    Metric("tasks_overdue", "逾期台账任务", "项", "台账：期内到期而未按期完成", _tasks("overdue")),
    Metric("training_sessions", "培训学习", "次", "培训登记", _training("sessions")),
    Metric("training_hours", "培训学时", "小时", "培训登记", _training("hours")),
    Metric("duty_gap_days", "重要节点值班空档", "天", "值班表：需24小时值班而有空档的日子", _duty_gaps),
    Metric("equipment_overdue", "设备自查逾期", "台", "设备台账：自查逾期的设备", _equipment),
    Metric(
        "channels_failed", "自有平台检查不合格", "个", "阵地检查：期内最近一次检查不合格的自有平台", _channels_failed
    ),
    Metric("release_accuracy", "信息准确率", "%", "稿件：期内发布且未更正 ÷ 期内发布（按平台计）", _release_accuracy),
):
    register_metric(_m)

MANUAL = "manual"


def metric_label(key: str) -> str:
    return METRICS[key].label if key in METRICS else _("entered by the assessor")


# --- schemes -------------------------------------------------------------------------------------


@overload
def _number(value: Any, field: str, *, required: Literal[True]) -> float: ...


@overload
def _number(value: Any, field: str, *, required: bool) -> float | None: ...


def _number(value: Any, field: str, *, required: bool) -> float | None:
    if value in (None, ""):
        if required:
            raise ValidationError({field: [_("This field is required.")]})
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValidationError({field: [_("Give a number.")]}) from None


def check_indicators(indicators: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The indicators cleaned, or ``ValidationError`` naming the indicator and field (``indicators[2].full_at``),
    or ``weights`` when the scored indicators' weights do not add up to 100."""
    if not indicators:
        raise ValidationError({"indicators": [_("A scheme needs at least one indicator.")]})
    clean: list[dict[str, Any]] = []
    for i, raw in enumerate(indicators):
        where = f"indicators[{i + 1}]"
        name = str(raw.get("name") or "").strip()
        if not name:
            raise ValidationError({f"{where}.name": [_("Each indicator needs a name.")]})
        metric = str(raw.get("metric") or "")
        if metric != MANUAL and metric not in METRICS:
            raise ValidationError(
                {
                    f"{where}.metric": [
                        _("Unknown metric %(m)s; known: %(known)s, manual.")
                        % {"m": metric, "known": ", ".join(METRICS)}
                    ]
                }
            )
        role = str(raw.get("role") or "")
        if role not in IndicatorRole.values:
            raise ValidationError(
                {f"{where}.role": [_("Role must be one of: %(r)s.") % {"r": ", ".join(IndicatorRole.values)}]}
            )
        try:
            weight = Decimal(str(raw.get("weight") or 0)).quantize(Decimal("0.01"))
        except InvalidOperation:
            raise ValidationError({f"{where}.weight": [_("Give a number.")]}) from None
        if weight < 0:
            raise ValidationError({f"{where}.weight": [_("Points cannot be negative.")]})
        full_at = _number(raw.get("full_at"), f"{where}.full_at", required=role in ("score", "veto"))
        zero_at = _number(raw.get("zero_at"), f"{where}.zero_at", required=role == "score")
        per = _number(raw.get("per"), f"{where}.per", required=role in ("deduction", "bonus"))
        if role == "score" and full_at == zero_at:
            raise ValidationError({f"{where}.zero_at": [_("Full points and no points need different values.")]})
        if role in ("score", "deduction", "bonus") and weight <= 0:
            raise ValidationError({f"{where}.weight": [_("Give the points (more than 0).")]})
        if role in ("deduction", "bonus") and per is not None and per <= 0:
            raise ValidationError({f"{where}.per": [_("Points per unit must be more than 0.")]})
        clean.append(
            {
                "name": name[:120],
                "metric": metric,
                "role": role,
                "weight": weight,
                "full_at": full_at,
                "zero_at": zero_at,
                "per": per,
            }
        )
    total = sum((c["weight"] for c in clean if c["role"] == "score"), Decimal(0))
    if total != Decimal(100):
        raise ValidationError(
            {"weights": [_("The weights of the scored indicators add up to %(total)s, not 100.") % {"total": total}]}
        )
    return clean


def scheme_save(
    *,
    actor: Any,
    office: Unit,
    year: int,
    level: str,
    name: str,
    indicators: Sequence[dict[str, Any]],
    now: datetime | None = None,
) -> AssessmentScheme:
    """Create or replace the indicator scheme of ``office`` for ``year`` and ``level``. All of it
    is checked before anything is written; a finished run keeps the figures it was computed with."""
    if actor is not None and not has_role(actor, office, MANAGE_ROLES):
        raise PermissionDenied(
            _("Editing an assessment scheme needs a suitable role on %(unit)s.") % {"unit": office.name}
        )
    if level not in UnitKind.values:
        raise ValidationError({"level": [_("Level must be one of: %(l)s.") % {"l": ", ".join(UnitKind.values)}]})
    if not 2000 <= int(year) <= 2100:
        raise ValidationError({"year": [_("Give a year such as 2026.")]})
    if not str(name or "").strip():
        raise ValidationError({"name": [_("This field is required.")]})
    clean = check_indicators(indicators)
    now = now or timezone.now()
    with transaction.atomic():
        scheme = AssessmentScheme.objects.select_for_update().filter(office=office, year=year, level=level).first()
        old = None
        if scheme is None:
            scheme = AssessmentScheme.objects.create(
                office=office, year=year, level=level, name=name.strip()[:200], updated_at=now
            )
        else:
            old = {
                "version": scheme.version,
                "indicators": list(scheme.indicators.values("name", "metric", "role", "weight")),
            }
            scheme.name, scheme.version, scheme.updated_at = name.strip()[:200], scheme.version + 1, now
            scheme.save()
            scheme.indicators.all().delete()
        for i, c in enumerate(clean):
            Indicator.objects.create(scheme=scheme, position=i, **c)
        audit_record(
            actor=actor,
            action="assessment_scheme.save",
            obj=scheme,
            old=old,
            new={"version": scheme.version, "indicators": [{**c, "weight": str(c["weight"])} for c in clean]},
        )
    return scheme


def manual_entry_set(
    *,
    actor: Any,
    indicator_id: int,
    unit: Unit,
    value: Any,
    note: str,
    files: Sequence[tuple[str, bytes]] = (),
    now: datetime | None = None,
) -> ManualEntry:
    """The assessor enters a manual indicator's value for a unit, with its basis and evidence."""
    indicator = Indicator.objects.select_related("scheme__office").filter(pk=indicator_id).first()
    if indicator is None or indicator.metric != MANUAL:
        raise ValidationError({"indicator": [_("No such manual indicator.")]})
    if not has_role(actor, indicator.scheme.office, MANAGE_ROLES):
        raise PermissionDenied(
            _("Entering assessment values needs a suitable role on %(unit)s.") % {"unit": indicator.scheme.office.name}
        )
    v = _number(value, "value", required=True)
    if not str(note or "").strip():
        raise ValidationError({"note": [_("Say what the value is based on.")]})
    checked = [(n, d, evidence_check(n, d)) for n, d in files]
    now = now or timezone.now()
    with transaction.atomic():
        entry, _created = ManualEntry.objects.update_or_create(
            indicator=indicator,
            unit=unit,
            defaults={"value": v, "note": str(note).strip(), "entered_by": actor, "entered_at": now},
        )
        import hashlib

        for n, d, ct in checked:
            Evidence.objects.create(
                entry=entry,
                name=n[:200],
                content_type=ct,
                size=len(d),
                sha256=hashlib.sha256(d).hexdigest(),
                data=d,
                uploaded_by=actor,
                created_at=now,
            )
        audit_record(
            actor=actor,
            action="assessment.entry",
            obj=entry,
            new={"unit": unit.pk, "value": v, "files": [n for n, _d, _c in checked]},
        )
    return entry


# --- computing -----------------------------------------------------------------------------------


def assessed_units(scheme: AssessmentScheme) -> list[Unit]:
    """The units of ``scheme.level`` under the office (its scope)."""
    return list(
        Unit.objects.filter(path__startswith=scheme.office.path, kind=scheme.level)
        .exclude(pk=scheme.office_id)
        .order_by("path")
    )


def _subtrees(units: list[Unit]) -> dict[int, list[int]]:
    rows = list(Unit.objects.filter(path__startswith=units[0].path[:1]).values_list("pk", "path")) if units else []
    out: dict[int, list[int]] = {u.pk: [] for u in units}
    paths = sorted(((u.path, u.pk) for u in units), key=lambda x: -len(x[0]))
    for pk, path in rows:
        for p, a in paths:  # the deepest assessed ancestor owns the unit
            if path.startswith(p):
                out[a].append(pk)
                break
    return out


def _set(value: float | None, ind: Indicator, field: str) -> float:
    """An indicator's threshold that :func:`check_indicators` requires for its role."""
    if value is None:
        raise ValueError(f"indicator {ind.pk} ({ind.role}) has no {field}")
    return value


def _score(ind: Indicator, v: float | None) -> dict[str, Any]:
    w = float(ind.weight)
    if ind.role == IndicatorRole.SCORE:
        if v is None:
            return {"points": w, "note": "无数据，按满分计"}
        full, zero = _set(ind.full_at, ind, "full_at"), _set(ind.zero_at, ind, "zero_at")
        share = max(0.0, min(1.0, (v - zero) / (full - zero)))
        return {"points": round(w * share, 2), "note": ""}
    if ind.role in (IndicatorRole.DEDUCTION, IndicatorRole.BONUS):
        pts = 0.0 if v is None else min(w, _set(ind.per, ind, "per") * max(0.0, v))
        return {"points": round(-pts if ind.role == IndicatorRole.DEDUCTION else pts, 2), "note": ""}
    vetoed = v is not None and v >= _set(ind.full_at, ind, "full_at")
    return {"points": 0.0, "veto": vetoed, "note": "单项否决" if vetoed else ""}


def grade(total: float, veto: bool) -> str:
    if veto:
        return "不合格（单项否决）"
    return "优秀" if total >= 90 else "良好" if total >= 80 else "合格" if total >= 60 else "较差"


def compute(scheme: AssessmentScheme, period_label: str, *, unit_codes: Sequence[str] = ()) -> dict[str, Any]:
    """The scorecards of ``scheme``'s units for a period (a plain dict, :data:`RESULT_VERSION`).

    Each unit's figures carry value, numerator and denominator; each indicator its points.
    Ranked by total (units with a veto last); equal totals share a rank.
    """
    period = parse_period(period_label)
    units = assessed_units(scheme)
    if unit_codes:
        units = [u for u in units if u.code in set(unit_codes)] or units  # a ranking needs its peers
    indicators = list(scheme.indicators.all())
    subtrees = _subtrees(units)
    figures: dict[str, dict[int, Figure]] = {}
    for ind in indicators:
        if ind.metric != MANUAL and ind.metric not in figures:
            figures[ind.metric] = METRICS[ind.metric].compute(subtrees, period)
    _CASES.clear()
    entries = {(e.indicator_id, e.unit_id): e for e in ManualEntry.objects.filter(indicator__in=indicators)}
    cards: list[dict[str, Any]] = []
    for u in units:
        scores = []
        total, veto = 0.0, False
        for ind in indicators:
            if ind.metric == MANUAL:
                e = entries.get((ind.pk, u.pk))
                fig = Figure(e.value if e else None)
                source: dict[str, int | str | None] = (
                    {"entry": e.pk, "note": e.note} if e else {"entry": None, "note": "未录入"}
                )
            else:
                fig = figures[ind.metric].get(u.pk, Figure(None))
                source = {"metric": ind.metric}
            s = _score(ind, fig.value)
            total += s["points"]
            veto = veto or bool(s.get("veto"))
            scores.append(
                {
                    "indicator": ind.pk,
                    "name": ind.name,
                    "role": ind.role,
                    "metric": ind.metric,
                    **fig.as_dict(),
                    **s,
                    "source": source,
                }
            )
        total = round(max(0.0, total), 2)
        cards.append({"unit_id": u.pk, "unit": u.name, "code": u.code, "scores": scores, "total": total, "veto": veto})
    cards.sort(key=lambda c: (c["veto"], -c["total"], c["unit"]))
    rank, previous = 0, None
    for i, c in enumerate(cards, start=1):
        key = (c["veto"], c["total"])
        if key != previous:
            rank, previous = i, key
        c["rank"] = rank
        c["grade"] = grade(c["total"], c["veto"])
    return {
        "version": RESULT_VERSION,
        "scheme": scheme.pk,
        "scheme_version": scheme.version,
        "name": scheme.name,
        "period": period.label,
        "first": period.first.isoformat(),
        "last": period.last.isoformat(),
        "indicators": [
            {
                "id": i.pk,
                "name": i.name,
                "metric": i.metric,
                "role": i.role,
                "weight": float(i.weight),
                "full_at": i.full_at,
                "zero_at": i.zero_at,
                "per": i.per,
                "label": metric_label(i.metric),
                "unit": METRICS[i.metric].unit if i.metric in METRICS else "",
                "source": METRICS[i.metric].source if i.metric in METRICS else "考核人员录入（附佐证材料）",
            }
            for i in indicators
        ],
        "units": cards,
        "computed_at": timezone.now().isoformat(),
    }


def with_previous(result: dict[str, Any], scheme: AssessmentScheme) -> dict[str, Any]:
    """Adds each unit's previous-period total and rank (``previous``): from the finished run of
    the previous period when there is one, else computed now with this scheme."""
    prev_label = parse_period(result["period"]).previous().label
    run = (
        AssessmentRun.objects.filter(
            scheme__office=scheme.office, scheme__level=scheme.level, period=prev_label, finished_at__isnull=False
        )
        .order_by("-finished_at")
        .first()
    )
    prev = run.result if run is not None else compute(scheme, prev_label)
    by_unit = {c["unit_id"]: c for c in prev["units"]}
    for c in result["units"]:
        p = by_unit.get(c["unit_id"])
        c["previous"] = None if p is None else {"total": p["total"], "rank": p["rank"], "veto": p["veto"]}
    result["previous"] = {"period": prev_label, "finished": run is not None}
    return result


def run_store(*, actor: Any, scheme: AssessmentScheme, period: str) -> AssessmentRun:
    """Compute and store the run of ``scheme`` for ``period`` (replacing an unfinished one)."""
    if not has_role(actor, scheme.office, MANAGE_ROLES):
        raise PermissionDenied(
            _("Running an assessment needs a suitable role on %(unit)s.") % {"unit": scheme.office.name}
        )
    result = with_previous(compute(scheme, period), scheme)
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().filter(scheme=scheme, period=result["period"]).first()
        if run is not None and run.finished_at is not None:
            raise ValidationError(
                {"period": [_("The assessment for %(p)s is finished; it is not recomputed.") % {"p": run.period}]}
            )
        now = timezone.now()
        if run is None:
            run = AssessmentRun.objects.create(scheme=scheme, period=result["period"], result=result, computed_at=now)
        else:
            run.result, run.computed_at = result, now
            run.save(update_fields=["result", "computed_at"])
        audit_record(
            actor=actor, action="assessment.run", obj=run, new={"period": run.period, "units": len(result["units"])}
        )
    return run


def run_finish(*, actor: Any, run_id: int) -> AssessmentRun:
    """定稿: the run's figures and ranking are final (never recomputed)."""
    with transaction.atomic():
        run = AssessmentRun.objects.select_for_update().select_related("scheme__office").filter(pk=run_id).first()
        if run is None:
            raise ValidationError({"run": [_("No such assessment.")]})
        if not has_role(actor, run.scheme.office, MANAGE_ROLES):
            raise PermissionDenied(
                _("Finishing an assessment needs a suitable role on %(unit)s.") % {"unit": run.scheme.office.name}
            )
        if run.finished_at is not None:
            raise ValidationError({"run": [_("Already finished.")]})
        run.finished_at, run.finished_by = timezone.now(), actor
        run.save(update_fields=["finished_at", "finished_by"])
        audit_record(actor=actor, action="assessment.finish", obj=run, new={"period": run.period})
    return run


# --- tracing a figure to its rows ------------------------------------------------------------------


def _fmt(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def metric_rows(user: Any, metric: str, unit: Unit, period_label: str) -> tuple[tuple[str, ...], list[tuple[Any, ...]]]:
    """The rows behind one figure of one unit, read through the owning app's scoped selectors:
    ``(header, rows)``. The number of rows (or their sum, for hours) is the figure's basis."""
    period = parse_period(period_label)
    ids = list(Unit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True))
    if metric in ("case_closure_rate", "case_on_time_rate"):
        from qingting.web.cases.selectors import cases_for

        qs = cases_for(user).filter(unit_id__in=ids).exclude(status="duplicate")
        if metric == "case_closure_rate":
            qs = qs.filter(received_at__gte=period.start, received_at__lt=period.end)
            return ("编号", "受理时间", "状态", "办结时间"), [
                (
                    c.number,
                    timezone.localtime(c.received_at).strftime("%Y-%m-%d %H:%M"),
                    c.get_status_display(),
                    timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M") if c.closed_at else "",
                )
                for c in qs.order_by("received_at")
            ]
        qs = qs.exclude(status="not_responsible").filter(close_due__gte=period.start, close_due__lt=period.end)
        return ("编号", "办结时限", "状态", "办结时间"), [
            (
                c.number,
                timezone.localtime(c.close_due).strftime("%Y-%m-%d %H:%M"),
                c.get_status_display(),
                timezone.localtime(c.closed_at).strftime("%Y-%m-%d %H:%M") if c.closed_at else "",
            )
            for c in qs.order_by("close_due")
        ]
    if metric == "warning_response_hours":
        from qingting.web.warnings.selectors import warnings_for

        warns = warnings_for(user).filter(
            unit_id__in=ids, raised_at__gte=period.start, raised_at__lt=period.end, kind="event"
        )
        return ("预警", "发出", "确认", "状态"), [
            (w.title, _fmt(w.raised_at), _fmt(w.acknowledged_at), w.get_status_display())
            for w in warns.order_by("raised_at")
        ]
    if metric in ("submissions", "submissions_adopted"):
        from qingting.web.bulletins.selectors import submissions_for

        subs = submissions_for(user).filter(
            from_unit_id__in=ids, submitted_at__gte=period.start, submitted_at__lt=period.end
        )
        if metric == "submissions_adopted":
            subs = subs.filter(adoption__in=["full", "summary"])
        return ("直报", "报送时间", "采用"), [
            (str(s), timezone.localtime(s.submitted_at).strftime("%Y-%m-%d"), s.get_adoption_display())
            for s in subs.order_by("submitted_at")
        ]
    if metric == "bulletins":
        from qingting.web.bulletins.selectors import bulletins_for

        issued = bulletins_for(user).filter(
            unit_id__in=ids, status="issued", issued_at__gte=period.start, issued_at__lt=period.end
        )
        return ("期号", "标题", "印发"), [
            (b.issue_label, b.title, timezone.localtime(b.issued_at).strftime("%Y-%m-%d"))
            for b in issued.order_by("issued_at")
        ]
    if metric in ("task_completion_rate", "tasks_overdue"):
        today = timezone.localdate()
        rows = []
        for t in (
            selectors.tasks_for(user)
            .filter(pk__in=selectors.task_rows(ids, period.first, period.last).values("pk"))
            .order_by("due", "pk")
        ):
            done_day = timezone.localtime(t.done_at).date() if t.done_at and t.status in ("done", "closed") else None
            on_time = done_day is not None and done_day <= t.due
            overdue = not on_time and (done_day is not None or t.due < today)
            if metric == "tasks_overdue" and not overdue:
                continue
            rows.append(
                (
                    t.title,
                    t.unit.name,
                    t.due.isoformat(),
                    t.get_status_display(),
                    "按期" if on_time else "逾期" if overdue else "未到期",
                )
            )
        return ("任务", "责任单位", "期限", "状态", "完成情况"), rows
    if metric in ("training_sessions", "training_hours"):
        sessions = selectors.trainings_for(user).filter(unit_id__in=ids, date__gte=period.first, date__lte=period.last)
        return ("日期", "主题", "形式", "人数", "学时"), [
            (s.date.isoformat(), s.topic, s.get_form_display(), s.participant_count, float(s.hours))
            for s in sessions.order_by("date")
        ]
    if metric == "duty_gap_days":
        last = min(period.last, timezone.localdate())
        days = [d for d in selectors.duty_days(unit, period.first, last) if d.gaps] if last >= period.first else []
        return ("日期", "节点", "空档"), [
            (
                d.day.isoformat(),
                d.key_label,
                "，".join(f"{timezone.localtime(a):%H:%M}–{timezone.localtime(b):%H:%M}" for a, b in d.gaps),
            )
            for d in days
        ]
    if metric == "equipment_overdue":
        day = min(period.last, timezone.localdate())
        over = {pk for pks in selectors.equipment_overdue(ids, day).values() for pk in pks}
        kit = selectors.equipment_for(user).filter(pk__in=over)
        return ("设备", "单位", "上次自查"), [
            (e.name, e.unit.name, e.last_check.isoformat() if e.last_check else "") for e in kit
        ]
    if metric == "channels_failed":
        from qingting.web.channels.selectors import channels_for, latest_in_period

        seen = set(channels_for(user).values_list("pk", flat=True))
        rows_ = [r for r in latest_in_period(ids, period.start, period.end) if r.channel_id in seen]
        return ("平台", "单位", "检查时间", "得分", "结论"), [
            (r.channel.name, r.channel.unit.name, _fmt(r.checked_at), r.score, r.get_verdict_display())
            for r in sorted(rows_, key=lambda r: (r.verdict != "fail", r.channel.name))
        ]
    if metric == "release_accuracy":
        from qingting.web.accounts.selectors import units_for
        from qingting.web.releases.selectors import percent, release_counts

        visible = set(units_for(user).values_list("pk", flat=True))
        return ("平台", "单位", "发布", "更正", "信息准确率"), [
            (r.channel, r.unit, r.published, r.corrected, percent(r.published - r.corrected, r.published))
            for r in release_counts([i for i in ids if i in visible], period.start, period.end)
        ]
    raise ValueError(f"no rows to show for metric {metric!r}")


# --- output --------------------------------------------------------------------------------------


def _shown(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text}%" if unit == "%" else text


def scorecard_document(result: dict[str, Any], office: Unit) -> Any:
    """The scorecards as an office document (DOCX/PDF/HTML through :mod:`qingting.reports`)."""
    from qingting.reports.model import Document, DocumentKind, Heading, Paragraph, Table

    units = result["units"]
    prev = result.get("previous") or {}
    body: list[Any] = [Heading(1, "考核结果排名")]
    vetoed = [c["unit"] for c in units if c["veto"]]
    grades = {g: sum(1 for c in units if c["grade"] == g) for g in ("优秀", "良好", "合格", "较差")}
    body.append(
        Paragraph(
            f"依据《{result['name']}》，对{len(units)}个单位{_period_title(result['period'])}网信工作进行考核，"
            f"评定优秀{grades['优秀']}个、良好{grades['良好']}个、合格{grades['合格']}个、较差{grades['较差']}个"
            + (f"，{'、'.join(vetoed)}因单项否决评为不合格" if vetoed else "")
            + "。"
        )
    )
    body.append(
        Table(
            ("名次", "单位", "得分", "等次", f"上期（{prev.get('period', '—')}）得分", "上期名次"),
            tuple(
                (
                    c["rank"],
                    c["unit"],
                    _shown(c["total"]),
                    c["grade"],
                    _shown((c.get("previous") or {}).get("total")),
                    (c.get("previous") or {}).get("rank") or "—",
                )
                for c in units
            ),
            caption="考核得分排名",
            note="注：得分为各计分指标得分之和减扣分加加分；单项否决的单位列为不合格，排在最后。",
        )
    )
    body.append(Heading(1, "考核指标"))
    body.append(
        Table(
            ("指标", "类别", "分值", "计分方法", "数据来源"),
            tuple(
                (i["name"], _role_zh(i["role"]), _shown(i["weight"]), _rule_zh(i), i["source"])
                for i in result["indicators"]
            ),
            caption="考核指标及计分方法",
        )
    )
    body.append(Heading(1, "各单位得分明细"))
    for c in units:
        body.append(Heading(2, f"{c['unit']}（{_shown(c['total'])}分，第{c['rank']}名）"))
        body.append(
            Table(
                ("指标", "数值", "分子", "分母", "得分", "说明"),
                tuple(
                    (
                        s["name"],
                        _shown(s["value"], _unit_of(result, s)),
                        _shown(s["num"]),
                        _shown(s["den"]),
                        _shown(s["points"]),
                        s.get("note") or "",
                    )
                    for s in c["scores"]
                ),
            )
        )
    title = f"{office.name}{_period_title(result['period'])}网信工作考核结果"
    return Document(
        kind=DocumentKind.WORK, issuing_unit=office.name, title=title, date=timezone.localdate(), body=tuple(body)
    )


def _period_title(label: str) -> str:
    return parse_period(label).title


def _unit_of(result: dict[str, Any], score: dict[str, Any]) -> str:
    return next((i["unit"] for i in result["indicators"] if i["id"] == score["indicator"]), "")


def _role_zh(role: str) -> str:
    return {"score": "计分", "deduction": "扣分", "bonus": "加分", "veto": "单项否决"}.get(role, role)


def _rule_zh(i: dict[str, Any]) -> str:
    if i["role"] == "score":
        return f"{_shown(i['full_at'])}{i['unit']}得满分，{_shown(i['zero_at'])}{i['unit']}不得分，其间按比例"
    if i["role"] in ("deduction", "bonus"):
        verb = "扣" if i["role"] == "deduction" else "加"
        return f"每{i['unit'] or '项'}{verb}{_shown(i['per'])}分，最多{verb}{_shown(i['weight'])}分"
    return f"达到{_shown(i['full_at'])}{i['unit']}即不合格"


def scorecard_xlsx(result: dict[str, Any], path: Any) -> Any:
    """The scorecards as a workbook: 排名 (ranking), 明细 (every figure with its basis), 指标."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "排名"
    ws.append(["名次", "单位", "单位代码", "得分", "等次", "单项否决", "上期得分", "上期名次"])
    for c in result["units"]:
        p = c.get("previous") or {}
        ws.append(
            [
                c["rank"],
                c["unit"],
                c["code"],
                c["total"],
                c["grade"],
                "是" if c["veto"] else "否",
                p.get("total"),
                p.get("rank"),
            ]
        )
    detail = wb.create_sheet("明细")
    detail.append(["单位", "指标", "类别", "数值", "分子", "分母", "得分", "说明", "来源"])
    for c in result["units"]:
        for s in c["scores"]:
            detail.append(
                [
                    c["unit"],
                    s["name"],
                    _role_zh(s["role"]),
                    s["value"],
                    s["num"],
                    s["den"],
                    s["points"],
                    s.get("note") or "",
                    s["metric"],
                ]
            )
    ind = wb.create_sheet("指标")
    ind.append(["指标", "类别", "分值", "计分方法", "数据来源"])
    for i in result["indicators"]:
        ind.append([i["name"], _role_zh(i["role"]), i["weight"], _rule_zh(i), i["source"]])
    wb.save(str(path))
    return path


def scheme_for(office: Unit, year: int, level: str | None = None) -> AssessmentScheme | None:
    qs = AssessmentScheme.objects.filter(office=office, year=year)
    if level:
        qs = qs.filter(level=level)
    return qs.order_by("level").first()
