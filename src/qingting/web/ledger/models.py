# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""The responsibility ledger (责任清单/台账) and the registers around it.

- :class:`Task` — one item of the task ledger: a responsible unit and staff member, where the task
  came from, a deadline in working days, progress reports with evidence, closure (销号).
- :class:`Meeting` — 联席会议 / 舆情会商研判 / 专题研究会, with the events discussed and decisions.
- :class:`DutyShift`, :class:`Handover`, :class:`Drill` — the duty plan (值班), handovers, drills.
- :class:`TrainingSession`, :class:`Expert`, :class:`Equipment` — the registers.
- :class:`AssessmentScheme`, :class:`Indicator`, :class:`ManualEntry`, :class:`AssessmentRun` —
  the unit assessment (考核).

Other apps' rows (bulletins, cases, events) are referred to by id, or linked many-to-many from our
own tables; this app never writes another app's tables.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingting.web.accounts.models import Unit
from qingting.web.crypto import EncryptedTextField
from qingting.web.monitoring.models import Event

# --- task ledger ---------------------------------------------------------------------------------


class TaskSource(models.TextChoices):
    INSTRUCTION = "instruction", _("Leader's instruction on a bulletin")  # 领导批示
    MEETING = "meeting", _("Meeting decision")  # 会议决定
    DOCUMENT = "document", _("Superior's document")  # 上级文件
    CASE = "case", _("Case escalation")  # 诉求督办
    SELF_CHECK = "self_check", _("Equipment self-check")  # 设备自查
    OTHER = "other", _("Other")


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", pgettext_lazy("task", "Not started")  # 未开始
    IN_PROGRESS = "in_progress", pgettext_lazy("task", "In progress")  # 进行中
    DONE = "done", pgettext_lazy("task", "Done")  # 已完成
    CLOSED = "closed", pgettext_lazy("task", "Closed (signed off)")  # 已销号


OPEN_TASK = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
OVERDUE_LABEL = pgettext_lazy("task", "Overdue")  # 逾期: an open task past its due date (computed)


class Task(models.Model):
    """One task of the ledger (台账任务)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ledger_tasks", verbose_name=_("unit"))
    issuing_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="ledger_tasks_issued", verbose_name=_("issuing unit")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="ledger_tasks", verbose_name=_("responsible")
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    source = models.CharField(_("source"), max_length=12, choices=TaskSource.choices)
    source_ref = models.CharField(_("reference"), max_length=200, blank=True)  # e.g. 青禾网信〔2026〕3号
    bulletin_id = models.BigIntegerField(null=True, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    meeting = models.ForeignKey(
        "Meeting", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("meeting")
    )
    equipment = models.ForeignKey(
        "Equipment", null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("equipment")
    )
    start = models.DateField(_("start"))
    working_days = models.PositiveSmallIntegerField(_("working days"))
    due = models.DateField(_("due"), db_index=True)
    due_notice = models.CharField(max_length=300, blank=True)  # no official schedule for a year used
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED)
    done_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closing_note = models.TextField(blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("ledger task")
        verbose_name_plural = _("ledger tasks")
        ordering = ["due", "pk"]
        indexes = [models.Index(fields=["unit", "due"]), models.Index(fields=["status", "due"])]
        constraints = [
            models.CheckConstraint(condition=Q(due__gte=models.F("start")), name="ledger_task_due_after_start"),
        ]

    def __str__(self) -> str:
        return self.title


class Progress(models.Model):
    """A progress report on a task (进展), with evidence files."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="progress")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("progress"))
    completes = models.BooleanField(_("task completed"), default=False)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]


class Evidence(models.Model):
    """An evidence file (佐证材料) of a progress report or an assessment entry; type and size checked."""

    progress = models.ForeignKey(Progress, null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    entry = models.ForeignKey("ManualEntry", null=True, blank=True, on_delete=models.CASCADE, related_name="evidence")
    name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    data = models.BinaryField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["created_at", "pk"]


class Reminder(models.Model):
    """That a reminder or escalation of a task was queued (once per task and kind)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12)  # "remind" | "escalate"
    at = models.DateTimeField()
    queued = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "kind"], name="ledger_reminder_once")]


# --- meetings ------------------------------------------------------------------------------------


class MeetingKind(models.TextChoices):
    JOINT = "joint", _("Joint meeting")  # 联席会议
    CONSULT = "consult", _("Opinion consultation")  # 舆情会商研判
    TOPIC = "topic", _("Special-topic meeting")  # 专题研究会


class Meeting(models.Model):
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="ledger_meetings", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=10, choices=MeetingKind.choices)
    title = models.CharField(_("title"), max_length=200)
    date = models.DateField(_("date"), db_index=True)
    units_present = models.ManyToManyField(Unit, related_name="+", blank=True, verbose_name=_("units present"))
    events = models.ManyToManyField(Event, related_name="+", blank=True, verbose_name=_("events discussed"))
    decisions = models.TextField(_("decisions"), blank=True)  # one per line
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering = ["-date", "-pk"]

    def __str__(self) -> str:
        return self.title

    @property
    def decision_lines(self) -> list[str]:
        return [line.strip() for line in self.decisions.splitlines() if line.strip()]


# --- duty ----------------------------------------------------------------------------------------


class DutyShift(models.Model):
    """One shift of a unit's duty plan (值班): who is on duty from ``start`` to ``end``.

    A unit's shifts never overlap (checked by the service): at any moment one shift, one person on
    duty, and optionally the leader in charge (带班领导).
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="duty_shifts", verbose_name=_("unit"))
    start = models.DateTimeField(_("from"), db_index=True)
    end = models.DateTimeField(_("until"))
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="duty_shifts", verbose_name=_("on duty")
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("leader in charge"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("duty shift")
        verbose_name_plural = _("duty shifts")
        ordering = ["unit", "start"]
        indexes = [models.Index(fields=["unit", "start"])]
        constraints = [models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="duty_shift_end_after")]


class Handover(models.Model):
    """The handover log of a shift (交接班): what happened, what is still open."""

    shift = models.OneToOneField(DutyShift, on_delete=models.CASCADE, related_name="handover")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    happened = models.TextField(_("what happened"))
    open_items = models.TextField(_("still open"), blank=True)
    at = models.DateTimeField()


class Drill(models.Model):
    """An emergency drill (应急演练)."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="drills", verbose_name=_("unit"))
    date = models.DateField(_("date"))
    scenario = models.CharField(_("scenario"), max_length=300)
    participants = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    participant_count = models.PositiveIntegerField(_("participants"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "-pk"]


# --- registers -----------------------------------------------------------------------------------


class TrainingForm(models.TextChoices):
    ONLINE = "online", _("Online")  # 线上
    OFFLINE = "offline", _("In person")  # 线下


class TrainingSession(models.Model):
    """A training or study session (培训/学习)."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="trainings", verbose_name=_("unit"))
    date = models.DateField(_("date"), db_index=True)
    topic = models.CharField(_("topic"), max_length=200)
    form = models.CharField(_("form"), max_length=8, choices=TrainingForm.choices)
    participant_count = models.PositiveIntegerField(_("participants"))
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1)
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        ordering = ["-date", "-pk"]


class ContactVisibility(models.TextChoices):
    ADMINS = "admins", _("Administrators and leaders of the unit")
    STAFF = "staff", _("All staff of the unit")


class Expert(models.Model):
    """An expert of the directory (专家库). Only with recorded consent; the contact is encrypted."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="experts", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=60)
    field = models.CharField(_("field"), max_length=120)
    employer = models.CharField(_("employer"), max_length=120, blank=True)
    consent_date = models.DateField(_("consent given"))
    consent_note = models.CharField(_("how consent was given"), max_length=200)
    contact = EncryptedTextField(_("contact"), blank=True)
    visibility = models.CharField(
        _("contact visible to"), max_length=8, choices=ContactVisibility.choices, default=ContactVisibility.ADMINS
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["unit", "name"]


class EquipmentKind(models.TextChoices):
    INTRANET = "intranet", _("Intranet computer")  # 内网计算机
    INTERNET = "internet", _("Internet computer")  # 外网计算机
    SCREEN = "screen", _("Display screen")  # 显示屏
    OTHER = "other", _("Other")


class Equipment(models.Model):
    """An item of the equipment register, with its security measures and self-check rhythm."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="equipment", verbose_name=_("unit"))
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=10, choices=EquipmentKind.choices)
    location = models.CharField(_("location"), max_length=120, blank=True)
    antivirus = models.BooleanField(_("antivirus"), default=False)
    password_policy = models.BooleanField(_("strong password policy"), default=False)
    removable_media = models.BooleanField(_("removable-media control"), default=False)
    encryption = models.BooleanField(_("data encryption"), default=False)
    keeper = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("keeper")
    )
    check_every_days = models.PositiveSmallIntegerField(_("self-check every (days)"), default=90)
    last_check = models.DateField(_("last self-check"), null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("equipment")
        verbose_name_plural = _("equipment")
        ordering = ["unit", "name"]


class EquipmentCheck(models.Model):
    """One self-check (自查) of an item: the measures found in place."""

    equipment = models.ForeignKey(Equipment, on_delete=models.CASCADE, related_name="checks")
    date = models.DateField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    antivirus = models.BooleanField(default=False)
    password_policy = models.BooleanField(default=False)
    removable_media = models.BooleanField(default=False)
    encryption = models.BooleanField(default=False)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-date", "-pk"]


# --- assessment ----------------------------------------------------------------------------------


class IndicatorRole(models.TextChoices):
    SCORE = "score", _("Scored (weights add up to 100)")  # 计分
    DEDUCTION = "deduction", _("Deduction")  # 扣分
    BONUS = "bonus", _("Bonus")  # 加分
    VETO = "veto", _("Single-item veto")  # 单项否决


class AssessmentScheme(models.Model):
    """An indicator scheme (考核指标体系) for a year and an assessed level (乡镇, 部门 …)."""

    office = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("office"))
    year = models.PositiveSmallIntegerField(_("year"))
    level = models.CharField(_("assessed level"), max_length=20)  # a UnitKind value
    name = models.CharField(_("name"), max_length=200)
    version = models.PositiveIntegerField(default=1)
    updated_at = models.DateTimeField()

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")
        ordering = ["-year", "level"]
        constraints = [models.UniqueConstraint(fields=["office", "year", "level"], name="assessment_scheme_year_level")]

    def __str__(self) -> str:
        return self.name

    @property
    def level_label(self) -> str:
        """The assessed level in the user's words (乡镇/街道, not ``township``)."""
        from qingting.web.accounts.models import UnitKind

        return str(dict(UnitKind.choices).get(self.level, self.level))


class Indicator(models.Model):
    """One indicator of a scheme: a metric (computed, or entered) and how it scores.

    - score: ``weight`` points, linear from ``zero_at`` (0 points) to ``full_at`` (all points);
    - deduction / bonus: ``per`` points per unit of the metric, at most ``weight`` points;
    - veto: the unit fails when the metric reaches ``full_at`` (e.g. 1 duty gap on a key date).
    """

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="indicators")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    metric = models.CharField(_("metric"), max_length=40)  # a key of assessment.METRICS, or "manual"
    role = models.CharField(_("role"), max_length=10, choices=IndicatorRole.choices)
    weight = models.DecimalField(_("points"), max_digits=6, decimal_places=2, default=0)
    full_at = models.FloatField(_("full points at"), null=True, blank=True)
    zero_at = models.FloatField(_("no points at"), null=True, blank=True)
    per = models.FloatField(_("points per unit"), null=True, blank=True)

    class Meta:
        ordering = ["scheme", "position", "pk"]


class ManualEntry(models.Model):
    """A value the assessor enters for a manual indicator and a unit, with evidence."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="entries")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    value = models.FloatField(_("value"))
    note = models.TextField(_("basis"))
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    entered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["indicator", "unit"], name="assessment_entry_once")]


class AssessmentRun(models.Model):
    """A computed assessment of a scheme's units for a period: the scorecards as JSON (version 1).

    ``result`` = {"version": 1, "period": "2026", "units": [{"unit_id", "unit", "figures": {metric:
    {"value", "num", "den", "source"}}, "scores": [...], "total", "veto", "rank"}], ...}. A finished
    (定稿) run is never recomputed; the current year is computed on demand.
    """

    scheme = models.ForeignKey(AssessmentScheme, on_delete=models.CASCADE, related_name="runs")
    period = models.CharField(max_length=10)
    result = models.JSONField()
    computed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-computed_at"]
        constraints = [models.UniqueConstraint(fields=["scheme", "period"], name="assessment_run_once")]
