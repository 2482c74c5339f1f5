"""Reading sentiment as the figures and pages see it: the corrected value where there is one.

A correction's label is written to ``Item.sentiment_label``, the daily counts and the item's
event's places (whose counts its sentiment figures are derived from, decision 0131) when it is
made, so the dashboard's 情感分布, events' negative shares, warning reasons, bulletins and reports
read corrected values with no change of their own; :func:`item_sentiment` is the one place a page
asks for an item's label and whether an analyst set it.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

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
