"""JSON API for sentiment corrections, mounted at ``/api/sentiment``.

(No ``from __future__ import annotations`` here: django-ninja reads the annotations at import.)
"""

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.errors import HttpError

from qingting.web.sentiment import services

router = Router(tags=["sentiment"])


class CorrectionIn(Schema):
    label: Literal["negative", "neutral", "positive"]
    # the label the client last saw: when given and no longer the item's, the answer is 409
    expected: Literal["negative", "neutral", "positive", ""] | None = None


class CorrectionOut(Schema):
    item_id: int
    label: str
    engine_label: str
    corrected_by: str
    corrected_at: datetime


@router.post("/items/{item_id}/correction", response=CorrectionOut)
def correct_item(request: HttpRequest, item_id: int, payload: CorrectionIn) -> CorrectionOut:
    """Set an item's sentiment (analyst or administrator); never overwritten by the engine."""
    try:
        corr = services.correct(request.user, item_id, payload.label, shown=payload.expected)
    except services.StaleCorrection as e:
        raise HttpError(409, f"the item's sentiment is now {e.current or 'unset'}; reload and try again") from e
    except services.ItemPending as e:
        raise HttpError(409, "the item is still being analysed; try again in a moment") from e
    return CorrectionOut(
        item_id=corr.item_id,
        label=corr.label,
        engine_label=corr.engine_label,
        corrected_by=request.user.get_username(),
        corrected_at=corr.corrected_at,
    )
