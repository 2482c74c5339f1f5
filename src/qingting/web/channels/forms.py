"""Forms of the channel pages; they validate shape only, the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from qingting.web.channels.models import ChannelKind, ChannelState


class ChannelForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Owner unit"), coerce=int)
    kind = forms.ChoiceField(label=_("Kind"), choices=ChannelKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    operator = forms.TypedChoiceField(label=_("Operator"), coerce=int, required=False, empty_value=None)
    reviewer = forms.TypedChoiceField(label=_("Reviewer"), coerce=int, required=False, empty_value=None)
    source = forms.TypedChoiceField(label=_("Publication source"), coerce=int, required=False, empty_value=None)
    interaction_source = forms.TypedChoiceField(
        label=_("Messages source"), coerce=int, required=False, empty_value=None
    )
    url = forms.URLField(label=_("Address"), required=False, max_length=500, assume_scheme="https")
    account = forms.CharField(label=_("Account id or domain"), required=False, max_length=200)
    registrant = forms.CharField(label=_("Registered by"), required=False, max_length=200)
    record_number = forms.CharField(label=_("Record number"), required=False, max_length=100)
    opened_on = forms.DateField(label=_("Opened on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    inspect_automatically = forms.BooleanField(label=_("Inspect automatically"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: list[Any], people: list[Any], sources: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.pk, u.name) for u in units]
        people_choices = [("", "—"), *((p.pk, str(p)) for p in people)]
        source_choices = [("", "—"), *((s.pk, s.name) for s in sources)]
        cast(forms.ChoiceField, self.fields["operator"]).choices = people_choices
        cast(forms.ChoiceField, self.fields["reviewer"]).choices = people_choices
        cast(forms.ChoiceField, self.fields["source"]).choices = source_choices
        cast(forms.ChoiceField, self.fields["interaction_source"]).choices = source_choices


class StateForm(forms.Form):
    state = forms.ChoiceField(label=_("State"), choices=ChannelState.choices)
    on = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=500)


class ReportForm(forms.Form):
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    period = forms.RegexField(
        label=_("Quarter"), regex=r"^\d{4}-Q[1-4]$", max_length=7, error_messages={"invalid": _("Write 2026-Q4.")}
    )
    fmt = forms.ChoiceField(label=_("Format"), choices=[("docx", "DOCX"), ("pdf", "PDF")], initial="docx")

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = [(u.pk, u.name) for u in units]
