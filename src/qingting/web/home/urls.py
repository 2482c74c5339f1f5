from django.urls import URLPattern, path

from qingting.web.home import views

app_name = "home"
urlpatterns: list[URLPattern] = [path("", views.home, name="index")]
