from django.urls import URLPattern, URLResolver

app_name = "warnings"
urlpatterns: list[URLPattern | URLResolver] = []
