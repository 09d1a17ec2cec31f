from django.contrib import admin
from django.urls import include, path

from project import views

urlpatterns = [
    path("", views.home, name="home"),
    path("library/delete/", views.delete_image, name="delete_image"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("products/", include("project.catalog.urls")),
    path("uploads/", include("uploads.urls")),
]
