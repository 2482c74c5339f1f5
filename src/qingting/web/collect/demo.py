"""Demo sources that look like a working installation (``qingting demo``).

The stream's sources are fed by the demo loader, not polled: they get the intervals and health
a real installation would show. Two sources are added: the county government's RSS feed, which
has been failing for a while (so the sources page shows its problem banner with the reason), and
a push source for the 12345 hotline system. Their hosts are under ``.invalid`` (RFC 6761), so
nothing can ever be fetched from a real site. Idempotent.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from qingting.web.collect import services
from qingting.web.monitoring.models import Source, SourceKind
from qingting.web.monitoring.selectors import scheme_source_ids

INTERVALS = {SourceKind.NEWS: 900, SourceKind.SOCIAL: 300, SourceKind.FORUM: 600, SourceKind.MAILBOX: 300}
FAILING = "青禾县人民政府网站（演示）"
FAILING_URL = "https://www.qinghe-demo.invalid/rss.xml"
FAILING_ERROR = (
    f"{FAILING_URL}: cannot connect: [Errno -2] Name or service not known "
    "(the site's address no longer resolves; check the feed address with the site's webmaster)"
)
PUSH = "12345热线推送（演示）"


def seed(setup: Any) -> str:
    now = timezone.now()
    office, scheme = setup.office, setup.scheme
    touched = 0
    for source in (
        Source.objects.filter(pk__in=sorted(scheme_source_ids([scheme.pk])[scheme.pk]))
        .exclude(name__in=[FAILING, PUSH])
        .annotate(latest=Max("items__collected_at"))
    ):
        interval = INTERVALS.get(SourceKind(source.kind), 900)
        Source.objects.filter(pk=source.pk).update(
            poll_interval=interval,
            last_success_at=source.latest or now - timedelta(minutes=5),
            consecutive_failures=0,
            next_run_at=now + timedelta(seconds=interval),
        )
        touched += 1
    failing = Source.objects.filter(name=FAILING).first()
    if failing is None:
        failing = services.source_save(actor=None, unit=office, name=FAILING, connector="rss", url=FAILING_URL,
                                       poll_interval=1800, scheme=scheme, mainstream=True)  # fmt: skip
    Source.objects.filter(pk=failing.pk).update(
        consecutive_failures=5,
        last_error=FAILING_ERROR,
        last_error_at=now - timedelta(minutes=12),
        last_success_at=now - timedelta(days=2, hours=3),
        next_run_at=now + timedelta(hours=2),  # backing off, as after five failures
    )
    if not Source.objects.filter(name=PUSH).exists():
        services.source_save(actor=None, unit=office, name=PUSH, connector="push", poll_interval=3600, scheme=scheme)
    # What the periodic job would do within minutes of the server starting: the failing feed's Ⅳ
    # source warning (once; ``--no-serve`` shows it too).
    from qingting.web.collect.jobs import source_warnings

    source_warnings(now)
    open_warning = getattr(failing, "warnings", None)  # the warnings app's reverse relation, when installed
    warned = ""
    if open_warning is not None and open_warning.filter(kind="source", status__in=["new", "acknowledged"]).exists():
        warned = " with a Ⅳ source warning"
    return (
        f"collect: {touched} demo sources with intervals and health; 1 failing feed ({FAILING}){warned}; 1 push source"
    )
