"""Demo data for warnings: rules for the demo scheme, a duty list, subscriptions, and the warnings
the loaded demo stream raises (the evaluation run over its events)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from qingting.web.warnings import services
from qingting.web.warnings.models import (
    ChannelKind,
    DutyMember,
    NotificationChannel,
    Subscription,
    Warning,
    WarningRule,
)

# Rules for a small organisation's stream (a township's posts, not all of Weibo): lower volumes
# than the shipped defaults, which were measured on CED's national cascades.
DEMO_RULES: list[dict[str, Any]] = [
    {"tier": 4, "min_window_items": 6},
    {"tier": 3, "min_window_items": 20},
    {"tier": 3, "min_window_items": 6, "min_negative_share": 0.6, "min_total_items": 15},
    {"tier": 2, "min_window_items": 60},
    {"tier": 2, "min_window_items": 20, "min_mainstream": 3},
    {"tier": 1, "min_window_items": 200},
]


def seed(setup: Any) -> str:
    """Idempotent: a second run changes nothing and says so."""
    scheme, office = setup.scheme, setup.office
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
    with transaction.atomic():
        if not WarningRule.objects.filter(scheme=scheme).exists():
            for rule in DEMO_RULES:
                WarningRule.objects.create(scheme=scheme, **{"min_window_items": None, **rule})
        if not DutyMember.objects.filter(unit=office).exists():
            for i, name in enumerate(("demo_analyst", "demo_handler", "demo_leader")):
                if name in users:
                    DutyMember.objects.create(unit=office, user=users[name], position=i)
        channel = NotificationChannel.objects.filter(unit=office, name="演示邮件").first()
        if channel is None:
            # Disabled: nothing listens on 127.0.0.1:1025 in a plain demo, and every warning would
            # leave a refused delivery in the log. The subscriptions show how people are reached;
            # start a local SMTP catcher (python -m aiosmtpd -n -l 127.0.0.1:1025) and enable the
            # channel under warning settings to see the e-mails.
            channel = NotificationChannel.objects.create(
                unit=office, name="演示邮件", kind=ChannelKind.EMAIL, smtp_host="127.0.0.1", smtp_port=1025,
                smtp_sender="qingting-demo@example.invalid", is_active=False,
            )  # fmt: skip
        for name in ("demo_analyst", "demo_leader", "demo_admin"):
            if name in users and not users[name].email:
                users[name].email = f"{name}@example.invalid"  # caught by the local SMTP catcher
                users[name].save(update_fields=["email"])
            if name in users and not Subscription.objects.filter(user=users[name]).exists():
                Subscription.objects.create(
                    user=users[name], channel=channel, min_tier=3 if name != "demo_leader" else 2
                )
    before = Warning.objects.filter(scheme=scheme).count()
    services.warnings_backfill(scheme=scheme, now=timezone.now())
    total = Warning.objects.filter(scheme=scheme).count()
    open_ = Warning.objects.filter(scheme=scheme, status__in=("new", "acknowledged")).count()
    state = "enabled" if channel.is_active else "disabled until you enable it under warning settings"
    return (
        f"warnings: {total} warnings ({total - before} raised now, {open_} open), rules and duty list set; "
        f"e-mail channel to 127.0.0.1:{channel.smtp_port} {state}"
    )
