from django.urls import URLPattern, URLResolver, path

from qingting.web.sentiment import views

app_name = "sentiment"
urlpatterns: list[URLPattern | URLResolver] = [
    path("items/<int:pk>/correct/", views.correct, name="correct"),
    path("models/", views.models_page, name="models"),
    path("models/<int:org_id>/retrain/", views.retrain, name="retrain"),
    path("models/<int:org_id>/adapt/", views.adapt, name="adapt"),
    path("models/<int:org_id>/versions/<int:number>/activate/", views.activate, name="activate"),
    path("models/<int:org_id>/default/", views.use_default, name="use_default"),
]
