"""Downloads of the monitoring lists: search results and an event's items (xlsx or CSV).

Read through ``monitoring.selectors`` with the user's scope, like the pages they come from.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from qingting.web.exports.writer import FORMATS, MAX_ROWS, export_response, form_filters


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "xlsx")
    if fmt not in FORMATS:
        raise Http404("unknown format")
    return fmt


_ITEM_COLUMNS = ("published_at", "source__name", "title", "text", "sentiment_label", "engagement", "region", "url")


def _item_header() -> list[str]:
    words = ("Published", "Source", "Title", "Text", "Sentiment", "Engagement", "Region", "Link")
    return [pgettext("export column", w) for w in words]


def _item_rows(user: Any, filters: Any) -> Iterator[Sequence[Any]]:
    """Rows read as tuples a chunk at a time (no model objects, no query per row); the sentiment
    labels are worded once."""
    from qingting.web.monitoring import selectors
    from qingting.web.monitoring.models import SentimentChoice

    labels = {value: str(label) for value, label in SentimentChoice.choices}
    for row in selectors.item_rows(user, filters, _ITEM_COLUMNS, limit=MAX_ROWS + 1):
        label = row[4]
        yield (*row[:4], labels.get(label, label or ""), *row[5:])


@login_required
def search_export(request: HttpRequest) -> Any:
    from qingting.web.monitoring.forms import SearchForm

    fmt = _format(request)
    form = SearchForm(request.GET or None, user=request.user)
    if not form.is_valid():
        return HttpResponse(_("The search could not be exported: check the filters."), status=400)
    return export_response(
        fmt,
        title=_("Search results"),
        filename=_("search results"),
        user=request.user,
        filters=form_filters(form),
        header=_item_header(),
        rows=_item_rows(request.user, form.filters()),
    )


@login_required
def event_export(request: HttpRequest, pk: int) -> Any:
    from qingting.web.monitoring import selectors

    fmt = _format(request)
    event = selectors.event_get(request.user, pk)  # 404 outside the user's scope
    return export_response(
        fmt,
        title=_("Items of the event “%(title)s”") % {"title": event.title},
        filename=_("event %(pk)s items") % {"pk": event.pk},
        user=request.user,
        filters=[(_("Event"), event.title)],
        header=_item_header(),
        rows=_item_rows(request.user, selectors.ItemFilters(event=event.pk)),
    )
