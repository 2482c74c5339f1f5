# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Warnings (预警) and everything that decides, delivers and escalates them.

- :class:`Warning` — one warning about one event (or one failing source), with the figures
  behind its reason and the engine state when it was raised.
- :class:`SchemeWarningSettings`, :class:`WarningRule`, :class:`KeyDate`, :class:`QuietHours` —
  what the core :class:`~qingting.core.warnings.WarningPolicy` of a scheme is built from
  (defaults when a scheme has none).
- :class:`NotificationChannel`, :class:`Subscription`, :class:`Notification` (the outbox),
  :class:`DeliveryAttempt` (the delivery log), :class:`DutyMember`, :class:`DigestRun`,
  :class:`WarningSeen`.

Tiers are stored as the contract says: 4 = Ⅳ blue, 3 = Ⅲ yellow, 2 = Ⅱ orange, 1 = Ⅰ red (the core's
``Tier`` counts the other way; :func:`qingting.web.warnings.policy.to_core_tier` converts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingting.web.accounts.models import Unit
from qingting.web.crypto import EncryptedTextField
from qingting.web.monitoring.models import Event, Scheme, Source


class TierChoice(models.IntegerChoices):
    I = 1, _("Tier I (red)")  # noqa: E741 - the tier's official name
    II = 2, _("Tier II (orange)")
    III = 3, _("Tier III (yellow)")
    IV = 4, _("Tier IV (blue)")


TIER_COLOURS = {1: "red", 2: "orange", 3: "yellow", 4: "blue"}


class WarningStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("warning status", "New")  # 待处理
    ACKNOWLEDGED = "acknowledged", pgettext_lazy("warning status", "Acknowledged")  # 已确认
    PROMOTED = "promoted", pgettext_lazy("warning status", "Promoted to a case")  # 已转处置
    DISMISSED = "dismissed", pgettext_lazy("warning status", "Dismissed")  # 已排除
    SUPERSEDED = "superseded", pgettext_lazy("warning status", "Raised to a higher tier")  # 已升级


OPEN_STATUSES = (WarningStatus.NEW, WarningStatus.ACKNOWLEDGED)


class WarningKind(models.TextChoices):
    EVENT = "event", _("Event")
    SOURCE = "source", _("Source health")
    CHANNEL = "channel", _("Own channel silent")  # 自有阵地即将断更


class Warning(models.Model):
    """One warning (预警): an event of a scheme crossed a tier's rule, or a source stopped working."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="warnings", verbose_name=_("unit"))
    scheme = models.ForeignKey(
        Scheme, null=True, blank=True, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("scheme")
    )
    event = models.ForeignKey(
        Event, null=True, blank=True, on_delete=models.SET_NULL, related_name="warnings", verbose_name=_("event")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=WarningKind.choices, default=WarningKind.EVENT)
    source = models.ForeignKey(
        Source, null=True, blank=True, on_delete=models.CASCADE, related_name="warnings", verbose_name=_("source")
    )
    tier = models.PositiveSmallIntegerField(_("tier"), choices=TierChoice.choices)
    status = models.CharField(_("status"), max_length=14, choices=WarningStatus.choices, default=WarningStatus.NEW)
    title = models.CharField(_("title"), max_length=300)
    reason = models.TextField(_("reason"))  # Chinese sentence (the default language)
    reason_en = models.TextField(_("reason (English)"), blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)  # the signals behind the reason
    engine_state = models.JSONField(default=dict, blank=True)  # the event's summary when it was raised
    raised_at = models.DateTimeField(_("raised"), db_index=True)
    observed_at = models.DateTimeField(_("as of"), null=True, blank=True)  # stream time of the assessment
    held = models.BooleanField(_("held by quiet hours"), default=False)
    # Raised by applying a new or edited scheme to stored items: history, never announced as new.
    backfill = models.BooleanField(_("raised by a backfill"), default=False)
    raised_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="raised_to",
        verbose_name=_("raised from"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    last_escalated_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(_("reason for dismissal"), blank=True)
    case_id = models.IntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("warning")
        verbose_name_plural = _("warnings")
        ordering = ["-raised_at"]
        constraints = [
            # One open warning per scheme, event and tier (and per failing source): schemes are
            # views over one organisation's events, each warns on its own (decision 0061).
            models.UniqueConstraint(
                fields=["scheme", "event", "tier"],
                condition=Q(status__in=["new", "acknowledged"]),
                name="warning_open_scheme_event_tier",
            ),
            models.UniqueConstraint(
                fields=["source"],
                condition=Q(status__in=["new", "acknowledged"], kind="source"),
                name="warning_open_source",
            ),
        ]
        indexes = [models.Index(fields=["unit", "status"]), models.Index(fields=["event", "status"])]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def colour(self) -> str:
        return TIER_COLOURS[self.tier]

    @property
    def tier_roman(self) -> str:
        return {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ"}[self.tier]


class SchemeWarningSettings(models.Model):
    """A scheme's warning settings beyond its rules (a scheme without a row uses the defaults)."""

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="warning_settings")
    window_seconds = models.PositiveIntegerField(_("window (seconds)"), default=3600)
    cooldown_seconds = models.PositiveIntegerField(_("cooldown (seconds)"), default=6 * 3600)
    min_tier = models.PositiveSmallIntegerField(_("lowest tier raised"), choices=TierChoice.choices, default=4)
    ack_timeout_1 = models.PositiveIntegerField(
        _("escalate Tier I after (seconds)"), null=True, blank=True, default=600
    )
    ack_timeout_2 = models.PositiveIntegerField(
        _("escalate Tier II after (seconds)"), null=True, blank=True, default=1800
    )
    ack_timeout_3 = models.PositiveIntegerField(
        _("escalate Tier III after (seconds)"), null=True, blank=True, default=4 * 3600
    )
    ack_timeout_4 = models.PositiveIntegerField(_("escalate Tier IV after (seconds)"), null=True, blank=True)

    class Meta:
        verbose_name = _("warning settings")


class WarningRule(models.Model):
    """One rule of a scheme: all set thresholds must hold for the tier (any rule of a tier suffices)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="warning_rules")
    tier = models.PositiveSmallIntegerField(_("tier"), choices=TierChoice.choices)
    min_window_items = models.PositiveIntegerField(_("items in the window"), null=True, blank=True)
    min_velocity = models.FloatField(_("items per hour"), null=True, blank=True)
    min_burst_z = models.FloatField(_("burst z"), null=True, blank=True)
    min_total_items = models.PositiveIntegerField(_("items in all"), null=True, blank=True)
    min_negative_share = models.FloatField(_("negative share (0–1)"), null=True, blank=True)
    min_sources = models.PositiveIntegerField(_("unique sources"), null=True, blank=True)
    min_mainstream = models.PositiveIntegerField(_("mainstream outlets"), null=True, blank=True)
    trends = models.JSONField(_("trend states"), default=list, blank=True)  # ["rising", "peak"], empty = any

    class Meta:
        verbose_name = _("warning rule")
        verbose_name_plural = _("warning rules")
        ordering = ["scheme", "tier", "pk"]


class KeyDate(models.Model):
    """A key date or period (重点时段) of a unit: thresholds of its schemes are multiplied by ``factor``."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="key_dates")
    label = models.CharField(_("label"), max_length=100)
    start = models.DateField(_("start"))
    end = models.DateField(_("end"))
    factor = models.FloatField(_("threshold factor"), default=0.5)
    annual = models.BooleanField(_("every year"), default=False)
    watch_24h = models.BooleanField(_("24-hour watch (no quiet hours)"), default=True)

    class Meta:
        verbose_name = _("key date")
        verbose_name_plural = _("key dates")
        ordering = ["start"]


class QuietHours(models.Model):
    """A unit's quiet hours (免打扰时段): warnings below ``min_tier`` wait until they end."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, related_name="quiet_hours")
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    min_tier = models.PositiveSmallIntegerField(
        _("still notify from tier"), choices=TierChoice.choices, default=TierChoice.II
    )

    class Meta:
        verbose_name = _("quiet hours")
        verbose_name_plural = _("quiet hours")


class DutyMember(models.Model):
    """One place on a unit's duty list (值班表): escalation goes down the list in ``position`` order."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="duty_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("position"))

    class Meta:
        verbose_name = _("duty member")
        verbose_name_plural = _("duty list")
        ordering = ["unit", "position"]
        constraints = [models.UniqueConstraint(fields=["unit", "user"], name="duty_unit_user")]


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("E-mail (SMTP)")
    WEBHOOK = "webhook", _("Webhook (signed JSON)")
    WECOM = "wecom", _("WeCom bot")
    DINGTALK = "dingtalk", _("DingTalk bot")
    FEISHU = "feishu", _("Feishu bot")
    SLACK = "slack", _("Slack")


class NotificationChannel(models.Model):
    """A way a unit's warnings leave the platform: its SMTP server, or a webhook/bot URL and secret.

    An e-mail channel sends to each subscriber's own address; other channels post to one URL.
    Secrets and the SMTP password are encrypted at rest.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="notification_channels")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=ChannelKind.choices)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    secret = EncryptedTextField(_("secret"), blank=True)
    smtp_host = models.CharField(_("SMTP host"), max_length=200, blank=True)
    smtp_port = models.PositiveIntegerField(_("SMTP port"), default=25)
    smtp_username = models.CharField(_("SMTP user"), max_length=200, blank=True)
    smtp_password = EncryptedTextField(_("SMTP password"), blank=True)
    smtp_sender = models.EmailField(_("sender address"), blank=True)
    smtp_starttls = models.BooleanField(_("STARTTLS"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("notification channel")
        verbose_name_plural = _("notification channels")
        ordering = ["unit", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class Subscription(models.Model):
    """A user asks for warnings of a scheme (or all schemes they see) from a tier up, by a channel."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="warning_subscriptions")
    scheme = models.ForeignKey(
        Scheme, null=True, blank=True, on_delete=models.CASCADE, related_name="+", verbose_name=_("scheme")
    )
    min_tier = models.PositiveSmallIntegerField(_("from tier"), choices=TierChoice.choices, default=TierChoice.III)
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="subscriptions")
    digest = models.BooleanField(_("daily digest"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")


class NotificationKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    ESCALATION = "escalation", _("Escalation")
    DIGEST = "digest", _("Daily digest")
    REMINDER = "reminder", _("Reminder")  # another app's deadline reminder (the ledger's tasks)


class NotificationStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("delivery", "Pending")
    SENDING = "sending", pgettext_lazy("delivery", "Sending")
    SENT = "sent", pgettext_lazy("delivery", "Sent")
    FAILED = "failed", pgettext_lazy("delivery", "Failed")


class Notification(models.Model):
    """The outbox: one message to one recipient through one channel, written with the warning."""

    kind = models.CharField(max_length=12, choices=NotificationKind.choices, default=NotificationKind.WARNING)
    warning = models.ForeignKey(Warning, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications")
    channel = models.ForeignKey(NotificationChannel, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.CharField(_("recipient"), max_length=300, blank=True)  # e-mail address; "" for a bot
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    dedupe_key = models.CharField(max_length=200, unique=True)
    payload = models.JSONField(default=dict)  # the Message, as sent
    status = models.CharField(
        max_length=10, choices=NotificationStatus.choices, default=NotificationStatus.PENDING, db_index=True
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]


class DeliveryAttempt(models.Model):
    """The delivery log: one row per attempt to send one notification."""

    notification = models.ForeignKey(Notification, on_delete=models.CASCADE, related_name="attempt_log")
    attempt = models.PositiveSmallIntegerField()
    at = models.DateTimeField()
    ok = models.BooleanField()
    status = models.IntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    answer = models.TextField(blank=True)
    seconds = models.FloatField(default=0.0)

    class Meta:
        ordering = ["notification", "attempt"]


class DigestRun(models.Model):
    """That a user's daily digest for a local day was made (once per day per user)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    warnings = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_user_day")]


class WarningSeen(models.Model):
    """A user has opened a warning (for the unread badge)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    warning = models.ForeignKey(Warning, on_delete=models.CASCADE, related_name="seen_by")
    at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "warning"], name="warning_seen_once")]
