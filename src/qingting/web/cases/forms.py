"""Forms of the case pages: queue filters, manual entry, replies and notes, attachments, metrics period."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import PurePath
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingting.web.cases.models import TEXT_LIMITS

_ANY = [("", _("Any"))]


def _choices(model_field: str, fallback: list[tuple[str, object]]) -> list[tuple[str, Any]]:
    """Choices of a Case field (from cases-core's model) or ``fallback`` when it has none."""
    try:
        from qingting.web.cases.models import Case

        field = Case._meta.get_field(model_field)
        choices = list(field.choices or []) if isinstance(field, models.Field) else []
    except Exception:
        choices = []
    return choices or list(fallback)


def _set_choices(form: forms.BaseForm, name: str, choices: Sequence[tuple[Any, Any]]) -> None:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField), name  # declared as one in the form class
    field.choices = choices


def category_choices() -> list[tuple[str, str]]:
    """The active case categories (an editable table of cases-core), in their order."""
    from qingting.web.cases.models import Category

    return [(c.code, c.name) for c in Category.objects.filter(is_active=True).order_by("order", "code")]


class QueueFilterForm(forms.Form):
    q = forms.CharField(label=_("Number or words"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    priority = forms.ChoiceField(label=_("Priority"), required=False)
    unit = forms.TypedChoiceField(label=_("Unit"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "status", _ANY + _choices("status", []))
        _set_choices(self, "channel", _ANY + _choices("channel", []))
        _set_choices(self, "priority", _ANY + _choices("priority", []))
        _set_choices(self, "unit", _ANY + [(u.pk, u.name) for u in units])

    def filters(self) -> dict[str, Any]:
        return dict(self.cleaned_data) if self.is_valid() else {}


class CaseForm(forms.Form):
    """Manual entry (人工登记) of a concern received by phone, in person or by letter."""

    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    channel = forms.ChoiceField(label=_("Channel"))
    category = forms.ChoiceField(label=_("Category"))
    priority = forms.ChoiceField(label=_("Priority"), initial="normal")
    summary = forms.CharField(
        label=_("Summary"), max_length=TEXT_LIMITS["summary"], help_text=_("One line: what is the concern?")
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea, max_length=TEXT_LIMITS["description"]
    )
    region = forms.CharField(label=_("Place"), required=False, max_length=TEXT_LIMITS["region"])
    received_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty for now."),
    )
    contact_name = forms.CharField(label=_("Citizen's name"), required=False, max_length=100)
    contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    contact_email = forms.CharField(label=_("Email"), required=False, max_length=200)
    contact_address = forms.CharField(label=_("Address"), required=False, max_length=TEXT_LIMITS["address"])

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _set_choices(self, "unit", [(u.pk, u.name) for u in units])
        _set_choices(
            self,
            "channel",
            [c for c in _choices("channel", [("phone", _("Phone"))]) if c[0] not in {"open311", "mailbox", "push"}],
        )
        _set_choices(self, "category", category_choices())
        _set_choices(self, "priority", _choices("priority", [("normal", _("Normal"))]))

    def clean_summary(self) -> str:
        summary = " ".join(str(self.cleaned_data["summary"]).split())
        if not summary:
            raise ValidationError(_("Say in one line what the concern is."))
        return summary

    def clean_contact_phone(self) -> str:
        phone = str(self.cleaned_data.get("contact_phone") or "").strip()
        if phone and not all(c.isdigit() or c in "+-() " for c in phone):
            raise ValidationError(_("A phone number has digits, spaces, +, - and brackets only."))
        return phone

    def clean_contact_email(self) -> str:
        email = str(self.cleaned_data.get("contact_email") or "").strip()
        if email:
            validate_email(email)
        return email

    def clean_received_at(self) -> Any:
        value = self.cleaned_data.get("received_at")
        if value is not None and value > timezone.now() + timedelta(minutes=5):
            raise ValidationError(_("The time of receipt cannot be in the future."))
        return value

    def contact(self) -> dict[str, str] | None:
        d = self.cleaned_data
        contact = {k: d[f"contact_{k}"] for k in ("name", "phone", "email", "address") if d.get(f"contact_{k}")}
        return contact or None


class ReplyForm(forms.Form):
    """A public reply (what the citizen sees) or an internal note (only for the office)."""

    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("note", _("Internal note")), ("public", _("Public reply (the citizen sees it)"))],
        initial="note",
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 4}), max_length=TEXT_LIMITS["body"])

    def __init__(self, *args: Any, notes_only: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if notes_only:  # a joint-task unit's handler writes notes, not the answer to the citizen
            _set_choices(self, "kind", [("note", _("Internal note"))])

    def clean_text(self) -> str:
        text = str(self.cleaned_data["text"]).strip()
        if not text:
            raise ValidationError(_("Write something first."))
        return text


class UploadForm(forms.Form):
    """One file, checked by cases-core's rules (type by extension and first bytes, size limit)."""

    file = forms.FileField(label=_("File"))

    def clean_file(self) -> Any:
        from qingting.web.cases import services

        upload = self.cleaned_data["file"]
        name = PurePath(str(upload.name or "")).name
        limit = services.attachment_max_bytes()
        if upload.size > limit:  # refused before reading it into memory
            raise ValidationError(
                _("“%(name)s” is %(size)d bytes; the limit is %(limit)d bytes."),
                params={"name": name, "size": upload.size, "limit": limit},
            )
        data = upload.read()
        try:
            services.check_attachment(name, data)
        except ValidationError as exc:
            raise ValidationError([m for m in exc.messages]) from None
        self.file_name, self.file_data = name, data
        return upload


def allowed_extensions() -> str:
    from qingting.web.cases import services

    return ", ".join(sorted(services.ATTACHMENT_TYPES))


PERIODS = [
    ("30d", _("Last 30 days")),
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Dates below")),
]


class MetricsForm(forms.Form):
    period = forms.ChoiceField(label=_("Period"), choices=PERIODS, required=False, initial="30d")
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if cleaned.get("period") == "custom" and not (start and end):
            self.add_error("date_from", _("Give both dates for a custom period."))
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def bounds(self, today: date) -> tuple[date, date]:
        """``[start, end)`` as dates (the end is exclusive)."""
        d = self.cleaned_data if self.is_valid() else {}
        period = d.get("period") or "30d"
        if period == "custom" and d.get("date_from") and d.get("date_to"):
            return d["date_from"], d["date_to"] + timedelta(days=1)
        if period == "month":
            return today.replace(day=1), today + timedelta(days=1)
        if period == "quarter":
            return today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), today + timedelta(days=1)
        if period == "year":
            return today.replace(month=1, day=1), today + timedelta(days=1)
        return today - timedelta(days=29), today + timedelta(days=1)
