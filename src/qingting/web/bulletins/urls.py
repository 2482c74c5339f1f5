from django.urls import URLPattern, URLResolver, path

from qingting.web.bulletins import views

app_name = "bulletins"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("<int:pk>/", views.bulletin_detail, name="detail"),
    path("<int:pk>/edit/", views.bulletin_edit, name="edit"),
    path("<int:pk>/preview/", views.bulletin_preview, name="preview"),
    path("<int:pk>/events/", views.bulletin_events, name="events"),
    path("<int:pk>/events/choices/", views.event_picker, name="event_picker"),
    path("<int:pk>/submit/", views.bulletin_submit, name="submit"),
    path("<int:pk>/sign/", views.bulletin_sign, name="sign"),
    path("<int:pk>/return/", views.bulletin_return, name="return"),
    path("<int:pk>/issue/", views.bulletin_issue, name="issue"),
    path("<int:pk>/upward/", views.bulletin_upward, name="upward"),
    path("<int:pk>/file.<str:fmt>", views.bulletin_download, name="download"),
    path("inbox/", views.inbox, name="inbox"),
    path("inbox/<int:pk>/decide/", views.submission_decide, name="decide"),
    path("reports/upward/", views.report_upward, name="report_upward"),
    path("counts/", views.counts, name="counts"),
]
