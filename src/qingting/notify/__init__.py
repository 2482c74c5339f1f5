"""Notifications (通知): a warning becomes a message, sent by e-mail or to a chat bot, with retries.

>>> from qingting.notify import WebhookChannel, deliver, message_for  # doctest: +SKIP
>>> log = deliver(WebhookChannel("https://hooks.example/qt", secret="s3cret"), message_for(warning))  # doctest: +SKIP
>>> log[-1].ok  # doctest: +SKIP
True

Nothing here raises on a network error: each attempt is a :class:`Delivery` for the delivery log.
The outbox table, per-user subscriptions and the daily digest live in the platform.
"""

from __future__ import annotations

from qingting.notify.channels import (
    Channel,
    Delivery,
    DingTalkChannel,
    EmailChannel,
    FeishuChannel,
    SlackChannel,
    WebhookChannel,
    WeComChannel,
    dingtalk_sign,
    feishu_sign,
    webhook_signature,
)
from qingting.notify.delivery import deliver
from qingting.notify.message import Message, message_for
from qingting.notify.retry import RetryPolicy, is_retryable, next_delay

__all__ = [
    "Channel",
    "Delivery",
    "DingTalkChannel",
    "EmailChannel",
    "FeishuChannel",
    "Message",
    "RetryPolicy",
    "SlackChannel",
    "WeComChannel",
    "WebhookChannel",
    "deliver",
    "dingtalk_sign",
    "feishu_sign",
    "is_retryable",
    "message_for",
    "next_delay",
    "webhook_signature",
]
