"""URL map: pages, the JSON API under /api/, the admin, language switching."""

from django.contrib import admin
from django.urls import include, path

from qingting.web.api import api

urlpatterns = [
    path("", include("qingting.web.monitoring.urls")),
    path("accounts/", include("qingting.web.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
