from django.urls import URLPattern, URLResolver, path

from qingting.web.ledger import views

app_name = "ledger"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.task_list, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("duty/", views.duty, name="duty"),
    path("registers/", views.registers, name="registers"),
    path("assessment/", views.assessment_home, name="assessment"),
    path("assessment/schemes/new/", views.scheme_edit, name="scheme_new"),
    path("assessment/schemes/<int:scheme_id>/", views.scheme_edit, name="scheme_edit"),
    path("assessment/schemes/<int:scheme_id>/entry/", views.entry_set, name="entry"),
    path("assessment/<int:scheme_id>/<str:period>/", views.assessment_view, name="assessment_view"),
    path(
        "assessment/<int:scheme_id>/<str:period>/<int:unit_id>/<str:metric>/",
        views.assessment_trace,
        name="trace",
    ),
]
