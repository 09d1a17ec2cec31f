from django.urls import include, path

urlpatterns = [path("somewhere/else/", include("uploads.urls"))]
