from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "project.catalog"
    label = "catalog"
    verbose_name = _("Catalog")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from project.catalog import notices
        from uploads.signals import upload_reviewed

        upload_reviewed.connect(notices.tell_seller, dispatch_uid="catalog.tell_seller")
