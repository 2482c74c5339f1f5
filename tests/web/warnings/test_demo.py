"""The warnings demo: warnings raised from the demo stream, subscriptions shown, and an e-mail
channel that is honest about sending nothing (disabled) instead of filling the log with refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db


def test_demo_channel_is_disabled_and_nothing_is_refused(engine: str) -> None:
    from qingting.web import demo
    from qingting.web.warnings import services
    from qingting.web.warnings.demo import seed
    from qingting.web.warnings.models import DeliveryAttempt, Notification, NotificationChannel, Subscription, Warning

    setup = demo.demo_setup()
    demo.demo_ingest(setup, demo.demo_records(days=3, scale=0.2))
    line = seed(setup)
    assert "disabled" in line and Warning.objects.exists(), line
    channel = NotificationChannel.objects.get(unit=setup.office, name="演示邮件")
    assert not channel.is_active
    assert Subscription.objects.filter(channel=channel).count() == 3  # still there to look at
    assert not Notification.objects.exists()  # nothing queued for a channel that sends nothing
    assert services.outbox_deliver(timezone.now()) == 0
    assert not DeliveryAttempt.objects.exists()  # so no "connection refused" in the delivery log
    total = Warning.objects.count()
    seed(setup)  # idempotent: the channel stays disabled, no duplicate subscriptions
    assert Warning.objects.count() == total and Subscription.objects.filter(channel=channel).count() == 3
    assert not NotificationChannel.objects.get(pk=channel.pk).is_active
    # the pages say so: the admin sees "disabled" with a way to enable it; a subscriber sees the note
    admin, analyst = Client(), Client()
    admin.force_login(setup_user("demo_admin"))
    page = admin.get(reverse("warnings:settings"), {"unit": setup.office.pk}).content.decode()
    assert 'value="channel_enable"' in page and "127.0.0.1:1025" in page
    analyst.force_login(setup_user("demo_analyst"))
    assert 'data-test="channel-disabled"' in analyst.get(reverse("warnings:subscriptions")).content.decode()


def setup_user(name: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=name)


def test_an_admin_enables_and_disables_a_channel(setup: dict[str, Any]) -> None:
    from qingting.web.audit.models import AuditEntry
    from qingting.web.warnings import services
    from qingting.web.warnings.models import NotificationChannel

    channel = services.channel_save(
        actor=setup["admin"], unit=setup["east"], name="邮件", kind="email", smtp_host="127.0.0.1", smtp_port=1025,
        smtp_sender="qt@example.invalid",
    )  # fmt: skip
    admin = Client()
    admin.force_login(setup["admin"])
    url = reverse("warnings:settings")
    admin.post(url, {"unit": setup["east"].pk, "op": "channel_disable", "id": channel.pk})
    assert not NotificationChannel.objects.get(pk=channel.pk).is_active
    assert AuditEntry.objects.filter(action="warning_channel.disable", object_id=str(channel.pk)).exists()
    admin.post(url, {"unit": setup["east"].pk, "op": "channel_enable", "id": channel.pk})
    assert NotificationChannel.objects.get(pk=channel.pk).is_active
    # an analyst may not; a west administrator may not touch east's channel
    analyst = Client()
    analyst.force_login(setup["analyst"])
    analyst.post(url, {"unit": setup["east"].pk, "op": "channel_disable", "id": channel.pk})
    assert NotificationChannel.objects.get(pk=channel.pk).is_active
    with pytest.raises((Http404, PermissionDenied)):
        services.channel_set_active(actor=setup["west_analyst"], channel_id=channel.pk, active=False)
