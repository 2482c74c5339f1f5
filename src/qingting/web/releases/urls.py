from django.urls import URLPattern, URLResolver, path

from qingting.web.releases import views

app_name = "releases"
urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.release_list, name="list"),
    path("new/", views.release_new, name="new"),
    path("accuracy/", views.accuracy, name="accuracy"),
    path("<int:pk>/", views.release_detail, name="detail"),
    path("<int:pk>/edit/", views.release_edit, name="edit"),
    path("<int:pk>/submit/", views.release_submit, name="submit"),
    path("<int:pk>/approve/", views.release_approve, name="approve"),
    path("<int:pk>/return/", views.release_return, name="return"),
    path("<int:pk>/publish/", views.release_publish, name="publish"),
    path("<int:pk>/correct/", views.release_correct, name="correct"),
    path("<int:pk>/findings/<int:finding_id>/", views.finding_mark, name="finding"),
]
