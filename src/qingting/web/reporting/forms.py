"""Forms: generate a report, edit a template, schedule a report."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from qingting.reports.figures import PERIOD_SECTIONS, WORK_SECTIONS
from qingting.web.accounts.models import Unit
from qingting.web.accounts.selectors import units_for
from qingting.web.reporting.figures import PeriodError, canonical_period
from qingting.web.reporting.models import GENERATED_KINDS, ReportKind, ReportTemplate

FORMAT_CHOICES = [("html", _("View in the browser")), ("docx", "DOCX"), ("pdf", "PDF")]


def last_month_label() -> str:
    first = timezone.localdate().replace(day=1)
    prev = first - timedelta(days=1)
    return f"{prev.year}-{prev.month:02d}"


class GenerateForm(forms.Form):
    """Kind, period, unit, template, format — filled in so that one click gives last month's report."""

    kind = forms.ChoiceField(label=_("Report"), choices=[(k.value, k.label) for k in GENERATED_KINDS])
    period = forms.CharField(
        label=_("Period"), max_length=40, help_text=_("2026-10, 2026-W43, 2026-10-05, 2026-Q4, 2026-H1 or 2026")
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=ReportTemplate.objects.none(), required=False, empty_label=_("Default")
    )
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="html")

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"kind": ReportKind.MONTHLY, "period": last_month_label(), "format": "html"})
        super().__init__(*args, **kwargs)
        units = units_for(user)
        cast("forms.ModelChoiceField[Unit]", self.fields["unit"]).queryset = units
        first = units.first()
        if first is not None:
            self.fields["unit"].initial = first.pk
        from qingting.web.reporting.selectors import templates_for_user

        cast("forms.ModelChoiceField[ReportTemplate]", self.fields["template"]).queryset = templates_for_user(user)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, period = data.get("kind"), data.get("period")
        if kind and period:
            try:
                data["period"] = canonical_period(period, kind)
            except PeriodError as exc:
                self.add_error("period", str(exc))
        template = data.get("template")
        if template is not None and kind and template.kind != kind:
            self.add_error("template", _("This template is for another kind of report."))
        return data


if TYPE_CHECKING:  # generic only in django-stubs; subscripting it fails at run time
    _TemplateModelForm = forms.ModelForm[ReportTemplate]
else:
    _TemplateModelForm = forms.ModelForm


class TemplateForm(_TemplateModelForm):
    """A report template; sections are chosen with checkboxes, in their standard order."""

    section_keys = forms.MultipleChoiceField(
        label=_("Sections"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=list({**PERIOD_SECTIONS, **WORK_SECTIONS}.items()),
        help_text=_("None ticked: all sections."),
    )

    class Meta:
        model = ReportTemplate
        fields = [  # noqa: RUF012
            "name",
            "kind",
            "is_default",
            "title",
            "lead",
            "closing",
            "mark",
            "issuer",
            "number_prefix",
            "addressee",
            "copy_to",
            "printer",
            "secrecy",
        ]
        widgets = {  # noqa: RUF012
            "lead": forms.Textarea(attrs={"rows": 3}),
            "closing": forms.Textarea(attrs={"rows": 3}),
            "copy_to": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["kind"]).choices = [(k.value, k.label) for k in GENERATED_KINDS]
        if self.instance.pk:
            self.fields["section_keys"].initial = list(self.instance.sections or [])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        known = WORK_SECTIONS if kind == ReportKind.WORK else PERIOD_SECTIONS
        chosen = data.get("section_keys") or []
        bad = [k for k in chosen if k not in known]
        if bad:
            self.add_error(
                "section_keys", _("Not a section of this kind of report: %(keys)s") % {"keys": ", ".join(bad)}
            )
        data["sections"] = [k for k in known if k in chosen]
        return data

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("section_keys", None)
        return data


class ScheduleForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Report"), choices=[(k.value, k.label) for k in GENERATED_KINDS if k != ReportKind.WORK]
    )
    unit = forms.ModelChoiceField(label=_("Unit"), queryset=Unit.objects.none(), empty_label=None)
    template = forms.ModelChoiceField(
        label=_("Template"), queryset=ReportTemplate.objects.none(), required=False, empty_label=_("Default")
    )
    recipients = forms.CharField(
        label=_("Recipients (one e-mail address per line)"), widget=forms.Textarea(attrs={"rows": 3})
    )
    formats = forms.MultipleChoiceField(
        label=_("Attachments"),
        choices=[("docx", "DOCX"), ("pdf", "PDF"), ("html", "HTML")],
        widget=forms.CheckboxSelectMultiple,
        initial=["docx", "pdf"],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from qingting.web.reporting.selectors import templates_for_user

        cast("forms.ModelChoiceField[Unit]", self.fields["unit"]).queryset = units_for(user)
        cast("forms.ModelChoiceField[ReportTemplate]", self.fields["template"]).queryset = templates_for_user(user)

    def recipient_list(self) -> list[str]:
        raw = self.cleaned_data.get("recipients", "")
        return [a.strip() for a in raw.replace(",", "\n").splitlines() if a.strip()]
