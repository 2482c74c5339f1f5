# ruff: noqa: RUF012  (Django Meta options are plain lists by convention)
"""What collection keeps beside ``monitoring.Source``: secrets, citizens' reply details, push replays, imports.

``monitoring.Source`` belongs to the platform; per-source data it lacks lives here, keyed by the
source. Credentials and personal details are :class:`~qingting.web.crypto.EncryptedTextField`:
the database holds only ciphertext, and forms never show them back.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from qingting.web.crypto import EncryptedTextField
from qingting.web.monitoring.models import Item, Source


class SourceSecret(models.Model):
    """A source's credentials (凭据), encrypted at rest: the IMAP password, the push token and secret."""

    source = models.OneToOneField(Source, on_delete=models.CASCADE, related_name="secret", verbose_name=_("source"))
    imap_password = EncryptedTextField(_("IMAP password"), blank=True)
    push_token = EncryptedTextField(_("push token"), blank=True)
    push_secret = EncryptedTextField(_("push signing secret"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("source credentials")
        verbose_name_plural = _("source credentials")

    def __str__(self) -> str:
        return f"credentials of {self.source_id}"


class MessageContact(models.Model):
    """The citizen's reply details (回复信息) for a mailbox or push message.

    The item keeps only the author's pseudonym; who to answer is here, encrypted, for the people
    who handle the message. Not a profile: one row per message, nothing joins them by person.
    """

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="contact", verbose_name=_("item"))
    name = EncryptedTextField(_("name"), blank=True)
    address = EncryptedTextField(_("reply address"), blank=True)
    subject = models.CharField(_("subject"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("message contact")
        verbose_name_plural = _("message contacts")

    def __str__(self) -> str:
        return self.subject or f"contact of item {self.item_id}"


class PushReceipt(models.Model):
    """A push request's signature seen once: the same signed body sent again is refused as a replay.

    Rows older than the signature tolerance are useless (the timestamp check refuses those
    requests anyway) and are pruned by the periodic job ``collect.prune``.
    """

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    signature = models.CharField(max_length=64)
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "signature"], name="pushreceipt_once")]


class ImportStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class ImportRun(models.Model):
    """One file import (文件导入) into a source: what was read, stored, skipped and refused."""

    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="imports", verbose_name=_("source"))
    file_name = models.CharField(_("file"), max_length=300)
    fields = models.JSONField(_("field mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.RUNNING)
    read = models.PositiveIntegerField(_("records read"), default=0)
    created = models.PositiveIntegerField(_("stored"), default=0)
    skipped = models.PositiveIntegerField(_("already stored"), default=0)
    failed = models.PositiveIntegerField(_("refused"), default=0)
    # The first refused records and why the import stopped, as codes and parameters (collect.messages).
    errors = models.JSONField(_("first errors"), default=list, blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    started_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # after every batch: a stale one was killed
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("file import")
        verbose_name_plural = _("file imports")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.file_name

    @property
    def error_texts(self) -> list[str]:
        """The stored errors in the active language."""
        from qingting.web.collect.messages import errors_text

        return errors_text(self.errors)
