"""Pages: dashboard, event board, event page, search, sources.

Function views in the django-htmx pattern: one URL serves the whole page and, for an HTMX
request, only the fragment that changes. Views validate and call selectors; nothing else.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from qingting.web.monitoring import dashboard as dash
from qingting.web.monitoring import search as search_lib
from qingting.web.monitoring import selectors, services, storyline
from qingting.web.monitoring.forms import EventFilterForm, SearchForm
from qingting.web.monitoring.models import SentimentChoice, SourceKind

PAGE_SIZE = 25


def _page(request: HttpRequest, qs: Any) -> Any:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def dashboard(request: HttpRequest) -> HttpResponseBase:
    """The dashboard for a period (今日/7天/30天/自定义): key figures against the usual level,
    volume (today by the hour; the last day marked partial), sentiment, sources, regions, the
    period's keywords as a word cloud, top and rising events. ``?export=xlsx|csv``: the daily table."""
    from qingting.web.exports.writer import FORMATS, export_response

    user = request.user
    now = timezone.now()
    local = timezone.localtime(now)
    period = dash.Period.parse(request.GET, today=local.date())
    table = dash.daily_table(user, period)
    if request.GET.get("export") in FORMATS:
        header = [_("Day"), _("Items"), _("Negative"), _("Neutral"), _("Positive"), _("Not scored")]
        return export_response(
            request.GET["export"],
            title=_("Dashboard: daily figures"),
            filename=_("dashboard-daily-figures-%(first)s-%(last)s") % {"first": period.first, "last": period.last},
            user=user,
            filters=[(_("Period"), f"{period.label()} {period.first} – {period.last}")],
            header=[*header, _("Negative share")],
            rows=(
                [*(r[k] for k in ("day", "total", "negative", "neutral", "positive", "unknown")),
                 "" if r["negative_share"] is None else round(r["negative_share"], 4)]
                for r in table
            ),
        )  # fmt: skip
    data = selectors.dashboard_period(user, period.first, period.last)
    kind_labels = dict(SourceKind.choices)
    sentiment_labels = dict(SentimentChoice.choices)
    partial = period.last == local.date()
    if period.key == "today":
        volume = dash.hourly_today(user, now)
    else:
        volume = [[r["day"].isoformat(), r["total"]] for r in table]
    charts = {
        "volume": volume,
        # The last point is today up to now: drawn dashed and labelled, never read as a plunge.
        "partial": {"label": _("so far (%(time)s)") % {"time": local.strftime("%H:%M")}} if partial else None,
        "sentiment": [
            [str(sentiment_labels.get(k, k)), data["sentiment"].get(k, 0)] for k in ("negative", "neutral", "positive")
        ],
        "sources": [[str(kind_labels.get(k, k)), n] for k, n in data["sources"]],
        "regions": data["regions"],
        "words": dash.word_cloud(user, period),
        "search_url": reverse("monitoring:search"),
    }
    context = {
        "nav": "dashboard",
        "data": data,
        "charts": charts,
        "period": period,
        "periods": [("today", _("Today")), ("7d", _("7 days")), ("30d", _("30 days"))],
        "figures": dash.key_figures(user, now),
        "alerts": dash.alert_figures(user, now),
        "total": sum(r["total"] for r in table),
        "export_query": request.GET.copy(),
    }
    return render(request, "monitoring/dashboard.html", context)


@login_required
def event_board(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None, user=request.user)
    page = _page(request, selectors.event_board(request.user, form.filters()))
    selectors.attach_scheme_names(request.user, page.object_list)
    context = {"nav": "events", "form": form, "page": page, "query": _query_without_page(request)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "monitoring/_event_rows.html", context)
    return render(request, "monitoring/event_board.html", context)


@login_required
def event_detail(request: HttpRequest, pk: int) -> HttpResponse:
    event = selectors.event_at(request.user, pk)
    if event.pk != pk:  # merged into another event: its address leads there
        return redirect("monitoring:event", pk=event.pk)
    selectors.attach_scheme_names(request.user, [event])
    view = selectors.event_view(request.user, event)
    # The label reads the figures over what the user sees (decision 0104).
    event.visible_negative_share, event.visible_sentiment = view.negative_share, view.sentiment  # type: ignore[attr-defined]
    series = storyline.sentiment_over_time(request.user, event)
    names = {
        "negative": _("Negative"),
        "neutral": _("Neutral"),
        "positive": _("Positive"),
        "items": _("Items"),
        "share": _("Share"),
        "official_response": _("Official response"),
        "first_mainstream": _("First mainstream report"),
    }
    context = {
        "nav": "events",
        "event": event,
        "view": view,
        "series": series,
        "sentiment_chart": storyline.chart_data(series, names),
        "moments": storyline.storyline(request.user, event, series),
        "related": storyline.related(request.user, event),
        "can_edit": selectors.can_edit_events(request.user, event),
        "posts": selectors.event_posts(event, user=request.user),
        "sources": selectors.event_sources(event, user=request.user),
        "timeline": selectors.event_timeline(event),
    }
    return render(request, "monitoring/event_detail.html", context)


@login_required
def search(request: HttpRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, user=request.user)
    filters = form.filters()
    page = None
    if form.is_bound and form.is_valid():
        page = _page(request, selectors.item_search(request.user, filters))
        for item in page.object_list:
            # highlight() escapes the outside text first, then adds <mark>.
            item.title_html = search_lib.highlight(item.title, filters.q) if item.title else ""
            item.snippet_html = search_lib.highlight(item.text, filters.q, width=160)
    context = {"nav": "search", "form": form, "page": page, "q": filters.q, "query": _query_without_page(request)}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "monitoring/_search_results.html", context)
    return render(request, "monitoring/search.html", context)


@login_required
@require_POST
def event_merge(request: HttpRequest, pk: int) -> HttpResponse:
    """An analyst merges this event into another one (the same story): audited, reversible by a split."""
    event = selectors.event_get(request.user, pk)
    try:
        into = selectors.event_get(request.user, int(request.POST.get("into", "")))
        survivor = services.event_merge(actor=request.user, event=event, into=into)
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, _("The events were not merged: %(reason)s") % {"reason": exc})
        return redirect("monitoring:event", pk=event.pk)
    messages.success(request, _("Merged: its items are now in this event."))
    return redirect("monitoring:event", pk=survivor.pk)


@login_required
@require_POST
def event_split(request: HttpRequest, pk: int) -> HttpResponse:
    """An analyst moves the ticked posts (and their copies) into a new event: audited."""
    event = selectors.event_get(request.user, pk)
    try:
        ids = [int(v) for v in request.POST.getlist("item")]
        new = services.event_split(actor=request.user, event=event, item_ids=ids, title=request.POST.get("title", ""))
    except (ValueError, PermissionDenied) as exc:
        messages.error(request, _("The event was not split: %(reason)s") % {"reason": exc})
        return redirect("monitoring:event", pk=event.pk)
    messages.success(request, _("Split: the ticked posts now form this event."))
    return redirect("monitoring:event", pk=new.pk)
