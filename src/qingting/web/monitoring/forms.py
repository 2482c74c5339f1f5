"""Filter forms for the event board and search (GET forms: invalid input shows field errors)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from qingting.web.monitoring import selectors
from qingting.web.monitoring.models import SentimentChoice, SourceKind, TrendChoice

_ANY = [("", _("Any"))]


class _DateRangeMixin(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned


class EventFilterForm(_DateRangeMixin):
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[("heat", _("Heat")), ("trend", _("Trend")), ("recent", _("Most recent"))],
    )
    scheme = forms.TypedChoiceField(label=_("Scheme"), required=False, coerce=int, empty_value=None)
    source_kind = forms.ChoiceField(label=_("Source type"), required=False, choices=_ANY + SourceKind.choices)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=_ANY + SentimentChoice.choices)
    trend = forms.ChoiceField(label=_("Trend"), required=False, choices=_ANY + TrendChoice.choices)

    field_order = ["sort", "scheme", "source_kind", "sentiment", "trend", "date_from", "date_to"]  # noqa: RUF012

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only schemes the user may see are offered (and accepted).
        self.fields["scheme"].choices = _ANY + [(s.pk, s.name) for s in selectors.schemes_for(user)]  # type: ignore[attr-defined]

    def filters(self) -> selectors.EventFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return selectors.EventFilters(
            scheme=d.get("scheme"),
            source_kind=d.get("source_kind") or "",
            sentiment=d.get("sentiment") or "",
            trend=d.get("trend") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
            sort=d.get("sort") or "heat",
        )


class SearchForm(_DateRangeMixin):
    q = forms.CharField(label=_("Search"), required=False, max_length=200)
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    source_kind = forms.ChoiceField(label=_("Source type"), required=False, choices=_ANY + SourceKind.choices)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=_ANY + SentimentChoice.choices)

    field_order = ["q", "source", "source_kind", "sentiment", "date_from", "date_to"]  # noqa: RUF012

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = _ANY + [(s.pk, s.name) for s in selectors.sources_for(user)]  # type: ignore[attr-defined]

    def filters(self) -> selectors.ItemFilters:
        d = self.cleaned_data if self.is_valid() else {}
        return selectors.ItemFilters(
            q=d.get("q") or "",
            source=d.get("source"),
            source_kind=d.get("source_kind") or "",
            sentiment=d.get("sentiment") or "",
            date_from=d.get("date_from"),
            date_to=d.get("date_to"),
        )
