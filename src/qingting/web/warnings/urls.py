from django.urls import URLPattern, URLResolver, path

from qingting.web.warnings import views

app_name = "warnings"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.warning_list, name="list"),
    path("<int:pk>/", views.warning_detail, name="detail"),
    path("<int:pk>/act/", views.warning_act, name="act"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("settings/", views.unit_settings, name="settings"),
    path("schemes/new/", views.scheme_new, name="scheme_new"),
    path("schemes/<int:pk>/", views.scheme_edit, name="scheme"),
    path("schemes/<int:pk>/preview/", views.scheme_preview, name="preview"),
    path("schemes/<int:pk>/delete/", views.scheme_delete, name="scheme_delete"),
]
