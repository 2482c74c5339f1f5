# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Report templates, the archive of issued reports, and scheduled generation with delivery.

* :class:`ReportTemplate` (报告模板) — the wording an administrator edits: title, lead and closing
  paragraphs, which sections, the issuing-unit mark, the 版记 lines. Never the numbers.
* :class:`IssuedReport` (报告归档) — every issued report with its DOCX/PDF/HTML, its figures and
  who issued it; bulletins (舆情专报) are archived here too.
* :class:`ReportSchedule` (定时报告) and :class:`ScheduledRun` — a report generated once per
  period and e-mailed; the run row is unique per (schedule, period), which is what makes the
  periodic job idempotent when it runs twice or on two hosts at once.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts.models import Unit


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily report")  # 日报
    WEEKLY = "weekly", _("Weekly report")  # 周报
    MONTHLY = "monthly", _("Monthly report")  # 月报
    QUARTERLY = "quarterly", _("Quarterly report")  # 季报
    HALF = "half", _("Half-year report")  # 半年报
    ANNUAL = "annual", _("Annual report")  # 年报
    WORK = "work", _("Work report")  # 工作情况报告
    BULLETIN = "bulletin", _("Bulletin")  # 舆情专报 (archived by the bulletins app)


# Kinds this app generates from the database (bulletins are composed in the bulletins app).
GENERATED_KIND_VALUES: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "half", "annual", "work")
GENERATED_KINDS = (
    ReportKind.DAILY,
    ReportKind.WEEKLY,
    ReportKind.MONTHLY,
    ReportKind.QUARTERLY,
    ReportKind.HALF,
    ReportKind.ANNUAL,
    ReportKind.WORK,
)


class ReportTemplate(models.Model):
    """An editable template (报告模板): the wording around the figures, never the figures.

    ``unit`` empty: a template every unit may use. Text fields may use ``{scope}`` (the unit's
    name) and ``{period}`` (2026年10月); they are filled by plain replacement.
    """

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices)
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.CASCADE, related_name="report_templates", verbose_name=_("unit")
    )
    is_default = models.BooleanField(_("default for its kind"), default=False)
    title = models.CharField(_("title"), max_length=200, blank=True, help_text=_("Empty: the standard title."))
    lead = models.TextField(_("opening paragraph"), blank=True)
    closing = models.TextField(_("closing paragraph"), blank=True)
    sections = models.JSONField(_("sections"), default=list, blank=True)  # keys, in order; [] = all
    headings = models.JSONField(_("section headings"), default=dict, blank=True)  # key -> heading
    mark = models.CharField(_("issuing-unit mark"), max_length=100, blank=True)  # 发文机关标志
    issuer = models.CharField(_("issuing unit"), max_length=100, blank=True)  # empty: the unit's name
    number_prefix = models.CharField(_("document number prefix"), max_length=40, blank=True)  # 青禾舆
    addressee = models.CharField(_("addressee"), max_length=200, blank=True)  # 主送
    copy_to = models.TextField(_("copy to (one per line)"), blank=True)  # 抄送
    printer = models.CharField(_("printed by"), max_length=100, blank=True)  # 印发机关
    secrecy = models.CharField(_("classification"), max_length=40, blank=True)  # 密级
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("report template")
        verbose_name_plural = _("report templates")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def copy_to_lines(self) -> tuple[str, ...]:
        return tuple(line.strip() for line in self.copy_to.splitlines() if line.strip())


class IssuedReport(models.Model):
    """One issued report in the archive (报告归档): the files as issued and the figures they show."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="issued_reports", verbose_name=_("unit"))
    kind = models.CharField(_("kind"), max_length=20, choices=ReportKind.choices, db_index=True)
    period_label = models.CharField(_("period"), max_length=40, db_index=True)
    title = models.CharField(_("title"), max_length=300)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="issued_reports",
        verbose_name=_("issued by"),
    )
    issued_by_label = models.CharField(max_length=150, blank=True)  # "system (schedule 3)" when no user

    @property
    def issuer(self) -> str:
        """Who issued it, in the reader's words: the user, or which automatic run."""
        if self.issued_by_id:
            return str(self.issued_by)
        label = self.issued_by_label or "system"
        if label.startswith("system"):
            schedule = re.search(r"schedule (\d+)", label)
            if schedule:
                return str(_("automatic, schedule #%(n)s") % {"n": schedule.group(1)})
            if "demo" in label:
                return str(_("automatic (demo)"))
            return str(_("automatic"))
        return label

    issued_at = models.DateTimeField(_("issued at"), db_index=True)
    docx = models.BinaryField()
    pdf = models.BinaryField(null=True, blank=True)
    html = models.TextField()
    figures = models.JSONField(default=dict)
    template = models.ForeignKey(ReportTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["unit", "kind", "issued_at"])]

    def __str__(self) -> str:
        return self.title


class ReportSchedule(models.Model):
    """Generate a report once per period and e-mail it (定时报告)."""

    kind = models.CharField(_("kind"), max_length=20, choices=[(k.value, k.label) for k in GENERATED_KINDS])
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="report_schedules", verbose_name=_("unit"))
    template = models.ForeignKey(
        ReportTemplate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("template")
    )
    recipients = models.TextField(_("recipients (one e-mail address per line)"))
    formats = models.JSONField(_("formats"), default=list)  # ["docx", "pdf", "html"]
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.unit}"

    @property
    def recipient_list(self) -> list[str]:
        return [line.strip() for line in self.recipients.replace(",", "\n").splitlines() if line.strip()]


class ScheduledRun(models.Model):
    """One schedule's report for one period: claimed first (unique), then archived and delivered."""

    class State(models.TextChoices):
        CLAIMED = "claimed", _("Generating")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    schedule = models.ForeignKey(ReportSchedule, on_delete=models.CASCADE, related_name="runs")
    period_label = models.CharField(max_length=40)
    state = models.CharField(max_length=10, choices=State.choices, default=State.CLAIMED)
    report = models.ForeignKey(IssuedReport, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    claimed_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["schedule", "period_label"], name="scheduledrun_once_per_period")
        ]
