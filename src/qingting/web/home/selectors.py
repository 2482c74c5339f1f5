"""What a role's home page lists, each read through the owning app's selectors (scoped to the user).

Each block is small (a count and the first few rows), so the page costs a handful of indexed
queries however large the database is.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Count, Max
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


def failing_channels(user: Any) -> list[Any]:
    """Channels in operation whose newest inspection failed (不合格), in the user's scope."""
    from qingting.web.channels import selectors
    from qingting.web.channels.models import Verdict

    live = list(selectors.channels_for(user, live_only=True))
    latest = selectors.latest_inspections([c.pk for c in live])
    out = []
    for channel in live:
        inspection = latest.get(channel.pk)
        if inspection is not None and inspection.verdict == Verdict.FAIL:
            out.append({"channel": channel, "inspection": inspection})
    return out


JOB_DAYS = 7  # failed background work of the last week is listed on the administrator's home


def failing_jobs(user: Any, now: datetime) -> list[dict[str, Any]]:
    """Background work that failed in the last :data:`JOB_DAYS` days, newest first, in the user's
    scope: file imports, scheduled reports, sentiment re-scoring, warning deliveries (the last
    counted per channel: one row per channel, not one per message)."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from qingting.web.accounts.selectors import scope
    from qingting.web.collect.models import ImportRun, ImportStatus
    from qingting.web.reporting.models import ScheduledRun
    from qingting.web.sentiment.models import RescoreJob
    from qingting.web.warnings.models import Notification, NotificationStatus

    since = now - timedelta(days=JOB_DAYS)
    rows: list[dict[str, Any]] = []
    imports = scope(ImportRun.objects.select_related("source"), user, unit_field="source__unit")
    for run in imports.filter(status=ImportStatus.FAILED, started_at__gte=since)[:ROWS]:
        rows.append({"what": _("File import"), "name": f"{run.source.name} · {run.file_name}",
                     "at": run.finished_at or run.started_at, "error": "; ".join(run.error_texts[-1:]),
                     "url": reverse("collect:edit", args=[run.source_id])})  # fmt: skip
    reports = scope(ScheduledRun.objects.select_related("schedule"), user, unit_field="schedule__unit")
    for srun in reports.filter(state=ScheduledRun.State.FAILED, claimed_at__gte=since).order_by("-claimed_at")[:ROWS]:
        rows.append({"what": _("Scheduled report"), "name": f"{srun.schedule} · {srun.period_label}",
                     "at": srun.finished_at or srun.claimed_at, "error": srun.error,
                     "url": reverse("reporting:schedules")})  # fmt: skip
    rescores = scope(RescoreJob.objects.all(), user, unit_field="organisation")
    for job in rescores.filter(status=RescoreJob.Status.FAILED, created_at__gte=since)[:ROWS]:
        rows.append({"what": _("Sentiment re-scoring"), "name": str(job.version or ""),
                     "at": job.finished_at or job.created_at, "error": job.error,
                     "url": reverse("sentiment:models")})  # fmt: skip
    failed = scope(Notification.objects.all(), user, unit_field="channel__unit").filter(
        status=NotificationStatus.FAILED, created_at__gte=since
    )
    per_channel = failed.values("channel_id", "channel__name").annotate(n=Count("pk"), last=Max("created_at"))
    for d in per_channel.order_by("-last")[:ROWS]:
        name = _("%(channel)s: %(n)d messages not delivered") % {"channel": d["channel__name"], "n": d["n"]}
        rows.append({"what": _("Warning delivery"), "name": name,
                     "at": d["last"], "error": "", "url": reverse("warnings:settings")})  # fmt: skip
    rows.sort(key=lambda r: r["at"], reverse=True)
    return rows[:ROWS]
