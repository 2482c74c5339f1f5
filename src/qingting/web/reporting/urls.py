from django.urls import URLPattern, URLResolver, path

from qingting.web.reporting import views

app_name = "reporting"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.report_list, name="list"),
    path("generate/", views.report_generate, name="generate"),
    path("<int:pk>/", views.report_view, name="view"),
    path("<int:pk>/<str:fmt>/", views.report_download, name="download"),
    path("templates/", views.template_list, name="templates"),
    path("templates/new/", views.template_edit, name="template_new"),
    path("templates/preview/", views.template_preview, name="template_preview"),
    path("templates/<int:pk>/", views.template_edit, name="template"),
    path("schedules/", views.schedule_list, name="schedules"),
]
