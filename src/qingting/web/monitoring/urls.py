from django.urls import path

from qingting.web.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("events/", views.event_board, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/merge/", views.event_merge, name="event_merge"),
    path("events/<int:pk>/split/", views.event_split, name="event_split"),
    path("search/", views.search, name="search"),
]
