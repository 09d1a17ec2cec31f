from django import forms
from django.utils.translation import gettext_lazy as _

from project.catalog.models import Product, SellerProfile


class ProductForm(forms.ModelForm):
    # A text box that reads "24,90" in German and refuses it in English, rather than a number input,
    # which silently drops a comma it does not expect (24,90 became 2490).
    price = forms.DecimalField(
        label=_("Price"),
        min_value=0,
        max_digits=10,
        decimal_places=2,
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )

    class Meta:
        model = Product
        fields = ["title", "price", "images"]


class SellerProfileForm(forms.ModelForm):
    class Meta:
        model = SellerProfile
        fields = ["shop_name", "avatar"]
