"""A seller's products: what the demo attaches uploads to, exactly as another project would."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from uploads.fields import UploadField, UploadsField


class Product(models.Model):
    seller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="products", verbose_name=_("seller")
    )
    title = models.CharField(_("title"), max_length=120)
    price = models.DecimalField(
        _("price"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    images = UploadsField(
        "product_image",
        max_count=8,
        first_badge=_("Cover"),
        verbose_name=_("images"),
        help_text=_("The first image is the cover."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("product")
        verbose_name_plural = _("products")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:detail", args=[self.pk])


class Variant(models.Model):
    """A colour or size of a product, with its own photo: an inline in the admin."""

    product = models.ForeignKey(
        Product, on_delete=models.CASCADE, related_name="variants", verbose_name=_("product")
    )
    name = models.CharField(_("name"), max_length=60)
    image = UploadField("product_image", blank=True, verbose_name=_("image"))

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self):
        return self.name


class SellerProfile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="seller_profile",
        verbose_name=_("user"),
    )
    shop_name = models.CharField(_("shop name"), max_length=80, blank=True)
    avatar = UploadField("avatar", blank=True, verbose_name=_("avatar"))

    class Meta:
        verbose_name = _("seller profile")
        verbose_name_plural = _("seller profiles")

    def __str__(self):
        return self.shop_name or str(self.user)


class Notice(models.Model):
    """Something the shop tells a seller, shown in the page header until they have read it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices", verbose_name=_("user")
    )
    text = models.TextField(_("text"))
    link = models.CharField(_("link"), max_length=300, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    read = models.BooleanField(_("read"), default=False)

    class Meta:
        ordering = ["-created", "-pk"]
        indexes = [models.Index(fields=["user", "read"], name="catalog_notice_unread")]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self):
        return self.text
