# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Cases (诉求/工单): the case row, its contact, replies, attachments, joint tasks, the audit trail,
SLA policies and the working-day calendar as editable tables, Open311 clients.

Nothing here decides anything: the rules are in :mod:`qingting.core.cases` and the one write path
is :func:`qingting.web.cases.services.case_act`. ``Case.status`` is never set directly.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingting.core.cases.workflow import STATE_KIND, CaseState, StateKind
from qingting.web.crypto import EncryptedTextField

TEXT_LIMITS = {"summary": 300, "description": 20_000, "region": 100, "address": 300, "body": 20_000, "reason": 5_000}
"""One length limit per field, in characters, wherever a case's text comes in: pages, /api/cases,
Open311 and intake all go through ``services.case_create``/``case_reply``, which refuse longer text
with an error naming the field; the forms and API schemas take their ``max_length`` from here."""


class Status(models.TextChoices):
    """The states of :class:`qingting.core.cases.workflow.CaseState`, with their labels."""

    RECEIVED = "received", _("Received")  # 已接收
    REGISTERED = "registered", _("Registered")  # 已登记
    ASSIGNED = "assigned", _("Assigned")  # 已派单
    IN_PROGRESS = "in_progress", _("In progress")  # 办理中
    PENDING = "pending", _("Pending")  # 挂起
    ANSWERED = "answered", _("Answered")  # 已答复
    CLOSED = "closed", _("Closed")  # 已办结
    TRANSFERRED = "transferred", _("Transferred")  # 已转办
    NOT_RESPONSIBLE = "not_responsible", _("Not responsible")  # 不予受理
    DUPLICATE = "duplicate", _("Duplicate")  # 重复件
    REOPENED = "reopened", _("Reopened")  # 已重启


assert set(Status.values) == {s.value for s in CaseState}, "Status must mirror core CaseState"

CLOSED_STATES = frozenset(s.value for s in CaseState if STATE_KIND[s] is StateKind.CLOSED)


class Channel(models.TextChoices):
    """How the concern reached us (渠道)."""

    WEB = "web", _("Website message")  # 网站留言
    MAILBOX = "mailbox", _("Public mailbox")  # 书记/县长信箱
    HOTLINE = "hotline", _("Hotline")  # 12345
    PETITION = "petition", _("Petition")  # 信访 (信访工作条例 time limits)
    VISIT = "visit", _("Walk-in")  # 来访
    ONLINE = "online", _("Online opinion")  # 网络舆情 (from a warning or event)
    PUSH = "push", _("Pushed message")  # 推送接口
    OPEN311 = "open311", _("Open311")
    OTHER = "other", _("Other")


class Priority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")  # 紧急: same-day policy


class OriginKind(models.TextChoices):
    WARNING = "warning", _("Warning")
    BULLETIN = "bulletin", _("Bulletin")
    MAILBOX = "mailbox", _("Mailbox")
    PUSH = "push", _("Push intake")
    MANUAL = "manual", _("Manual entry")
    OPEN311 = "open311", _("Open311")


class Category(models.Model):
    """A case category (诉求类别). Also an Open311 service when ``open311`` is set."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    group = models.CharField(_("group"), max_length=100, blank=True)
    requires_sign_off = models.BooleanField(_("requires leader sign-off (签批)"), default=False)
    open311 = models.BooleanField(_("offered through Open311"), default=True)
    # Open311 service definition attributes, as in core.open311.Attribute (list of dicts).
    attributes = models.JSONField(_("Open311 attributes"), default=list, blank=True)
    order = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


class SlaPolicy(models.Model):
    """An SLA policy (办理时限); tried in ``order``, the first match wins. See core ``sla.SlaPolicy``.

    Targets are JSON like ``{"amount": 10, "unit": "working_days", "start": "received"}``
    (units: working_days, calendar_days, working_hours; start: received, accepted).
    """

    order = models.PositiveIntegerField(_("order"), default=100)
    name = models.SlugField(_("name"), max_length=60, unique=True)
    label = models.CharField(_("label"), max_length=200, blank=True)
    categories = models.JSONField(_("categories"), default=list, blank=True)
    priorities = models.JSONField(_("priorities"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    acknowledge = models.JSONField(_("acknowledge target"), null=True, blank=True)
    answer = models.JSONField(_("answer target"), null=True, blank=True)
    close = models.JSONField(_("close target"), null=True, blank=True)
    max_extensions = models.PositiveIntegerField(_("extensions allowed"), default=0)
    max_extension = models.FloatField(_("longest extension"), default=0)
    reminder_fraction = models.FloatField(_("reminder at (fraction of the time)"), default=0.75)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.label or self.name

    def as_dict(self) -> dict[str, Any]:
        """The dict :func:`qingting.core.cases.sla.policies_from_list` reads."""
        return {
            "name": self.name,
            "label": self.label,
            "categories": list(self.categories or []),
            "priorities": list(self.priorities or []),
            "channels": list(self.channels or []),
            "acknowledge": self.acknowledge,
            "answer": self.answer,
            "close": self.close,
            "max_extensions": self.max_extensions,
            "max_extension": self.max_extension,
            "reminder_fraction": self.reminder_fraction,
        }


class CalendarYear(models.Model):
    """One year's official holiday schedule (工作日历): days off and adjusted working days (调休).

    Seeded from ``chinesecalendar``; an admin adds next year when the State Council publishes it.
    A year without a row counts weekends only, and deadlines in it carry a visible notice.
    """

    year = models.PositiveIntegerField(_("year"), unique=True)
    holidays = models.JSONField(_("days off (ISO dates)"), default=list, blank=True)
    workdays = models.JSONField(_("adjusted working days (ISO dates, weekends only)"), default=list, blank=True)
    source = models.CharField(_("source"), max_length=40, default="admin")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class UnitProfile(models.Model):
    """Per-unit case settings: the abbreviation used in case numbers (简称) and a notification address."""

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="case_profile")
    abbreviation = models.CharField(_("abbreviation (简称)"), max_length=20)
    email = models.EmailField(_("notification e-mail"), blank=True)

    class Meta:
        verbose_name = _("unit case settings")
        verbose_name_plural = _("unit case settings")

    def __str__(self) -> str:
        return f"{self.unit} ({self.abbreviation})"


class CaseCounter(models.Model):
    """The last case number given per unit and year; locked (SELECT … FOR UPDATE) when numbering."""

    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="case_counter_unit_year")]


class CasePrefix(models.Model):
    """The prefix (机关代字) a unit's case numbers carry, e.g. ``柳湾`` in ``柳湾〔2026〕0012号``.

    Unique across units, so numbers — unique per (number_unit, year, seq) — are unique by
    construction (decision 0071). Chosen when the unit first numbers a case: its abbreviation if no
    other unit has it, else a longer one (see ``services.number_prefix``); ``wanted`` is the
    abbreviation it was chosen for, so a changed 简称 is taken up when it is free.
    """

    unit = models.OneToOneField("accounts.Unit", on_delete=models.CASCADE, related_name="+")
    prefix = models.CharField(_("number prefix"), max_length=40, unique=True)
    wanted = models.CharField(max_length=40, blank=True)

    class Meta:
        verbose_name = _("case number prefix")
        verbose_name_plural = _("case number prefixes")

    def __str__(self) -> str:
        return self.prefix


class CaseQuerySet(models.QuerySet["Case"]):
    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        for obj in objs:
            obj.fill_number_unit()
        return super().bulk_create(objs, *args, **kwargs)


class Case(models.Model):
    """A public concern being handled (诉求/工单).

    ``unit`` is who handles the case now (a transfer changes it); ``number_unit`` is the unit that
    issued its number when the case was registered, and never changes: the number, and its
    uniqueness per (number_unit, year, seq), survive transfers (decision 0057).
    """

    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="cases", verbose_name=_("responsible unit")
    )
    number = models.CharField(_("number"), max_length=60, unique=True)
    number_unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("numbering unit")
    )
    year = models.PositiveIntegerField()
    seq = models.PositiveIntegerField()
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    category = models.CharField(_("category"), max_length=40)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    summary = models.CharField(_("summary"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lon = models.FloatField(null=True, blank=True)

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    is_open = models.BooleanField(_("open"), default=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_cases",
        verbose_name=_("handler"),
    )
    version = models.PositiveIntegerField(default=0)  # optimistic concurrency; +1 per action

    received_at = models.DateTimeField(_("received"), db_index=True)
    updated_at = models.DateTimeField(_("updated"))
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    # Deadlines, recomputed on every change from the SLA policy, the calendar and ``clock``.
    sla_policy = models.CharField(_("SLA policy"), max_length=60, blank=True)
    ack_due = models.DateTimeField(_("acknowledge by"), null=True, blank=True)
    answer_due = models.DateTimeField(_("answer by"), null=True, blank=True)
    close_due = models.DateTimeField(_("close by"), null=True, blank=True)
    next_due = models.DateTimeField(_("next due"), null=True, blank=True)  # earliest unmet, not paused
    next_alert_at = models.DateTimeField(null=True, blank=True)  # next reminder/escalation to send
    deadline_notice = models.CharField(_("deadline notice"), max_length=500, blank=True)
    # The current cycle's clock events: [[iso time, kind, amount], ...] (kinds of core sla.EventKind).
    clock = models.JSONField(default=list)
    paused_at = models.DateTimeField(_("paused since"), null=True, blank=True)
    paused_seconds = models.FloatField(default=0)  # elapsed time spent pending, this cycle
    extensions = models.PositiveIntegerField(default=0)
    on_time = models.BooleanField(_("closed on time"), null=True, blank=True)  # frozen at close
    reopen_count = models.PositiveIntegerField(default=0)

    # Leader sign-off (签批) currently in force (a returned answer clears it).
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    sign_off_instructions = models.TextField(_("leader's instructions (批示)"), blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)

    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates")
    public_reply = models.TextField(_("public reply"), blank=True)  # the latest, for Open311/status

    event = models.ForeignKey(
        "monitoring.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases"
    )
    item = models.ForeignKey("monitoring.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    origin_kind = models.CharField(_("origin"), max_length=20, choices=OriginKind.choices, default=OriginKind.MANUAL)
    origin_id = models.BigIntegerField(null=True, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-received_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["number_unit", "year", "seq"], name="case_number_unit_year_seq"),
            # One citizen message makes at most one case, whoever creates it (decision 0058).
            models.UniqueConstraint(fields=["item"], name="case_one_per_item"),
        ]
        indexes = [
            models.Index(fields=["unit", "is_open", "next_due"], name="case_unit_open_due"),
            models.Index(fields=["assignee", "is_open", "next_due"], name="case_assignee_open_due"),
            models.Index(fields=["is_open", "next_due"], name="case_open_due"),
            models.Index(fields=["is_open", "next_alert_at"], name="case_open_alert"),
            models.Index(fields=["unit", "is_open", "received_at"], name="case_unit_open_received"),
            # Covering indexes for the figures (办结率 …): each count walks one index, not the rows.
            models.Index(fields=["unit", "received_at", "status", "closed_at"], name="case_unit_received"),
            models.Index(fields=["unit", "closed_at", "status", "received_at"], name="case_unit_closed"),
            models.Index(fields=["unit", "close_due", "status", "closed_at"], name="case_unit_close_due"),
            models.Index(fields=["origin_kind", "origin_id"], name="case_origin"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.summary}"

    def fill_number_unit(self) -> None:
        """A new case's number comes from the unit that registers it (rows written in bulk too)."""
        if getattr(self, "number_unit_id", None) is None:
            self.number_unit_id = self.unit_id

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_number_unit()
        super().save(*args, **kwargs)

    @property
    def paused(self) -> bool:
        return self.status == Status.PENDING


class CaseContact(models.Model):
    """The citizen's contact details, apart from the case and encrypted; shown only to its handlers."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="contact")
    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)

    class Meta:
        verbose_name = _("case contact")
        verbose_name_plural = _("case contacts")

    def __str__(self) -> str:
        return f"contact of case {self.case_id}"


class ReplyKind(models.TextChoices):
    PUBLIC = "public", _("Public reply")  # what the citizen sees (答复)
    INTERNAL = "internal", _("Internal note")  # 内部备注


class CaseReply(models.Model):
    """A public reply (what the citizen sees) or an internal note."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="replies")
    kind = models.CharField(_("kind"), max_length=10, choices=ReplyKind.choices)
    body = models.TextField(_("text"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("written"))

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["created_at", "pk"]


class CaseAttachment(models.Model):
    """A file attached to a case (type and size checked; stored in the database; served as a download)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    reply = models.ForeignKey(CaseReply, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "pk"]


class CaseTask(models.Model):
    """One unit's share of a case handled jointly (联合办理); the answer waits until all are done."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="tasks")
    unit = models.ForeignKey("accounts.Unit", on_delete=models.PROTECT, related_name="case_tasks")
    lead = models.BooleanField(_("lead unit"), default=False)
    done_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("joint task")
        verbose_name_plural = _("joint tasks")
        constraints = [models.UniqueConstraint(fields=["case", "unit"], name="case_task_unit")]


class CaseAction(models.Model):
    """The case's audit trail (办理记录): append-only, enforced by database triggers (migration 0002).

    One row per action, written in the same transaction as the change. ``version`` is the case's
    version after the action (unique per case, so two writers cannot both record version n);
    timer entries (reminders, escalations) leave the version alone and have ``version = None``.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="actions")
    version = models.PositiveIntegerField(null=True, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150)
    action = models.CharField(_("action"), max_length=30)
    old_state = models.CharField(max_length=20)
    new_state = models.CharField(max_length=20)
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(_("time"))

    class Meta:
        verbose_name = _("case action")
        verbose_name_plural = _("case actions")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["case", "version"], name="case_action_version")]

    def __str__(self) -> str:
        return f"{self.case_id} v{self.version} {self.action} {self.old_state}→{self.new_state}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError("case actions are append-only")
        super().save(*args, **kwargs)


class CaseAlert(models.Model):
    """A reminder (75 %) or escalation (breach) sent for one target of one cycle: sent once."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=10)  # remind / escalate
    stage = models.CharField(max_length=12)  # acknowledge / answer / close
    cycle = models.PositiveIntegerField(default=0)  # the case's reopen count
    at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["case", "kind", "stage", "cycle"], name="case_alert_once"),
        ]


class Open311Client(models.Model):
    """A client allowed to POST Open311 requests; only the SHA-256 of its api_key is stored."""

    name = models.CharField(_("name"), max_length=100)
    unit = models.ForeignKey(
        "accounts.Unit", on_delete=models.PROTECT, related_name="+", verbose_name=_("unit receiving requests")
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
