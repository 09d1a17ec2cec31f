"""A seller's products: list, create, edit, view. Images come in through the ``images`` field."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext

from project.catalog.forms import ProductForm, SellerProfileForm
from project.catalog.models import Product, SellerProfile


@login_required
def product_list(request):
    products = Product.objects.filter(seller=request.user).prefetch_related("images")
    return render(request, "catalog/product_list.html", {"products": products})


@login_required
def product_create(request):
    return _edit(request, Product(seller=request.user))


@login_required
def product_edit(request, pk):
    return _edit(request, get_object_or_404(Product, pk=pk, seller=request.user))


def _edit(request, product):
    form = ProductForm(request.POST or None, instance=product)
    # Checked and saved in one transaction: the chosen uploads stay locked from the check to the
    # save, so a double-clicked Save or a simultaneous DELETE waits and then gets a clear answer.
    with transaction.atomic():
        if request.method == "POST" and form.is_valid():
            product = form.save()
            messages.success(request, gettext("Saved “%(title)s”.") % {"title": product.title})
            return redirect(product)
    return render(request, "catalog/product_form.html", {"form": form, "product": product})


@login_required
def product_detail(request, pk):
    product = get_object_or_404(Product.objects.prefetch_related("images"), pk=pk)
    return render(request, "catalog/product_detail.html", {"product": product})


@login_required
def seller_profile(request):
    profile, _created = SellerProfile.objects.get_or_create(user=request.user)
    form = SellerProfileForm(request.POST or None, instance=profile)
    with transaction.atomic():
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, gettext("Profile saved."))
            return redirect("catalog:profile")
    return render(request, "catalog/profile_form.html", {"form": form, "profile": profile})
