from django.urls import path
from django.views.i18n import JavaScriptCatalog

from uploads import views

app_name = "uploads"

urlpatterns = [
    path("api/uploads/", views.upload_list, name="list"),
    path("api/uploads/<uuid:upload_id>/", views.upload_detail, name="detail"),
    path("api/uploads/<uuid:upload_id>/complete/", views.upload_complete, name="complete"),
    # The uploader's texts in the active language (Django's gettext catalogue for JavaScript).
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["uploads"]), name="jsi18n"),
    # Anything else under the API answers a JSON 404, not the project's HTML page.
    path("api/", views.not_found),
    path("api/<path:path>", views.not_found, name="not_found"),
]
