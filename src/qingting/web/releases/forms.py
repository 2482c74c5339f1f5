"""Forms of the release pages; they validate shape only, the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _


class ReleaseForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Body"), widget=forms.Textarea(attrs={"rows": 14}), max_length=50_000)
    attachments = forms.CharField(
        label=_("Attachments"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One file name or address per line."),
    )
    channels = forms.TypedMultipleChoiceField(label=_("Channels"), coerce=int, widget=forms.CheckboxSelectMultiple)
    sensitive = forms.BooleanField(label=_("Important or sensitive (重要敏感)"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: list[Any], channels: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.pk, u.name) for u in units]
        cast(forms.ChoiceField, self.fields["channels"]).choices = [
            (c.pk, f"{c.name}（{c.get_kind_display()} · {c.unit.name}）") for c in channels
        ]


class DecisionForm(forms.Form):
    comments = forms.CharField(label=_("Comments"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class CorrectionForm(forms.Form):
    what_was_wrong = forms.CharField(label=_("What was wrong"), widget=forms.Textarea(attrs={"rows": 3}))
    correction = forms.CharField(label=_("Correction"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    channel = forms.TypedChoiceField(label=_("Channel"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, channels: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            ("", _("All its channels")),
            *[(c.pk, c.name) for c in channels],
        ]


class PeriodForm(forms.Form):
    start = forms.DateField(label=_("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), widget=forms.DateInput(attrs={"type": "date"}))
