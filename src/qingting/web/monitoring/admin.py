# mypy: disable-error-code="type-arg"
# (admin classes are generic only in django-stubs; subscripting them fails at run time)
from django.contrib import admin

from qingting.web.monitoring.models import Event, Item, Scheme, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ("name", "kind", "unit", "is_active", "item_count", "last_success_at")
    list_filter = ("kind", "is_active")


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    list_display = ("name", "unit", "is_active")
    filter_horizontal = ("sources",)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("title", "organisation", "item_count", "heat", "trend", "last_seen")
    list_filter = ("trend",)


@admin.register(Item)
class ItemAdmin(admin.ModelAdmin):
    list_display = ("external_id", "source", "published_at", "event")
    raw_id_fields = ("event", "duplicate_of", "source")
    exclude = ("author_pseudonym",)
