"""Regression tests for issue 16 (audit finding 2): notification channels cannot reach private
addresses — refused when saved (a clear error on the field) and again when sending (DNS moves)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from qingting.web.warnings import services
from qingting.web.warnings.models import DeliveryAttempt, Notification, NotificationChannel

from ..conftest import PASSWORD
from .conftest import burst, ingest
from .test_delivery import Receiver

pytestmark = pytest.mark.django_db

PRIVATE_URLS = [
    "http://127.0.0.1:8301/internal",
    "http://localhost:8301/internal",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:8301/",
    "http://10.0.0.7/hook",
    "https://192.168.1.1/hook",
]


@pytest.fixture
def no_allow_list(settings: Any) -> None:
    settings.QINGTING_FETCH_ALLOW_HOSTS = []


@pytest.mark.parametrize("url", PRIVATE_URLS)
@pytest.mark.parametrize("kind", ["webhook", "wecom", "dingtalk", "feishu", "slack"])
def test_a_channel_to_a_private_address_is_refused_when_saved(
    setup: dict[str, Any], no_allow_list: None, kind: str, url: str
) -> None:
    with pytest.raises(ValidationError) as e:
        services.channel_save(actor=setup["admin"], unit=setup["east"], name="bot", kind=kind, url=url)
    assert "url" in e.value.message_dict and "non-public address" in str(e.value)
    assert not NotificationChannel.objects.exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "169.254.169.254", "::1"])
def test_an_smtp_server_on_a_private_address_is_refused_when_saved(
    setup: dict[str, Any], no_allow_list: None, host: str
) -> None:
    with pytest.raises(ValidationError) as e:
        services.channel_save(
            actor=setup["admin"], unit=setup["east"], name="mail", kind="email", smtp_host=host, smtp_port=25,
            smtp_sender="qt@east.example",
        )  # fmt: skip
    assert "smtp_host" in e.value.message_dict
    assert not NotificationChannel.objects.exists()


def test_the_settings_page_says_why_and_saves_nothing(setup: dict[str, Any], no_allow_list: None) -> None:
    c = Client()
    assert c.login(username="east_admin", password=PASSWORD)
    r = c.post(
        "/warnings/settings/",
        {"unit": setup["east"].pk, "op": "channel_add", "name": "bot", "kind": "webhook",
         "url": "http://169.254.169.254/latest/meta-data/"},
        follow=True,
    )  # fmt: skip
    assert r.status_code == 200
    assert "169.254.169.254" in r.content.decode() and "non-public address" in r.content.decode()
    assert not NotificationChannel.objects.exists()


def test_send_time_check_refuses_a_host_that_turned_private(setup: dict[str, Any], settings: Any) -> None:
    """Saved while allowed (or while its name pointed elsewhere): the send checks again, POSTs
    nothing, stores no answer from the internal service, and does not retry."""
    receiver = Receiver()
    try:
        channel = services.channel_save(
            actor=setup["admin"], unit=setup["east"], name="bot", kind="webhook", url=receiver.url
        )
        services.subscription_add(actor=setup["analyst"], channel_id=channel.pk, min_tier=4)
        ingest(setup, burst("a", 8))
        settings.QINGTING_FETCH_ALLOW_HOSTS = []  # the operator withdrew it (or DNS now says private)
        services.outbox_deliver(timezone.now())
        assert receiver.requests == []
        n = Notification.objects.get()
        assert n.status == "failed"
        [attempt] = DeliveryAttempt.objects.filter(notification=n)
        assert not attempt.ok and attempt.answer == "" and "non-public address" in attempt.error
    finally:
        receiver.close()
