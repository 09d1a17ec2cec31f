from django import forms

from project.catalog.models import Product, SellerProfile


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["title", "price", "images"]


class SellerProfileForm(forms.ModelForm):
    class Meta:
        model = SellerProfile
        fields = ["shop_name", "avatar"]
