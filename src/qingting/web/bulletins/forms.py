"""Forms for the bulletin pages: they validate input; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from qingting.web.accounts.models import Unit, User
from qingting.web.bulletins.models import Adoption


class BulletinTextForm(forms.Form):
    """The analyst's parts of a bulletin; the figures are never typed."""

    title = forms.CharField(label=_("Title"), max_length=200)
    summary = forms.CharField(
        label=pgettext_lazy("bulletin", "Summary"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What happened, in a sentence or two. Left empty, the events' names are used."),
    )
    assessment = forms.CharField(
        label=_("Assessment (研判)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One paragraph per line."),
    )
    recommendations = forms.CharField(
        label=_("Recommended response (处置建议)"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One recommendation per line; numbered 一是、二是… in the document."),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class SubmitForm(forms.Form):
    to_user = forms.ModelChoiceField(queryset=User.objects.none(), label=_("Leader to sign off"), empty_label=None)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, leaders: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[User]", self.fields["to_user"]).queryset = leaders


class SignForm(forms.Form):
    instructions = forms.CharField(
        label=_("Instructions (批示)"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 4})
    )
    case_unit = forms.ModelChoiceField(
        queryset=Unit.objects.none(),
        required=False,
        label=_("Open a case for"),
        empty_label=_("— no case —"),
        help_text=_("The responsible unit; the case carries the instructions and links back to this bulletin."),
    )
    case_summary = forms.CharField(label=_("Case summary"), required=False, max_length=200)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, units: QuerySet[Unit], cases_enabled: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if cases_enabled:
            cast("forms.ModelChoiceField[Unit]", self.fields["case_unit"]).queryset = units
        else:
            del self.fields["case_unit"]
            del self.fields["case_summary"]


class ReturnForm(forms.Form):
    comments = forms.CharField(label=_("Comments"), max_length=20_000, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class UpwardForm(forms.Form):
    note = forms.CharField(label=_("Note to the parent unit"), required=False, max_length=2000)


class DecideForm(forms.Form):
    adoption = forms.ChoiceField(
        label=_("Decision"), choices=[(k, v) for k, v in Adoption.choices if k != Adoption.PENDING]
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class CountsForm(forms.Form):
    period = forms.CharField(
        label=_("Period"),
        required=False,
        max_length=40,
        help_text=_("2026-10, 2026-W43, 2026-Q4, 2026-H1, 2026 or 2026-10-01..2026-10-15"),
    )

    def clean_period(self) -> Any:
        from qingting.reports.figures import Period

        text = self.cleaned_data.get("period", "").strip()
        if not text:
            return None
        try:
            return Period.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from exc
