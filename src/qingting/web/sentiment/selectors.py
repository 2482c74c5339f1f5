"""Reading sentiment as the figures and pages see it: the corrected value where there is one.

A correction's label is written to ``Item.sentiment_label`` (and the daily counts) when it is
made, so the dashboard's 情感分布, warning reasons, bulletins and reports read corrected values with
no change of their own; :func:`item_sentiment` is the one place a page asks for an item's label
and whether an analyst set it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Case, ExpressionWrapper, F, FloatField, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext

from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import units_for
from qingting.web.sentiment.models import Correction, ModelVersion, RescoreJob, VersionStatus

if TYPE_CHECKING:
    from qingting.core.sentiment import ThreeClassModel


@dataclass(frozen=True)
class ItemSentiment:
    label: str
    corrected: bool
    engine_label: str = ""
    by: str = ""
    at: Any = None


def item_sentiment(item: Any) -> ItemSentiment:
    """The label of ``item`` as figures use it, and who corrected it (if anyone)."""
    try:
        corr: Correction | None = item.sentiment_correction
    except Correction.DoesNotExist:
        corr = None
    if corr is None:
        return ItemSentiment(item.sentiment_label or "", False)
    by = corr.corrected_by.get_username() if corr.corrected_by else ""
    return ItemSentiment(corr.label, True, corr.engine_label, by, corr.corrected_at)


def negative_share(event: Any) -> float:
    """``event``'s share of negative items with the analysts' corrections applied.

    The engine keeps its own count of negative items per event (``Event.negative_share``); each
    correction of an item placed in the event moves that count by the difference between the
    engine's label and the corrected one. Warnings and reports read the share through here.
    """
    n = int(event.item_count or 0)
    if n <= 0:
        return float(event.negative_share)
    rows = Correction.objects.filter(item__event=event).values_list("engine_label", "label")
    delta = sum(int(new == "negative") - int(old == "negative") for old, new in rows)
    if not delta:
        return float(event.negative_share)
    return round(min(1.0, max(0.0, (float(event.negative_share) * n + delta) / n)), 4)


def negative_shares(events: Any) -> dict[int, float]:
    """:func:`negative_share` of each of ``events`` (event pk → share), in one grouped query per
    500 events over their corrections, whatever the number of events (warnings assess a batch's
    or a backfill's events at once). Equal to calling :func:`negative_share` on each."""
    events = list(events)
    counted = [e.pk for e in events if int(e.item_count or 0) > 0]
    deltas: dict[int, tuple[int, float]] = {}
    for start in range(0, len(counted), 500):
        deltas.update(_deltas(counted[start : start + 500]))
    out: dict[int, float] = {}
    for e in events:
        n = int(e.item_count or 0)
        delta = deltas.get(e.pk, (0, 0.0))[0]
        if n <= 0 or not delta:
            out[e.pk] = float(e.negative_share)
        else:
            out[e.pk] = round(min(1.0, max(0.0, (float(e.negative_share) * n + delta) / n)), 4)
    return out


CORRECTED_SCORE = {"negative": 0.2, "neutral": 0.5, "positive": 0.8}  # as services.CORRECTED_SCORE


def _deltas(event_ids: list[int] | None) -> dict[int, tuple[int, float]]:
    """Per event with corrections: (change of its negative count, change of its summed positivity).

    One grouped query over the corrections (there are few: analysts make them by hand), never
    over the events' items."""
    neg = Case(When(label="negative", then=Value(1)), default=Value(0)) - Case(
        When(engine_label="negative", then=Value(1)), default=Value(0)
    )
    score = Case(*(When(label=k, then=Value(v)) for k, v in CORRECTED_SCORE.items()), default=Value(0.5))
    moved = ExpressionWrapper(score - Coalesce(F("engine_score"), Value(0.5)), output_field=FloatField())
    rows = Correction.objects.filter(item__event_id__isnull=False)
    if event_ids is not None:
        rows = rows.filter(item__event_id__in=event_ids)
    grouped = rows.order_by().values("item__event_id").annotate(neg=Sum(neg), score=Sum(moved))
    return {r["item__event_id"]: (int(r["neg"] or 0), float(r["score"] or 0.0)) for r in grouped}


def _apply(event: Any, delta: tuple[int, float]) -> tuple[float, float]:
    n = int(event.item_count or 0)
    if n <= 0:
        return float(event.negative_share), float(event.sentiment)
    share = (float(event.negative_share) * n + delta[0]) / n
    mood = (float(event.sentiment) * n + delta[1]) / n
    return round(min(1.0, max(0.0, share)), 4), round(min(1.0, max(0.0, mood)), 4)


def label_of(negative_share: float, sentiment: float) -> str:
    """An event's overall label from its figures (as ``Event.sentiment_label``)."""
    if negative_share >= 0.5:
        return "negative"
    return "positive" if sentiment >= 0.6 else "neutral"


def attach_corrected_figures(events: Any) -> None:
    """Set ``corrected_negative_share`` and ``corrected_sentiment`` on each event (a page of the
    board, the API's list): the engine's figures with the analysts' corrections applied, which
    ``Event.sentiment_label`` then reads. One query for the whole page."""
    events = list(events)
    deltas = _deltas([e.pk for e in events])
    for e in events:
        e.corrected_negative_share, e.corrected_sentiment = _apply(e, deltas.get(e.pk, (0, 0.0)))


def corrected_label_changes(sentiment: str) -> tuple[set[int], set[int]]:
    """For the board's sentiment filter: (events whose figures corrections changed, those of them
    whose corrected label is ``sentiment``). The board keeps the engine's condition for every
    other event, so the filter costs a query over the corrections, not over the events' items."""
    from qingting.web.monitoring.models import Event

    deltas = _deltas(None)
    changed: set[int] = set()
    matching: set[int] = set()
    for e in Event.objects.filter(pk__in=list(deltas)).only("pk", "item_count", "negative_share", "sentiment"):
        changed.add(e.pk)
        if label_of(*_apply(e, deltas[e.pk])) == sentiment:
            matching.add(e.pk)
    return changed, matching


def corrected_sentiment(event: Any) -> float:
    """``event``'s mean positivity with the analysts' corrections applied (see :func:`negative_share`)."""
    n = int(event.item_count or 0)
    if n <= 0:
        return float(event.sentiment)
    rows = Correction.objects.filter(item__event=event).values_list("label", "engine_score")
    delta = sum(CORRECTED_SCORE.get(label, 0.5) - (0.5 if old is None else old) for label, old in rows)
    return round(min(1.0, max(0.0, (float(event.sentiment) * n + delta) / n)), 4)


def model_name(organisation: Unit | None) -> str:
    """The name of the model scoring ``organisation``'s items now: ``"default"`` or ``"v3"``."""
    if organisation is None:
        return "default"
    v = ModelVersion.objects.filter(organisation=organisation, status=VersionStatus.ACTIVE).only("number").first()
    return f"v{v.number}" if v else "default"


@dataclass(frozen=True)
class ModelInUse:
    """The sentiment model scoring an organisation's items: a version of its own, or the shipped default."""

    number: int | None = None  # None: the shipped default
    activated_at: Any = None

    def text(self) -> str:
        """For documents (Chinese, their language): 系统默认模型 / 本单位模型 v3（2026-12-07 启用）."""
        if self.number is None:
            return "系统默认模型"
        day = f"（{timezone.localdate(self.activated_at).isoformat()} 启用）" if self.activated_at else ""
        return f"本单位模型 v{self.number}{day}"

    def label(self) -> str:
        """For pages, in the reader's language."""
        if self.number is None:
            return gettext("shipped default model")
        if self.activated_at is None:
            return gettext("our model v%(n)s") % {"n": self.number}
        day = timezone.localdate(self.activated_at).isoformat()
        return gettext("our model v%(n)s (active since %(day)s)") % {"n": self.number, "day": day}


def model_in_use(organisation: Unit | None) -> ModelInUse:
    """Which model scores ``organisation``'s items now, and since when (reports and bulletins name it)."""
    if organisation is None:
        return ModelInUse()
    v = (
        ModelVersion.objects.filter(organisation=organisation, status=VersionStatus.ACTIVE)
        .only("number", "activated_at", "created_at")
        .first()
    )
    return ModelInUse() if v is None else ModelInUse(v.number, v.activated_at or v.created_at)


def versions(organisation: Unit) -> list[ModelVersion]:
    return list(ModelVersion.objects.filter(organisation=organisation).defer("data").select_related("created_by"))


def rescore_jobs(organisation: Unit, limit: int = 5) -> list[RescoreJob]:
    return list(RescoreJob.objects.filter(organisation=organisation).select_related("version")[:limit])


def organisations_for(user: Any) -> list[Unit]:
    """The organisations (roots of the unit tree) whose units ``user`` sees."""
    roots: dict[int, None] = {}
    for u in units_for(user).only("path"):
        parts = [p for p in u.path.strip("/").split("/") if p.isdigit()]
        if parts:
            roots[int(parts[0])] = None
    return list(Unit.objects.filter(pk__in=list(roots)))


def corrections(organisation: Unit, limit: int = 50) -> list[Correction]:
    return list(
        Correction.objects.filter(organisation=organisation)
        .select_related("item", "corrected_by")
        .order_by("-corrected_at")[:limit]
    )


def model_from_bytes(data: bytes | memoryview) -> ThreeClassModel:
    """A stored model version's bytes as the model (a versioned, non-executable format)."""
    from qingting.core.sentiment import ThreeClassModel

    return ThreeClassModel.load(io.BytesIO(bytes(data)))


_ANALYZERS: dict[tuple[int, int], Any] = {}


def engine_analyzer(unit_id: int) -> Any:
    """The sentiment analyzer the engine uses for a scheme of ``unit_id``: its organisation's
    active version, or ``None`` (the engine's configured model, i.e. the shipped default).

    One indexed query per batch; a version's model is deserialised once per process.
    """
    from qingting.core.sentiment import Analyzer

    path = Unit.objects.filter(pk=unit_id).values_list("path", flat=True).first() or ""
    parts = [p for p in path.strip("/").split("/") if p.isdigit()]
    if not parts:
        return None
    v = (
        ModelVersion.objects.filter(organisation_id=int(parts[0]), status=VersionStatus.ACTIVE)
        .values_list("pk", "number")
        .first()
    )
    if v is None:
        return None
    key = (int(parts[0]), v[1])
    if key not in _ANALYZERS:
        data = ModelVersion.objects.filter(pk=v[0]).values_list("data", flat=True).first()
        if data is None:
            return None
        if len(_ANALYZERS) > 16:
            _ANALYZERS.clear()
        _ANALYZERS[key] = Analyzer(model_from_bytes(bytes(data)))
    return _ANALYZERS[key]
