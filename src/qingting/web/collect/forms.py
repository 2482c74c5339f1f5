"""The source form: one form for every connector; each connector's fields are checked only for it.

Secrets (the mailbox password) are write-only: the field is never filled from the database, and
leaving it empty keeps the stored one.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qingting.web.accounts.models import Role, Unit
from qingting.web.accounts.selectors import has_role, units_for
from qingting.web.monitoring.models import Scheme, Source
from qingting.web.monitoring.selectors import schemes_for

CONNECTOR_CHOICES = [
    ("rss", _("RSS/Atom feed")),
    ("page", _("Web page list")),
    ("imap", _("Mailbox (IMAP)")),
    ("push", _("Push intake")),
    ("file", _("File import")),
]
SECURITY_CHOICES = [
    ("ssl", _("SSL/TLS (993)")),
    ("starttls", _("STARTTLS (143)")),
    ("plain", _("None (trusted network)")),
]
FORMAT_CHOICES = [("", _("From the file name")), ("jsonl", "JSONL"), ("csv", "CSV"), ("tsv", "TSV"), ("xlsx", "Excel")]


def admin_units(user: Any) -> list[Unit]:
    """The units whose sources ``user`` may add or change (admin role on the unit or an ancestor)."""
    return [u for u in units_for(user).order_by("path") if has_role(user, u, {str(Role.ADMIN)})]


def _mapping_field() -> forms.CharField:
    """The field mapping of a file source, ``id=编号,text=内容``; its form name is ``fields``."""
    return forms.CharField(
        label=_("Field mapping"),
        max_length=1000,
        required=False,
        help_text=_("Our field = the file's column, e.g. id=编号,text=内容,time=发布时间"),
    )


def _mapping_text(mapping: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in mapping.items())


class SourceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none())
    connector = forms.ChoiceField(label=_("Type"), choices=CONNECTOR_CHOICES)
    url = forms.URLField(label=_("URL"), max_length=500, required=False, assume_scheme="https")
    poll_minutes = forms.IntegerField(label=_("Poll every (minutes)"), min_value=1, max_value=7 * 24 * 60, initial=15)
    scheme = forms.ModelChoiceField(
        label=_("Scheme"), queryset=Scheme.objects.none(), required=False, empty_label=_("The unit's first scheme")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    mainstream = forms.BooleanField(label=_("Mainstream media"), required=False)
    official = forms.BooleanField(
        label=_("Official account"),
        required=False,
        help_text=_("A government or official account: its first post on an event marks the official response."),
    )
    # RSS
    max_items = forms.IntegerField(label=_("Entries per poll"), min_value=1, max_value=10_000, required=False)
    # Web page list
    link_pattern = forms.CharField(
        label=_("Link pattern"),
        max_length=300,
        required=False,
        help_text=_("A regular expression that article links match, e.g. /content/\\d+\\.html"),
    )
    max_articles = forms.IntegerField(label=_("Articles per poll"), min_value=1, max_value=500, required=False)
    respect_robots = forms.BooleanField(label=_("Respect robots.txt"), required=False, initial=True)
    # Mailbox
    imap_host = forms.CharField(label=_("IMAP server"), max_length=253, required=False)
    imap_port = forms.IntegerField(label=_("Port"), min_value=1, max_value=65535, required=False)
    imap_security = forms.ChoiceField(label=_("Security"), choices=SECURITY_CHOICES, required=False)
    imap_username = forms.CharField(label=_("User name"), max_length=200, required=False)
    imap_password = forms.CharField(
        label=_("Password"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text=_("Stored encrypted. Leave empty to keep the stored password."),
    )
    imap_mailbox = forms.CharField(label=_("Mailbox folder"), max_length=200, required=False, initial="INBOX")
    start_from_now = forms.BooleanField(label=_("Start from now (ignore older mail)"), required=False, initial=True)
    # Push
    regenerate = forms.BooleanField(label=_("Issue a new token and signing secret"), required=False)
    # File (the field named "fields" is added in __init__: declared here it would hide Form.fields)
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)

    def __init__(self, *args: Any, user: Any, source: Source | None = None, **kwargs: Any) -> None:
        if source is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_for(source)
        super().__init__(*args, **kwargs)
        self.fields["fields"] = _mapping_field()
        self.source = source
        units = admin_units(user)
        unit_field = cast("forms.ModelChoiceField[Unit]", self.fields["unit"])
        unit_field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
        cast("forms.ModelChoiceField[Scheme]", self.fields["scheme"]).queryset = (
            schemes_for(user).filter(is_active=True).order_by("name")
        )
        if units and source is None:
            self.fields["unit"].initial = units[0].pk  # the top unit the user administers

    @staticmethod
    def initial_for(source: Source) -> dict[str, Any]:
        config = source.config if isinstance(source.config, dict) else {}
        return {
            "name": source.name,
            "unit": source.unit_id,
            "connector": config.get("connector", "rss"),
            "url": source.url,
            "poll_minutes": max(1, source.poll_interval // 60),
            "scheme": config.get("scheme"),
            "is_active": source.is_active,
            "mainstream": source.mainstream,
            "official": source.official,
            "max_items": config.get("max_items"),
            "link_pattern": config.get("link_pattern", ""),
            "max_articles": config.get("max_articles"),
            "respect_robots": config.get("respect_robots", True),
            "imap_host": config.get("host", ""),
            "imap_port": config.get("port"),
            "imap_security": config.get("security", "ssl"),
            "imap_username": config.get("username", ""),
            "imap_mailbox": config.get("mailbox", "INBOX"),
            "start_from_now": config.get("start_from_now", False),
            "fields": _mapping_text(config.get("fields") or {}),
            "file_format": config.get("format", ""),
        }

    def _need(self, cleaned: dict[str, Any], *names: str) -> None:
        for name in names:
            if cleaned.get(name) in (None, ""):
                self.add_error(name, _("Required for this type of source."))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        connector = cleaned.get("connector")
        if connector in ("rss", "page"):
            self._need(cleaned, "url")
        if connector == "page":
            self._need(cleaned, "link_pattern")
            pattern = cleaned.get("link_pattern")
            if pattern:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    self.add_error("link_pattern", _("Not a valid regular expression: %(error)s") % {"error": exc})
        if connector == "imap":
            self._need(cleaned, "imap_host", "imap_username")
            has_stored = self.source is not None and bool(
                getattr(getattr(self.source, "secret", None), "imap_password", "")
            )
            if not cleaned.get("imap_password") and not has_stored:
                self.add_error("imap_password", _("Required for this type of source."))
        if connector == "file" and cleaned.get("fields"):
            from qingting.sources.files import parse_mapping

            try:
                cleaned["fields"] = parse_mapping(cleaned["fields"])
            except ValueError as exc:
                self.add_error("fields", str(exc))
        elif connector == "file":
            cleaned["fields"] = {}
        scheme, unit = cleaned.get("scheme"), cleaned.get("unit")
        if scheme is not None and unit is not None and scheme.unit_id != unit.pk:
            self.add_error("scheme", _("This scheme belongs to another unit."))
        return cleaned

    def options(self) -> dict[str, Any]:
        """The connector options to keep in ``Source.config`` (from cleaned data)."""
        c = self.cleaned_data
        return {
            "max_items": c.get("max_items"),
            "link_pattern": c.get("link_pattern"),
            "max_articles": c.get("max_articles"),
            "respect_robots": bool(c.get("respect_robots")),
            "host": c.get("imap_host"),
            "port": c.get("imap_port") or (993 if c.get("imap_security") in ("ssl", None, "") else 143),
            "security": c.get("imap_security") or "ssl",
            "username": c.get("imap_username"),
            "mailbox": c.get("imap_mailbox") or "INBOX",
            "start_from_now": bool(c.get("start_from_now")),
            "fields": c.get("fields") or None,
            "format": c.get("file_format") or None,
        }

    def secrets(self) -> dict[str, str]:
        return {"imap_password": self.cleaned_data.get("imap_password") or ""}


class PreviewForm(SourceForm):
    """The "test" button: the same fields, but name and unit are not needed to look at a source."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["unit"].required = False
        self.fields["poll_minutes"].required = False


class ImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("JSONL, CSV, TSV or Excel (.xlsx)"))
    file_format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, required=False)
    sheet = forms.CharField(label=_("Excel sheet"), max_length=100, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["fields"] = _mapping_field()  # not declared: it would hide Form.fields

    def clean_fields(self) -> dict[str, str]:
        from qingting.sources.files import parse_mapping

        try:
            return parse_mapping(self.cleaned_data.get("fields"))
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
