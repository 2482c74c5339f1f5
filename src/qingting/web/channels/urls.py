from django.urls import URLPattern, URLResolver, path

from qingting.web.channels import views

app_name = "channels"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.channel_list, name="list"),
    path("new/", views.channel_new, name="new"),
    path("report/", views.report, name="report"),
    path("<int:pk>/", views.channel_detail, name="detail"),
    path("<int:pk>/edit/", views.channel_edit, name="edit"),
    path("<int:pk>/state/", views.channel_state, name="state"),
    path("<int:pk>/inspect/", views.channel_inspect, name="inspect"),
    path("<int:pk>/inspections/<int:inspection_id>/", views.inspection_detail, name="inspection"),
]
