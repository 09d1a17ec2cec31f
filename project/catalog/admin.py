from django.contrib import admin

from project.catalog.models import Product, SellerProfile, Variant


class VariantInline(admin.StackedInline):
    model = Variant
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "price", "created_at"]
    search_fields = ["title", "seller__username"]
    inlines = [VariantInline]


@admin.register(SellerProfile)
class SellerProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "shop_name"]
