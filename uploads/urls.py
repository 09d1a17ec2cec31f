from django.urls import path

from uploads import views
from uploads.catalogue import UploaderCatalog

app_name = "uploads"

urlpatterns = [
    path("api/uploads/", views.upload_list, name="list"),
    path("api/uploads/<uuid:upload_id>/", views.upload_detail, name="detail"),
    path("api/uploads/<uuid:upload_id>/complete/", views.upload_complete, name="complete"),
    # An upload in parts: GET the parts S3 holds, POST their SHA-256s for PUT URLs.
    path("api/uploads/<uuid:upload_id>/parts/", views.upload_parts, name="parts"),
    # A new POST policy for a pending upload sent in one piece.
    path("api/uploads/<uuid:upload_id>/renew/", views.upload_renew, name="renew"),
    # Links to an image (or one of its variants) that outlive a signed URL: a redirect to a fresh one.
    path("view/<uuid:upload_id>/", views.view, name="view"),
    path("view/<uuid:upload_id>/<slug:variant>/", views.view, name="view_variant"),
    # The uploader's texts in the active language (the app's djangojs catalogue), for uploader.js only.
    path("jsi18n/", UploaderCatalog.as_view(), name="jsi18n"),
    # Anything else under the API answers a JSON 404, not the project's HTML page.
    path("api/", views.not_found),
    path("api/<path:path>", views.not_found, name="not_found"),
]
