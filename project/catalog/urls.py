from django.urls import path

from project.catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.product_list, name="list"),
    path("new/", views.product_create, name="create"),
    path("<int:pk>/", views.product_detail, name="detail"),
    path("<int:pk>/edit/", views.product_edit, name="edit"),
    path("profile/", views.seller_profile, name="profile"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/read/", views.notices_read, name="notices_read"),
]
