"""A seller's products: list, create, edit, view. Images come in through the ``images`` field."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from project.catalog import notices, shop
from project.catalog.forms import ProductForm, SellerProfileForm
from project.catalog.models import Product, SellerProfile

NOTICES_PER_PAGE = 20


@login_required
def product_list(request):
    products = shop.products().filter(seller=request.user)
    covers = [(product, shop.cover(product, request.user)) for product in products]
    return render(request, "catalog/product_list.html", {"products": covers})


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
    product = get_object_or_404(shop.products(), pk=pk)
    pictures = shop.pictures(product.images.all(), request.user, "card", zoom="zoom")
    return render(request, "catalog/product_detail.html", {"product": product, "pictures": pictures})


@login_required
def seller_profile(request):
    profile, _created = SellerProfile.objects.get_or_create(user=request.user)
    form = SellerProfileForm(request.POST or None, instance=profile)
    with transaction.atomic():
        if request.method == "POST" and form.is_valid():
            form.save()
            messages.success(request, gettext("Profile saved."))
            return redirect("catalog:profile")
    avatar = shop.pictures([profile.avatar], request.user, "large")
    return render(request, "catalog/profile_form.html", {"form": form, "profile": profile, "avatar": avatar})


@login_required
def notice_list(request):
    shown = Paginator(request.user.notices.all(), NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    numbers = shown.paginator.get_elided_page_range(shown.number)
    return render(request, "catalog/notice_list.html", {"page": shown, "numbers": numbers})


@login_required
@require_POST
def notices_read(request):
    notices.mark_read(request.user)
    return redirect("catalog:notices")
