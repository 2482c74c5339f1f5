# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Bulletins (舆情专报) with their sign-off workflow, and upward submissions (直报).

A bulletin belongs to a unit, is composed by an analyst from one or more events, is submitted to
a leader of the unit (or above), signed off with written instructions (批示) or returned with
comments, and then issued with an issue number per unit and year (〔2026〕第12期). Its figures
are computed from the database while it is a draft and frozen into ``figures`` when submitted.

A :class:`Submission` sends an issued bulletin — or an archived report — to the parent unit,
whose leader or analyst marks it 直报采用, 摘报采用 or 不采用.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingting.web.accounts.models import Unit
from qingting.web.monitoring.models import Event


class BulletinStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # 草稿
    SUBMITTED = "submitted", _("Awaiting sign-off")  # 待签批
    RETURNED = "returned", _("Returned")  # 退回修改
    SIGNED = "signed", _("Signed off")  # 已签批
    ISSUED = "issued", _("Issued")  # 已印发


class Bulletin(models.Model):
    """A 舆情专报 on one or more events."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("unit"))
    title = models.CharField(_("title"), max_length=200)
    events = models.ManyToManyField(Event, related_name="bulletins", blank=True, verbose_name=_("events"))
    summary = models.TextField(_("summary"), blank=True)  # 基本情况, the analyst's words
    assessment = models.TextField(_("assessment (研判)"), blank=True)  # paragraphs, one per line
    recommendations = models.TextField(_("recommended response (处置建议)"), blank=True)  # one per line
    status = models.CharField(
        _("status"), max_length=12, choices=BulletinStatus.choices, default=BulletinStatus.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(default=1)  # bumped on every change; stale forms are refused
    # Frozen at submission (JSON of the composition); empty while a draft is being edited.
    figures = models.JSONField(null=True, blank=True)
    # Issue number 〔year〕第seq期, assigned when issued, so abandoned drafts leave no gaps.
    year = models.PositiveIntegerField(null=True, blank=True)
    seq = models.PositiveIntegerField(null=True, blank=True)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("submitted to"),
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    returned_comments = models.TextField(_("comments"), blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    instructions = models.TextField(_("instructions (批示)"), blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # A case opened from the instructions (cases app), by id: the cases app may be absent.
    case_id = models.BigIntegerField(null=True, blank=True)
    # The issued files (DOCX, PDF, HTML) live in the reports archive, with who issued them.
    archive = models.ForeignKey(
        "reporting.IssuedReport", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year", "seq"], name="bulletin_unit_year_seq"),
        ]
        indexes = [models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return self.title

    @property
    def issue_label(self) -> str:
        """〔2026〕第12期, or empty before the bulletin is issued."""
        return f"〔{self.year}〕第{self.seq}期" if self.year and self.seq else ""

    @property
    def is_editable(self) -> bool:
        return self.status in (BulletinStatus.DRAFT, BulletinStatus.RETURNED)


class BulletinCounter(models.Model):
    """The last issue number of a unit in a year; locked while a number is taken."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["unit", "year"], name="bulletin_counter_unit_year")]


class Adoption(models.TextChoices):
    PENDING = "pending", pgettext_lazy("bulletin", "Pending")  # 待处理
    FULL = "full", _("Adopted in full")  # 直报采用
    SUMMARY = "summary", _("Adopted in summary")  # 摘报采用
    NOT_ADOPTED = "not_adopted", _("Not adopted")  # 不采用


class Submission(models.Model):
    """An upward submission (直报) of a bulletin or an archived report to the parent unit."""

    from_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="submissions_sent", verbose_name=_("from unit")
    )
    to_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="submissions_received", verbose_name=_("to unit")
    )
    bulletin = models.ForeignKey(Bulletin, null=True, blank=True, on_delete=models.PROTECT, related_name="submissions")
    report = models.ForeignKey(
        "reporting.IssuedReport", null=True, blank=True, on_delete=models.PROTECT, related_name="submissions"
    )
    title = models.CharField(_("title"), max_length=300)
    note = models.TextField(_("note"), blank=True)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField(db_index=True)
    adoption = models.CharField(
        _("adoption"), max_length=12, choices=Adoption.choices, default=Adoption.PENDING, db_index=True
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("upward submission")
        verbose_name_plural = _("upward submissions")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(bulletin__isnull=False, report__isnull=True) | Q(bulletin__isnull=True, report__isnull=False)
                ),
                name="submission_one_document",
            ),
            # One submission of a document to a unit: resubmitting is a mistake, not a second count.
            models.UniqueConstraint(fields=["bulletin", "to_unit"], name="submission_bulletin_once"),
            models.UniqueConstraint(fields=["report", "to_unit"], name="submission_report_once"),
        ]
        indexes = [models.Index(fields=["from_unit", "submitted_at"]), models.Index(fields=["to_unit", "adoption"])]

    def __str__(self) -> str:
        return self.title
