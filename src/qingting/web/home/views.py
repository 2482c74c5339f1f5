"""The home page (工作台): the first page after signing in, made of what the user's roles need now.

- handler: 我的待办 first — the queue, overdue first, with the working days left per case;
- leader: bulletins and releases waiting for their sign-off, overdue cases, this month's figures;
- admin: sources failing or silent, channels whose last inspection failed, background work that
  failed this week, open warnings by tier;
- an analyst (and nobody else) lands on the dashboard, which is the analyst's home.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from qingting.web.accounts.selectors import role_codes
from qingting.web.home import selectors

# Roles that have a block on the home page; the others are served by the dashboard.
HOME_ROLES = {"handler", "leader", "admin", "reviewer"}


@login_required
def home(request: HttpRequest) -> HttpResponse:
    roles = role_codes(request.user)
    if not roles & HOME_ROLES:
        return redirect("monitoring:dashboard")
    now = timezone.now()
    user = request.user
    context: dict[str, object] = {"nav": "home", "roles": roles}
    if roles & {"handler", "admin"}:
        context["mine"] = selectors.my_cases(user, now)
    if roles & {"leader", "reviewer", "admin"}:
        context["signoff"] = selectors.awaiting_signoff(user)
        context["releases"] = selectors.releases_awaiting(user)
    if roles & {"leader", "reviewer", "admin"}:
        context["overdue"] = selectors.overdue_cases(user, now)
        context["month"] = selectors.month_figures(user, now)
    if roles & {"admin"}:
        context["problems"] = selectors.source_problems(user, now)
        context["channels_failing"] = selectors.failing_channels(user)
        context["jobs"] = selectors.failing_jobs(user, now)
    context["tiers"] = selectors.open_warnings_by_tier(user)
    return render(request, "home/index.html", context)
