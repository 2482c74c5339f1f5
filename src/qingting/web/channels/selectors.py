"""Reads for channels. Every function applies the one scoping rule (``accounts.selectors.scope``).

``channels_for`` is the contract other apps use (the releases app offers a release's target
channels from it).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from qingting.web.accounts.selectors import scope
from qingting.web.channels.models import Channel, ChannelState


def channels_for(user: Any, *, live_only: bool = False) -> QuerySet[Channel]:
    """Channels of the units the user may see (the unit and its descendants).

    ``live_only`` keeps those in operation (运营中), e.g. the channels a release may target.

    >>> channels_for(request.user, live_only=True)  # doctest: +SKIP
    <QuerySet [<Channel: 青禾发布>, ...]>
    """
    qs = scope(Channel.objects.select_related("unit", "operator", "reviewer", "source"), user, unit_field="unit")
    if live_only:
        qs = qs.filter(state=ChannelState.ACTIVE)
    return qs


def channel_get(user: Any, pk: int) -> Channel:
    """One channel the user may see, else 404 (never 403: do not confirm that it exists)."""
    channel = channels_for(user).filter(pk=pk).first()
    if channel is None:
        raise Http404("no such channel")
    return channel


def latest_inspections(channel_ids: list[int]) -> dict[int, Any]:
    """The newest inspection of each channel (one query)."""
    from qingting.web.channels.models import Inspection

    out: dict[int, Any] = {}
    for row in Inspection.objects.filter(channel_id__in=channel_ids).order_by("channel_id", "-checked_at", "-id"):
        out.setdefault(row.channel_id, row)
    return out


def inspections_of(channel: Channel, *, limit: int = 20) -> list[Any]:
    return list(channel.inspections.select_related("requested_by")[:limit])


def inspection_get(user: Any, channel: Channel, pk: int) -> Any:
    row = channel.inspections.filter(pk=pk).first()
    if row is None:
        raise Http404("no such inspection")
    return row


def verdict_counts(unit_ids: list[int], start: Any, end: Any) -> dict[str, int]:
    """Channels of ``unit_ids`` by their latest verdict in ``[start, end)`` (assessment, work report)."""
    from qingting.web.channels.models import Inspection

    latest: dict[int, str] = {}
    rows = Inspection.objects.filter(channel__unit_id__in=unit_ids, checked_at__gte=start, checked_at__lt=end)
    for channel_id, verdict in rows.order_by("channel_id", "-checked_at", "-id").values_list("channel_id", "verdict"):
        latest.setdefault(channel_id, verdict)
    counts = {"pass": 0, "fail": 0, "undetermined": 0}
    for v in latest.values():
        counts[v] = counts.get(v, 0) + 1
    return counts


def latest_in_period(unit_ids: list[int], start: Any, end: Any) -> list[Any]:
    """The latest inspection in ``[start, end)`` of each channel of ``unit_ids`` (assessment rows)."""
    from qingting.web.channels.models import Inspection

    latest: dict[int, Any] = {}
    rows = Inspection.objects.filter(
        channel__unit_id__in=unit_ids, checked_at__gte=start, checked_at__lt=end
    ).select_related("channel__unit")
    for row in rows.order_by("channel_id", "-checked_at", "-id"):
        latest.setdefault(row.channel_id, row)
    return list(latest.values())


def verdicts_by_unit(unit_ids: list[int], start: Any, end: Any) -> dict[int, dict[str, int]]:
    """Per owner unit: its channels by their latest verdict in ``[start, end)``."""
    out: dict[int, dict[str, int]] = {}
    from qingting.web.channels.models import Inspection

    latest: dict[int, tuple[int, str]] = {}
    rows = Inspection.objects.filter(channel__unit_id__in=unit_ids, checked_at__gte=start, checked_at__lt=end)
    for channel_id, unit_id, verdict in rows.order_by("channel_id", "-checked_at", "-id").values_list(
        "channel_id", "channel__unit_id", "verdict"
    ):
        latest.setdefault(channel_id, (unit_id, verdict))
    for unit_id, verdict in latest.values():
        counts = out.setdefault(unit_id, {"pass": 0, "fail": 0, "undetermined": 0})
        counts[verdict] = counts.get(verdict, 0) + 1
    return out
