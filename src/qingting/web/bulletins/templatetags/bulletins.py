"""``{% add_to_bulletin event %}``: the event page's "new bulletin / add to draft" buttons;
``{{ iso|iso_datetime }}``: a stored ISO time as a datetime (shown in the site's time zone)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def iso_datetime(value: Any) -> Any:
    """``"2026-12-04T02:00:00+00:00"`` → an aware datetime for ``|date`` (local time), else the value."""
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None else value


@register.inclusion_tag("bulletins/_add_to_bulletin_form.html", takes_context=True)
def add_to_bulletin(context: dict[str, Any], event: Any) -> dict[str, Any]:
    from qingting.web.accounts.selectors import has_role, units_for
    from qingting.web.bulletins import selectors, services

    request = context.get("request")
    user = getattr(request, "user", None)
    can = user is not None and any(has_role(user, u, {services.ANALYST}) for u in units_for(user)[:50])
    drafts = list(selectors.drafts_of(user).exclude(events=event)[:10]) if can else []
    return {"event": event, "can": can, "drafts": drafts, "csrf_token": context.get("csrf_token")}


@register.filter
def sentiment_model_label(figures: Any) -> str:
    """The sentiment model the figures name, in the reader's language ("" when they do not say)."""
    from qingting.web.bulletins.composition import sentiment_model

    model = sentiment_model(figures) if isinstance(figures, dict) else None
    return "" if model is None else str(model.label())
