"""URLs of the Open311 GeoReport v2 endpoint, mounted at ``/open311/v2/``."""

from django.urls import URLPattern, re_path

from qingting.web.cases import open311

app_name = "open311"
_FMT = r"\.(?P<fmt>[A-Za-z0-9]+)$"
urlpatterns: list[URLPattern] = [
    re_path(r"^discovery" + _FMT, open311.discovery, name="discovery"),
    re_path(r"^services" + _FMT, open311.service_list, name="services"),
    re_path(r"^services/(?P<code>[^/]+)" + _FMT, open311.service_definition, name="service"),
    re_path(r"^requests" + _FMT, open311.requests, name="requests"),
    re_path(r"^requests/(?P<request_id>[^/]+)" + _FMT, open311.request_detail, name="request"),
]
