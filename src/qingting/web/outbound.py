"""The platform's side of the outbound policy (:mod:`qingting.outbound`, decision 0070).

One allow-list, set by the operator only (``QINGTING_FETCH_ALLOW_HOSTS``), for every connection
Qingting opens on a unit admin's configuration: source polls, the mailbox, and notification
channels. Save-time checks turn a refusal into a form/API error on the field that holds the host.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from qingting import outbound


def allow_hosts() -> frozenset[str]:
    """Host names the operator allowed to resolve to private addresses (an intranet server)."""
    return outbound.normalise_hosts(getattr(settings, "QINGTING_FETCH_ALLOW_HOSTS", []) or [])


def validate_url(url: str, *, field: str = "url") -> None:
    """Refuse (``ValidationError`` on ``field``) an http(s) URL the outbound policy would refuse."""
    try:
        outbound.check_url(url, allow_hosts())
    except outbound.OutboundRefused as e:
        raise ValidationError({field: [_("This address is not allowed: %(why)s") % {"why": e.message}]}) from None


def validate_host(host: str, port: int, *, field: str = "smtp_host") -> None:
    """Refuse (``ValidationError`` on ``field``) a host and port the outbound policy would refuse."""
    try:
        outbound.check_host(host, port, allow_hosts())
    except outbound.OutboundRefused as e:
        raise ValidationError({field: [_("This address is not allowed: %(why)s") % {"why": e.message}]}) from None
