from django.urls import URLPattern, path

from qingting.web.exports import views

app_name = "exports"
urlpatterns: list[URLPattern] = [
    path("search/", views.search_export, name="search"),
    path("events/<int:pk>/", views.event_export, name="event"),
]
