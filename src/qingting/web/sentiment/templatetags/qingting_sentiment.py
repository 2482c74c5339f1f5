"""``{% item_sentiment item %}``: an item's label, "corrected" when an analyst set it, and the
one-click correction buttons for analysts and administrators."""

from __future__ import annotations

from typing import Any

from django import template

from qingting.web.sentiment import selectors, services, texts

register = template.Library()


@register.inclusion_tag("sentiment/_item_sentiment.html", takes_context=True)
def item_sentiment(context: Any, item: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    cache: dict[int, bool] = getattr(request, "_qt_can_correct", None) or {}
    unit_id = item.source.unit_id
    can = False
    if user is not None:
        if unit_id not in cache:
            cache[unit_id] = services.can_correct(user, item.source.unit)
            if request is not None:
                request._qt_can_correct = cache
        can = cache[unit_id]
    return {
        "item": item,
        "s": selectors.item_sentiment(item),
        "can_correct": can,
        "next": request.get_full_path() if request is not None else "/",
        "csrf_token": context.get("csrf_token"),
        "choices": ("negative", "neutral", "positive"),
    }


@register.filter
def sentiment_reason(message: str) -> str:
    """A version's reason (stored in English) in the reader's language."""
    return texts.reason_text(message)


@register.filter
def sentiment_model(name: Any) -> str:
    """``default`` → 系统默认模型 / shipped default; a version as ``v3``."""
    return texts.model_label(str(name) if name else "default")
