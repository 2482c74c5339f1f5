"""URL map: pages, the JSON API under /api/, the admin, language switching."""

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from qingting.web.api import api


def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask every site for /favicon.ico: our icon, not a 404 on every page (issue 15)."""
    return HttpResponsePermanentRedirect(static("qingting/favicon.svg"))


urlpatterns = [
    path("", include("qingting.web.monitoring.urls")),
    path("accounts/", include("qingting.web.accounts.urls")),
    path("home/", include("qingting.web.home.urls")),
    path("exports/", include("qingting.web.exports.urls")),
    path("sources/", include("qingting.web.collect.urls")),
    path("warnings/", include("qingting.web.warnings.urls")),
    path("cases/", include("qingting.web.cases.urls")),
    path("open311/v2/", include("qingting.web.cases.open311_urls")),
    path("reports/", include("qingting.web.reporting.urls")),
    path("bulletins/", include("qingting.web.bulletins.urls")),
    path("channels/", include("qingting.web.channels.urls")),
    path("releases/", include("qingting.web.releases.urls")),
    path("ledger/", include("qingting.web.ledger.urls")),
    path("sentiment/", include("qingting.web.sentiment.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("favicon.ico", favicon),
    path("api/", api.urls),
    path("admin/", admin.site.urls),
]
