# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""The organisation: units in a tree, users, memberships with roles, login failures, API tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class User(AbstractUser):
    """A person who signs in. What they may see comes from their memberships, not from the user."""

    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class UnitKind(models.TextChoices):
    OFFICE = "office", _("Office")  # 办公室 / 网信办
    DEPARTMENT = "department", _("Department")  # 部门
    TOWNSHIP = "township", _("Township")  # 乡镇/街道
    COMMUNITY = "community", _("Community")  # 社区/村


class Unit(models.Model):
    """A unit of the organisation (单位): office → departments → townships → communities.

    ``path`` is the materialised path of primary keys (``/1/4/9/``) so "this unit and everything
    under it" is one indexed prefix query; it is maintained by :func:`services.unit_create`.
    """

    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=20, choices=UnitKind.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")  # 管理员
    ANALYST = "analyst", _("Analyst")  # 分析员
    HANDLER = "handler", _("Handler")  # 处置员
    REVIEWER = "reviewer", _("Reviewer")  # 审核员
    LEADER = "leader", _("Leader")  # 领导


class Membership(models.Model):
    """A user's role in a unit; it grants that role over the unit and all its descendants."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.role})"


class LoginFailure(models.Model):
    """One failed sign-in, counted per (username, address), per address and per username for throttling."""

    username = models.CharField(max_length=150)
    ip = models.CharField(max_length=64)
    at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["username", "ip", "at"]),
            models.Index(fields=["ip", "at"], name="loginfailure_ip_at"),
            models.Index(fields=["username", "at"], name="loginfailure_user_at"),
        ]


class ApiToken(models.Model):
    """A bearer token for the JSON API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
