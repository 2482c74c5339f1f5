# mypy: disable-error-code="type-arg"
# (admin classes are generic only in django-stubs; subscripting them fails at run time)
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from qingting.web.accounts.forms import ThrottledAuthenticationForm
from qingting.web.accounts.models import ApiToken, Membership, Unit, User

# The admin signs in through the same throttled form as the pages.
admin.site.login_form = ThrottledAuthenticationForm


@admin.register(User)
class QingtingUserAdmin(UserAdmin):
    fieldsets = (*(UserAdmin.fieldsets or ()), ("Qingting", {"fields": ("display_name",)}))


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "kind", "parent")
    search_fields = ("name", "code")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "unit", "role")
    list_filter = ("role",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("key_hash", "prefix")
