from django.urls import URLPattern, URLResolver, path

from qingting.web.cases import views

app_name = "cases"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.queue_mine, name="queue"),
    path("unit/", views.queue_unit, name="unit"),
    path("overdue/", views.queue_overdue, name="overdue"),
    path("all/", views.queue_all, name="all"),
    path("new/", views.case_new, name="new"),
    path("metrics/", views.metrics, name="metrics"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/actions/<slug:action>/", views.case_action, name="act"),
    path("<int:pk>/replies/", views.case_reply, name="reply"),
    path("<int:pk>/attachments/", views.attachment_upload, name="upload"),
    path("<int:pk>/attachments/<int:attachment_id>/", views.attachment_download, name="attachment"),
]
