# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""The organisation's own channels (政务新媒体矩阵 / 阵地): accounts, sites and screens it runs.

A :class:`Channel` belongs to the unit that runs it (its owner unit); an operator (运维/编辑)
posts on it and a reviewer (审核) answers for what is posted. Qingting reads what the channel
publishes through a monitoring :class:`~qingting.web.monitoring.models.Source` (its RSS feed, its
site, or imports of the platform's export), and inspects it against the national indicators
(政府网站与政务新媒体检查指标, 国办秘函〔2019〕19号; see docs/channels.md).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingting.web.accounts.models import Unit


class ChannelKind(models.TextChoices):
    WECHAT = "wechat", pgettext_lazy("channel kind", "WeChat official account")  # 微信公众号
    WEIBO = "weibo", pgettext_lazy("channel kind", "Weibo")  # 微博
    DOUYIN = "douyin", pgettext_lazy("channel kind", "Douyin")  # 抖音
    TOUTIAO = "toutiao", pgettext_lazy("channel kind", "Toutiao")  # 今日头条
    WEBSITE = "website", pgettext_lazy("channel kind", "Website")  # 网站
    APP = "app", pgettext_lazy("channel kind", "Mobile app")  # 客户端
    SCREEN = "screen", pgettext_lazy("channel kind", "Screen / LED")  # 电子屏/LED
    OTHER = "other", pgettext_lazy("channel kind", "Other")  # 其他


class ChannelState(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("channel state", "In operation")  # 运营中
    PAUSED = "paused", pgettext_lazy("channel state", "Paused")  # 暂停
    CLOSING = "closing", pgettext_lazy("channel state", "Closing")  # 关停中
    CLOSED = "closed", pgettext_lazy("channel state", "Closed")  # 已注销


class Channel(models.Model):
    """One account, site or screen a unit runs (政务新媒体 / 政府网站 / 电子屏)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="channels", verbose_name=_("owner unit"))
    kind = models.CharField(_("kind"), max_length=12, choices=ChannelKind.choices)
    name = models.CharField(_("name"), max_length=200)
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels_operated",
        verbose_name=_("operator"),
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="channels_reviewed",
        verbose_name=_("reviewer"),
    )
    state = models.CharField(
        _("state"), max_length=10, choices=ChannelState.choices, default=ChannelState.ACTIVE, db_index=True
    )
    state_since = models.DateField(_("state since"), null=True, blank=True)
    opened_on = models.DateField(_("opened on"), null=True, blank=True)  # 开通日期
    closed_on = models.DateField(_("closed on"), null=True, blank=True)  # 注销日期

    # Registration (注册/备案信息): the account id or domain, who registered it, the record number.
    url = models.URLField(_("address"), max_length=500, blank=True)  # home page or account page
    account = models.CharField(_("account id or domain"), max_length=200, blank=True)
    registrant = models.CharField(_("registered by"), max_length=200, blank=True)  # 注册/认证主体
    record_number = models.CharField(_("record number"), max_length=100, blank=True)  # ICP备案号 / 认证编号
    notes = models.TextField(_("notes"), blank=True)

    # Where Qingting reads what the channel publishes (its RSS, its site, or imports).
    source = models.ForeignKey(
        "monitoring.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="channels",
        verbose_name=_("publication source"),
    )
    # Where the public's messages to the channel arrive (留言/信箱), for the interaction check.
    interaction_source = models.ForeignKey(
        "monitoring.Source",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("messages source"),
    )
    inspect_automatically = models.BooleanField(_("inspect automatically"), default=True)

    version = models.PositiveIntegerField(default=1)  # bumped on every change; stale forms are refused
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["unit__path", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["unit", "kind", "name"], name="channel_unit_kind_name")]
        indexes = [models.Index(fields=["unit", "state"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_live(self) -> bool:
        """Whether the channel is expected to publish (inspected, warned about)."""
        return self.state == ChannelState.ACTIVE


class Verdict(models.TextChoices):
    PASS = "pass", pgettext_lazy("inspection verdict", "Pass")  # 合格
    FAIL = "fail", pgettext_lazy("inspection verdict", "Fail")  # 不合格
    UNDETERMINED = "undetermined", pgettext_lazy("inspection verdict", "Undetermined")  # 无法判定


class InspectionTrigger(models.TextChoices):
    AUTO = "auto", pgettext_lazy("inspection trigger", "Automatic")
    MANUAL = "manual", pgettext_lazy("inspection trigger", "On demand")


class Inspection(models.Model):
    """One inspection of a channel: the verdict, the score and every finding with its evidence.

    ``result`` is :meth:`qingting.core.inspection.Inspection.as_dict` (a versioned format); the
    verdict, score and days since the last update are copied out for lists and reports.
    """

    channel = models.ForeignKey(Channel, on_delete=models.CASCADE, related_name="inspections")
    checked_at = models.DateTimeField(_("checked at"), db_index=True)
    trigger = models.CharField(_("trigger"), max_length=8, choices=InspectionTrigger.choices)
    verdict = models.CharField(_("verdict"), max_length=12, choices=Verdict.choices)
    score = models.FloatField(_("score"))
    days_since_update = models.FloatField(_("days since the last update"), null=True, blank=True)
    result = models.JSONField(default=dict)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["channel", "-checked_at"], name="inspection_channel_checked")]

    def __str__(self) -> str:
        return f"{self.channel} {self.checked_at:%Y-%m-%d} {self.verdict}"
