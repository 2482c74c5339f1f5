# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Analysts' sentiment corrections and each organisation's sentiment model versions.

An *organisation* is a root of the unit tree (``Unit.parent is None``); an item belongs to the
organisation of its source's unit. A correction is one per item; its label is also written to
``Item.sentiment_label`` (and the daily counts), which every figure reads, and the engine never
scores an item twice, so nothing overwrites it (see decision 0096).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts.models import Unit
from qingting.web.monitoring.models import Item, SentimentChoice


class Correction(models.Model):
    """An analyst's sentiment for an item (人工校正): the label, who, when, and what the engine said."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="sentiment_correction")
    organisation = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation"))
    label = models.CharField(_("sentiment"), max_length=12, choices=SentimentChoice.choices)
    engine_label = models.CharField(max_length=12, blank=True)
    engine_score = models.FloatField(null=True, blank=True)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    corrected_at = models.DateTimeField(_("corrected"), default=timezone.now)

    class Meta:
        verbose_name = _("sentiment correction")
        verbose_name_plural = _("sentiment corrections")
        indexes = [models.Index(fields=["organisation", "corrected_at"], name="sentcorr_org_time")]

    def __str__(self) -> str:
        return f"{self.item_id}: {self.label}"


class VersionStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    CANDIDATE = "candidate", _("Candidate")
    REJECTED = "rejected", _("Not activated")
    FAILED = "failed", _("Failed")
    RETIRED = "retired", _("Retired")


class ModelVersion(models.Model):
    """One trained model of an organisation: its file (``.npz``, never pickle) and its figures."""

    organisation = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    number = models.PositiveIntegerField(_("version"))
    status = models.CharField(_("status"), max_length=12, choices=VersionStatus.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    activated_at = models.DateTimeField(null=True, blank=True)
    n_corrections = models.PositiveIntegerField(default=0)
    n_held_back = models.PositiveIntegerField(default=0)
    figures = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    data = models.BinaryField(null=True, blank=True)  # the model as .npz bytes (JSON meta + arrays)

    class Meta:
        verbose_name = _("sentiment model version")
        verbose_name_plural = _("sentiment model versions")
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["organisation", "number"], name="sentmodel_org_number"),
            models.UniqueConstraint(
                fields=["organisation"], condition=models.Q(status="active"), name="sentmodel_one_active"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.number}"


class RescoreJob(models.Model):
    """Re-scoring an organisation's stored items with a model version, a slice per step."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    organisation = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    version = models.ForeignKey(ModelVersion, null=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    last_item_id = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at"]

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, round(100 * self.done / self.total))
