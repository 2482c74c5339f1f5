"""``{% add_to_bulletin event %}``: the event page's "new bulletin / add to draft" buttons."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.inclusion_tag("bulletins/_add_to_bulletin_form.html", takes_context=True)
def add_to_bulletin(context: dict[str, Any], event: Any) -> dict[str, Any]:
    from qingting.web.accounts.selectors import has_role, units_for
    from qingting.web.bulletins import selectors, services

    request = context.get("request")
    user = getattr(request, "user", None)
    can = user is not None and any(has_role(user, u, {services.ANALYST}) for u in units_for(user)[:50])
    drafts = list(selectors.drafts_of(user).exclude(events=event)[:10]) if can else []
    return {"event": event, "can": can, "drafts": drafts, "csrf_token": context.get("csrf_token")}
