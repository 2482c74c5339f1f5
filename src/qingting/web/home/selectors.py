"""What a role's home page lists, each read through the owning app's selectors (scoped to the user).

Each block is small (a count and the first few rows), so the page costs a handful of indexed
queries however large the database is.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from django.db.models import Count
from django.utils import timezone

ROWS = 8


def my_cases(user: Any, now: datetime) -> dict[str, Any]:
    """The handler's queue, most urgent (overdue) first, with the working days left per row."""
    from qingting.web.cases import ui

    qs = ui.my_queue(user)
    rows = list(qs[:ROWS])
    ui.decorate_rows(rows, now)
    return {"rows": rows, "count": qs.count(), "overdue": ui.overdue_queue(user, now).filter(pk__in=qs).count()}


def overdue_cases(user: Any, now: datetime) -> dict[str, Any]:
    from qingting.web.cases import ui

    qs = ui.overdue_queue(user, now)
    rows = list(qs[:ROWS])
    ui.decorate_rows(rows, now)
    return {"rows": rows, "count": qs.count()}


def month_figures(user: Any, now: datetime) -> dict[str, Any]:
    """This month's case figures for the user's units (the figures page's definitions)."""
    from qingting.web.cases import ui

    tz = timezone.get_current_timezone()
    today = timezone.localtime(now).date()
    start = datetime.combine(today.replace(day=1), time.min, tzinfo=tz)
    total, _rows, _at = ui.figures(user, start, now)
    return total


def awaiting_signoff(user: Any) -> dict[str, Any]:
    from qingting.web.bulletins import selectors

    qs = selectors.awaiting_signoff(user).order_by("submitted_at", "pk")
    return {"rows": list(qs.select_related("unit")[:ROWS]), "count": qs.count()}


def releases_awaiting(user: Any) -> dict[str, Any]:
    from qingting.web.releases import selectors

    qs = selectors.awaiting_me(user).order_by("pk")
    return {"rows": list(qs.select_related("unit")[:ROWS]), "count": qs.count()}


def source_problems(user: Any, now: datetime) -> list[Any]:
    """Failing or silent sources of the user's units (the sources page's banner)."""
    from qingting.web.accounts.selectors import scope
    from qingting.web.collect import selectors as collect
    from qingting.web.monitoring.models import Source

    sources = scope(Source.objects.filter(is_active=True).select_related("unit"), user).order_by("name")
    return [h for h in collect.sources_health(now, sources) if h.is_problem]


def open_warnings_by_tier(user: Any) -> list[tuple[str, int]]:
    """Open event warnings per tier, gravest first, as (label, count)."""
    from qingting.web.warnings import selectors
    from qingting.web.warnings.models import TierChoice

    qs = selectors.warning_list(user, status="open", kind="event").order_by()
    counts = dict(qs.values_list("tier").annotate(n=Count("pk")).values_list("tier", "n"))
    return [(str(label), counts[t]) for t, label in sorted(TierChoice.choices) if counts.get(t)]
