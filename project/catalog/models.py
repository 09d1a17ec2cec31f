"""A seller's products: what the demo attaches uploads to, exactly as another project would."""

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse

from uploads.fields import UploadField, UploadsField


class Product(models.Model):
    seller = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="products")
    title = models.CharField(max_length=120)
    price = models.DecimalField(max_digits=10, decimal_places=2, validators=[MinValueValidator(0)])
    images = UploadsField("product_image", max_count=8, help_text="The first image is the cover.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("catalog:detail", args=[self.pk])


class Variant(models.Model):
    """A colour or size of a product, with its own photo: an inline in the admin."""

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="variants")
    name = models.CharField(max_length=60)
    image = UploadField("product_image", blank=True)

    def __str__(self):
        return self.name


class SellerProfile(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="seller_profile")
    shop_name = models.CharField(max_length=80, blank=True)
    avatar = UploadField("avatar", blank=True)

    def __str__(self):
        return self.shop_name or str(self.user)
