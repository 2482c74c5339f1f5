"""Configuration in the Django admin: review steps per unit, standard wording, sensitive days.

Releases themselves change only through the services (the pages and the API), never here.
"""

from django.contrib import admin

from qingting.web.releases.models import ReviewStep, SensitiveDay, WordingEntry


@admin.register(ReviewStep)
class ReviewStepAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("unit", "position", "name", "role", "sensitive_only")
    list_filter = ("unit",)


@admin.register(WordingEntry)
class WordingEntryAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("unit", "wrong", "right", "serious", "note")
    search_fields = ("wrong", "right")


@admin.register(SensitiveDay)
class SensitiveDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("unit", "month", "day", "year", "name")
