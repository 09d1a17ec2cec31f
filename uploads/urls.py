from django.urls import path

from uploads import views
from uploads.catalogue import UploaderCatalog

app_name = "uploads"

urlpatterns = [
    path("api/uploads/", views.upload_list, name="list"),
    path("api/uploads/<uuid:upload_id>/", views.upload_detail, name="detail"),
    path("api/uploads/<uuid:upload_id>/complete/", views.upload_complete, name="complete"),
    # The uploader's texts in the active language (the app's djangojs catalogue), for uploader.js only.
    path("jsi18n/", UploaderCatalog.as_view(), name="jsi18n"),
    # Anything else under the API answers a JSON 404, not the project's HTML page.
    path("api/", views.not_found),
    path("api/<path:path>", views.not_found, name="not_found"),
]
