# mypy: disable-error-code="type-arg"
# (admin classes and ModelForm are generic only in django-stubs; subscripting them fails at run time)
"""Admin for the case rules an administrator edits: categories, SLA policies, the working-day
calendar, unit abbreviations and notification addresses, Open311 clients. Cases themselves are
read-only here: their state changes only through ``services.case_act`` (pages, API, Open311)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from qingting.core.cases.calendar import YearSchedule
from qingting.web.cases.models import CalendarYear, Case, CaseAction, Category, Open311Client, SlaPolicy, UnitProfile


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "requires_sign_off", "open311", "is_active", "order")
    list_editable = ("requires_sign_off", "open311", "is_active", "order")


class SlaPolicyForm(forms.ModelForm):
    class Meta:
        model = SlaPolicy
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        from qingting.core.cases.sla import policies_from_list

        try:
            policies_from_list([{**SlaPolicy(**{k: v for k, v in data.items() if k != "id"}).as_dict()}])
        except (KeyError, TypeError, ValueError) as exc:
            raise forms.ValidationError(f"not a valid policy: {exc}") from exc
        return data


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    form = SlaPolicyForm
    list_display = ("order", "name", "label", "categories", "priorities", "channels", "is_active")
    list_display_links = ("name",)
    ordering = ("order", "pk")


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = "__all__"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        try:
            YearSchedule(
                int(data.get("year") or 0),
                frozenset(date.fromisoformat(str(d)) for d in data.get("holidays") or []),
                frozenset(date.fromisoformat(str(d)) for d in data.get("workdays") or []),
            )
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError(str(exc)) from exc
        return data


@admin.register(CalendarYear)
class CalendarYearAdmin(admin.ModelAdmin):
    form = CalendarYearForm
    list_display = ("year", "source", "updated_at")


@admin.register(UnitProfile)
class UnitProfileAdmin(admin.ModelAdmin):
    list_display = ("unit", "abbreviation", "email")


@admin.register(Open311Client)
class Open311ClientAdmin(admin.ModelAdmin):
    """Create clients with ``services.open311_client_create`` (the key is shown once); here: (de)activate."""

    list_display = ("name", "unit", "prefix", "is_active", "created_at", "last_used_at")
    fields = ("name", "unit", "prefix", "is_active", "created_at", "last_used_at")
    readonly_fields = ("name", "unit", "prefix", "created_at", "last_used_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ("number", "summary", "unit", "status", "next_due", "received_at")
    list_filter = ("status", "channel", "category")
    search_fields = ("number", "summary")
    exclude = ("clock",)


@admin.register(CaseAction)
class CaseActionAdmin(ReadOnly):
    list_display = ("at", "case", "version", "actor_label", "action", "old_state", "new_state")
    list_filter = ("action",)
