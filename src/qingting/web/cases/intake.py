"""Mailbox → case: every citizen message from the public mailbox (or a push source marked for
cases) becomes exactly one case, through :func:`qingting.web.cases.services.case_create`.

Two paths lead here, and both are safe to run at once and again:

- :func:`on_batch_ingested`, a receiver on ``monitoring.signals.batch_ingested``: the new items of
  a committed batch are turned into cases straight away;
- :func:`catch_up`, a periodic job (``cases.intake``): finds messages that have no case yet — a
  receiver that failed, a process killed between the commit and the signal — and makes them.

"Never two cases for one item": the database holds it — ``Case.item`` is unique (decision 0058),
whoever creates the case. Each message is handled in its own transaction that first locks the
item row (PostgreSQL ``SELECT … FOR UPDATE``; SQLite's write lock serialises writers) and then
creates the case; when the message has a case already (made here before, or by anyone else, even
at the same moment), ``case_create`` refuses it by the constraint and the intake moves on.

What a case takes from the message: unit = the source's unit; channel ``mailbox`` (``push`` for a
push source); summary = the mail's subject, else the item's title, else the first line of the
text; description = the text; received at = when the citizen sent it; the citizen's reply details
from ``item.contact`` (``collect.MessageContact``) when there is one — otherwise no contact.

:func:`connect` wires both; ``cases.apps.CasesConfig.ready()`` calls it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

log = logging.getLogger(__name__)

JOB_NAME = "cases.intake"
JOB_EVERY = 120.0  # seconds
CATCH_UP_BATCH = 200
"""Messages turned into cases per catch-up run (the next run takes the rest)."""
SUMMARY_MAX = 200
CASES_FLAG = "cases"
"""``Source.config[CASES_FLAG] = true`` marks a push (or any other) source whose messages are cases."""
_DISPATCH_UID = "qingting.cases.intake.batch_ingested"


def connect() -> None:
    """Connect the receiver and register the catch-up job (idempotent)."""
    from qingting.web import periodic
    from qingting.web.monitoring.signals import batch_ingested

    batch_ingested.connect(on_batch_ingested, dispatch_uid=_DISPATCH_UID)
    periodic.register(JOB_NAME, every=JOB_EVERY, target="qingting.web.cases.intake:catch_up")


def is_case_source(source: Any) -> bool:
    """Whether items of ``source`` are citizen messages that become cases."""
    from qingting.web.monitoring.models import SourceKind

    config = source.config if isinstance(source.config, dict) else {}
    return source.kind == SourceKind.MAILBOX or bool(config.get(CASES_FLAG))


def _channel_for(source: Any) -> str:
    from qingting.web.monitoring.models import SourceKind

    return "mailbox" if source.kind == SourceKind.MAILBOX else "push"


def summary_for(item: Any, subject: str = "") -> str:
    """Subject, else title, else the first non-empty line of the text; one line, at most 200 chars."""
    for candidate in (subject, item.title or "", *str(item.text or "").splitlines()):
        line = re.sub(r"\s+", " ", str(candidate)).strip()
        if line:
            return line if len(line) <= SUMMARY_MAX else line[: SUMMARY_MAX - 1] + "…"
    return "（无主题）"


# The words citizens put in a letter's subject (关于…的咨询/投诉/建议/求助/举报) → category codes.
_CATEGORY_WORDS = (
    ("举报", "report"),
    ("投诉", "complaint"),
    ("反映", "complaint"),
    ("咨询", "enquiry"),
    ("求助", "help"),
    ("建议", "suggestion"),
)
FALLBACK_CATEGORY = "other"


def _categories() -> set[str]:
    from qingting.web.cases.models import Category

    return set(Category.objects.filter(is_active=True).values_list("code", flat=True))


def category_for(summary: str, *, known: set[str]) -> str:
    """The category a subject names (the last such word wins: 关于施工问题的建议 → suggestion)."""
    best, best_at = FALLBACK_CATEGORY, -1
    for word, code in _CATEGORY_WORDS:
        at = summary.rfind(word)
        if at > best_at and code in known:
            best, best_at = code, at
    if best not in known:
        return next(iter(sorted(known)), FALLBACK_CATEGORY)
    return best


def contact_for(item: Any) -> tuple[dict[str, str] | None, str]:
    """``(contact dict or None, subject)`` from the item's ``MessageContact``, if the item has one."""
    try:
        mc = item.contact
    except Exception:  # no MessageContact row, or the collect app is not installed here
        return None, ""
    if mc is None:
        return None, ""
    subject = str(getattr(mc, "subject", "") or "")
    name = str(getattr(mc, "name", "") or "").strip()
    address = str(getattr(mc, "address", "") or "").strip()
    contact: dict[str, str] = {}
    if name:
        contact["name"] = name
    if address:
        if "@" in address:
            contact["email"] = address
        elif re.fullmatch(r"[+\d][\d\s()-]{5,}", address):
            contact["phone"] = address
        else:
            contact["address"] = address
    return (contact or None), subject


def case_for_item(item_id: int) -> Any | None:
    """Make the case for one message, or return ``None`` if it has one already (or is no message).

    Runs in its own transaction with the item row locked, so concurrent calls make one case.
    """
    from qingting.web.cases import services
    from qingting.web.cases.models import Case
    from qingting.web.monitoring.models import Item

    with transaction.atomic():
        item = Item.objects.select_for_update().filter(pk=item_id).first()
        if item is None:
            return None
        source = item.source
        if not is_case_source(source):
            return None
        contact, subject = contact_for(item)
        channel = _channel_for(source)
        try:
            return services.case_create(
                actor=None,
                unit=source.unit,
                channel=channel,
                category=category_for(summary_for(item, subject), known=_categories()),
                summary=summary_for(item, subject),
                description=_description_of(item),
                region=str(item.region or ""),
                contact=contact,
                event=item.event,
                item=item,
                origin_kind=channel,
                origin_id=item.pk,
                received_at=item.published_at,
            )
        except ValidationError as exc:
            # The unique item constraint: this message has its case (made before, or by someone else).
            if "item" in getattr(exc, "error_dict", {}) and Case.objects.filter(item_id=item.pk).exists():
                return None
            raise


def _description_of(item: Any) -> str:
    """The item's text as the case's description; a longer text is cut at the limit *and says so* —
    the whole text stays on the item the case links to."""
    from qingting.web.cases.models import TEXT_LIMITS

    text, limit = str(item.text or ""), TEXT_LIMITS["description"]
    if len(text) <= limit:
        return text
    note = f"\n…（原文共 {len(text)} 字，全文见信息 #{item.pk}）"
    return text[: limit - len(note)] + note


def cases_for_items(item_ids: Iterable[int]) -> list[Any]:
    """:func:`case_for_item` for each id; failures are logged and skipped (the job retries them)."""
    made = []
    for item_id in item_ids:
        try:
            case = case_for_item(item_id)
        except Exception:
            log.exception("mailbox intake: could not make a case for item %s (catch-up will retry)", item_id)
            continue
        if case is not None:
            made.append(case)
    return made


def _message_items(item_ids: Sequence[int] | None = None) -> Any:
    from django.db.models import Q

    from qingting.web.cases.models import Case
    from qingting.web.monitoring.models import Item, SourceKind

    sources = Q(source__kind=SourceKind.MAILBOX) | Q(**{f"source__config__{CASES_FLAG}": True})
    qs = Item.objects.filter(sources).exclude(pk__in=Case.objects.filter(item__isnull=False).values("item_id"))
    if item_ids is not None:
        qs = qs.filter(pk__in=list(item_ids))
    return qs


def on_batch_ingested(sender: Any, *, item_ids: Sequence[int] = (), **kwargs: Any) -> None:
    """Receiver: the batch's citizen messages become cases now. Never raises."""
    if not item_ids:
        return
    try:
        ids = list(_message_items(item_ids).values_list("pk", flat=True))
        made = cases_for_items(ids)
        if made:
            log.debug("mailbox intake: %d case(s) from %d new message(s)", len(made), len(ids))
    except Exception:
        log.exception("mailbox intake failed for a batch; the catch-up job will retry")


def catch_up(now: datetime, *, limit: int = CATCH_UP_BATCH, since: timedelta | None = None) -> int:
    """Periodic job: make cases for messages that have none yet; returns how many were made.

    ``since`` limits the search to messages collected within that time (``None``: all).
    """
    qs = _message_items()
    if since is not None:
        qs = qs.filter(collected_at__gte=now - since)
    ids = list(qs.order_by("pk").values_list("pk", flat=True)[:limit])
    return len(cases_for_items(ids))
