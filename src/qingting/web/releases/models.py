# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""Releases (稿件) of the organisation's own publications, their 三审三校 review, and corrections.

A :class:`Release` is a draft for one or more of the organisation's channels. Every save of its
text is a :class:`Revision` (kept for ever, with its proofreading :class:`Finding` s). Submitting
freezes the unit's review plan (:class:`ReviewStep` rows, or the default 初审 → 复审 → 终审, plus
主要领导 for a sensitive release) into ``Release.plan``; each step is approved or returned by a
person holding the step's role, never the author and never someone who approved an earlier step
of the same round. Each decision is a :class:`ReviewAction` and an audit entry. After
publishing, a :class:`Correction` (更正) records what was wrong; 信息准确率 counts releases
without one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts.models import Role, Unit


class ReleaseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # 草稿
    IN_REVIEW = "in_review", _("In review")  # 审核中
    RETURNED = "returned", _("Returned")  # 退回修改
    APPROVED = "approved", _("Approved")  # 审核通过（待发布）
    PUBLISHED = "published", _("Published")  # 已发布


class ReviewStep(models.Model):
    """One step of a unit's review plan (审核流程), in ``position`` order.

    A unit without steps uses its nearest ancestor's, and without any the default plan.
    ``sensitive_only`` steps apply only to releases flagged 重要敏感.
    """

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="review_steps", verbose_name=_("unit"))
    position = models.PositiveSmallIntegerField(_("position"))
    name = models.CharField(_("name"), max_length=40)  # 初审 / 复审 / 终审 / 主要领导签发
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    sensitive_only = models.BooleanField(_("only for sensitive releases"), default=False)

    class Meta:
        verbose_name = _("review step")
        verbose_name_plural = _("review steps")
        ordering = ["unit", "position"]
        constraints = [models.UniqueConstraint(fields=["unit", "position"], name="review_step_unit_position")]

    def __str__(self) -> str:
        return f"{self.unit} {self.position}. {self.name}"


class Release(models.Model):
    """A 稿件: a draft of the organisation's own publication for one or more of its channels."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="releases", verbose_name=_("unit"))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"))
    attachments = models.TextField(_("attachments"), blank=True)  # one name or address per line
    channels = models.ManyToManyField("channels.Channel", related_name="releases", verbose_name=_("channels"))
    sensitive = models.BooleanField(_("important or sensitive (重要敏感)"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ReleaseStatus.choices, default=ReleaseStatus.DRAFT, db_index=True
    )
    # The review plan frozen at submission: [{"name": "初审", "role": "reviewer"}, …]
    plan = models.JSONField(default=list, blank=True)
    step = models.PositiveSmallIntegerField(default=0)  # index into plan of the step awaiting a decision
    awaiting_role = models.CharField(max_length=20, blank=True, db_index=True)  # plan[step]["role"] in review
    round = models.PositiveIntegerField(default=0)  # bumped at every submission
    revision_count = models.PositiveIntegerField(default=0)
    version = models.PositiveIntegerField(default=1)  # bumped on every change; stale forms are refused
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ["-updated_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "status", "-updated_at"]),
            # "awaiting my review": the count reads this index alone (100,000 releases: ~60 → ~5 ms)
            models.Index(fields=["status", "awaiting_role", "unit", "created_by"], name="release_awaiting"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_editable(self) -> bool:
        return self.status in (ReleaseStatus.DRAFT, ReleaseStatus.RETURNED)

    @property
    def current_step(self) -> dict[str, str] | None:
        if self.status != ReleaseStatus.IN_REVIEW or self.step >= len(self.plan):
            return None
        return self.plan[self.step]  # type: ignore[no-any-return]


class Revision(models.Model):
    """The release's text as saved once; never changed afterwards."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    attachments = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("revision")
        verbose_name_plural = _("revisions")
        ordering = ["release", "-number"]
        constraints = [models.UniqueConstraint(fields=["release", "number"], name="revision_release_number")]

    def __str__(self) -> str:
        return f"{self.release_id} r{self.number}"


class FindingState(models.TextChoices):
    OPEN = "open", _("Open")  # 待处理
    FIXED = "fixed", _("Fixed")  # 已改正
    DISMISSED = "dismissed", _("Dismissed")  # 不需修改


FINDING_KINDS = {
    "typo": _("Typo"),  # 错别字
    "idiom": _("Idiom"),  # 成语
    "wording": _("Standard wording"),  # 规范表述
    "date": _("Date"),  # 日期
    "weekday": _("Weekday"),  # 星期
    "key_date": _("Sensitive day"),  # 敏感节点
    "number": _("Number"),  # 数字
    "link": _("Link"),  # 链接
}


class Finding(models.Model):
    """One proofreading finding (三校) on a revision, marked fixed or dismissed by a reviewer."""

    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="findings")
    field = models.CharField(max_length=8)  # "title" | "body"
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    text = models.CharField(max_length=200)
    suggestion = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=12)
    message = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=10, choices=FindingState.choices, default=FindingState.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("proofreading finding")
        verbose_name_plural = _("proofreading findings")
        ordering = ["revision", "field", "start", "id"]

    def get_kind_label(self) -> str:
        return str(FINDING_KINDS.get(self.kind, self.kind))


class ReviewDecision(models.TextChoices):
    SUBMIT = "submit", _("Submitted for review")  # 提交审核
    APPROVE = "approve", _("Approved")  # 通过
    RETURN = "return", _("Returned")  # 退回
    PUBLISH = "publish", _("Published")  # 发布


class ReviewAction(models.Model):
    """A step of the review as it happened: who decided what on which revision, with comments."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="actions")
    revision = models.ForeignKey(Revision, on_delete=models.PROTECT, related_name="+")
    round = models.PositiveIntegerField()
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    step_name = models.CharField(max_length=40, blank=True)
    decision = models.CharField(max_length=10, choices=ReviewDecision.choices)
    comments = models.TextField(blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("review action")
        verbose_name_plural = _("review actions")
        ordering = ["release", "at", "id"]


class Correction(models.Model):
    """A 更正 after publishing: what was wrong, and on which channel (all of them when empty)."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="corrections")
    channel = models.ForeignKey(
        "channels.Channel", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("channel")
    )
    what_was_wrong = models.TextField(_("what was wrong"))
    correction = models.TextField(_("correction"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-recorded_at", "-id"]


class WordingEntry(models.Model):
    """An entry of a unit's standard-wording list (规范表述): write ``right``, not ``wrong``."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit"))
    wrong = models.CharField(_("wrong form"), max_length=100)
    right = models.CharField(_("right form"), max_length=100)
    note = models.CharField(_("note"), max_length=200, blank=True)
    # A leader's name or title written wrong is a 严重表述错误: it fails a channel's inspection.
    serious = models.BooleanField(_("serious (fails an inspection)"), default=False)

    class Meta:
        verbose_name = _("standard wording")
        verbose_name_plural = _("standard wording")
        constraints = [models.UniqueConstraint(fields=["unit", "wrong"], name="wording_unit_wrong")]


class SensitiveDay(models.Model):
    """A sensitive day (敏感节点) of a unit's calendar: every year, or in ``year`` only."""

    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+", verbose_name=_("unit"))
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        verbose_name = _("sensitive day")
        verbose_name_plural = _("sensitive days")
