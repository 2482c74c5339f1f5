"""Writes for warnings: evaluation on ingestion, the lifecycle, the outbox, escalation, digests.

Every write that matters is one transaction with its audit entry and its notifications (the
outbox pattern): a warning is never stored without the rows that announce it, and a crash
between the two cannot happen. Delivery (:func:`outbox_deliver`) runs later, in a periodic job.

This package is the warnings app's write interface; other apps import from here (or from
``warnings.selectors`` for reads). Its modules, by concern:

- :mod:`.evaluation` — a scheme's events assessed against its rules; raising, backfill
- :mod:`.lifecycle` — acknowledge, dismiss, promote, seen; quiet-hours release, escalation
- :mod:`.outbox` — notifications queued and delivered, reminders for other apps, the digest
- :mod:`.health` — warnings about a source or an own channel that stopped working
- :mod:`.configuration` — channels, key dates, quiet hours, duty lists, rules, subscriptions
- :mod:`.times` — unix seconds to and from datetimes
"""

from qingting.web.warnings.services.configuration import (
    ADMIN_ROLES,
    channel_delete,
    channel_save,
    channel_set_active,
    duty_set,
    key_date_add,
    key_date_delete,
    quiet_hours_set,
    require_admin,
    rules_set,
    scheme_settings_set,
    subscription_add,
    subscription_delete,
)
from qingting.web.warnings.services.evaluation import (
    event_summary,
    warnings_backfill,
    warnings_evaluate,
)
from qingting.web.warnings.services.health import (
    channel_warning_raise,
    source_warning_raise,
)
from qingting.web.warnings.services.lifecycle import (
    HANDLE_ROLES,
    escalate_due,
    quiet_release,
    warning_acknowledge,
    warning_dismiss,
    warning_mark_seen,
    warning_promote,
)
from qingting.web.warnings.services.outbox import (
    CLAIM_SECONDS,
    DIGEST_HOUR,
    RETRY,
    channel_for,
    digest_send,
    outbox_deliver,
    people_notify,
    warning_message,
)

__all__ = [
    "ADMIN_ROLES",
    "CLAIM_SECONDS",
    "DIGEST_HOUR",
    "HANDLE_ROLES",
    "RETRY",
    "channel_delete",
    "channel_for",
    "channel_save",
    "channel_set_active",
    "channel_warning_raise",
    "digest_send",
    "duty_set",
    "escalate_due",
    "event_summary",
    "key_date_add",
    "key_date_delete",
    "outbox_deliver",
    "people_notify",
    "quiet_hours_set",
    "quiet_release",
    "require_admin",
    "rules_set",
    "scheme_settings_set",
    "source_warning_raise",
    "subscription_add",
    "subscription_delete",
    "warning_acknowledge",
    "warning_dismiss",
    "warning_mark_seen",
    "warning_message",
    "warning_promote",
    "warnings_backfill",
    "warnings_evaluate",
]
