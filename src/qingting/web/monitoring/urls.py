from django.urls import path

from qingting.web.monitoring import views

app_name = "monitoring"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("events/", views.event_board, name="events"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("search/", views.search, name="search"),
    path("sources/", views.source_list, name="sources"),
]
