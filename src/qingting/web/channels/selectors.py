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
