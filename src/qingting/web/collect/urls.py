from django.urls import URLPattern, URLResolver, path

from qingting.web.collect import views

app_name = "collect"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.source_list, name="list"),
    path("add/", views.source_add, name="add"),
    path("test/", views.source_test, name="test"),
    path("<int:pk>/", views.source_edit, name="edit"),
    path("<int:pk>/run/", views.source_run, name="run"),
    path("<int:pk>/toggle/", views.source_toggle, name="toggle"),
    path("<int:pk>/import/", views.source_import, name="import"),
]
