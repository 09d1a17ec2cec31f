from django.contrib import admin

from project.catalog.models import Notice, Product, SellerProfile, Variant


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


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["text", "user", "created", "read"]
    list_filter = ["read"]
    list_select_related = ["user"]
    search_fields = ["text", "user__username"]
