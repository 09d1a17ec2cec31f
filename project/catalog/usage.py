"""Where a seller's images are used, in words and as links: the library lists it, a refused
deletion says it, a notice links to it."""

from dataclasses import dataclass

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext

from project.catalog.models import Product, SellerProfile, Variant
from uploads import fields


@dataclass(frozen=True)
class Use:
    label: str  # "On product “Red shoe”", "Your avatar"
    url: str  # where the seller changes it ("" when the demo has no page for it)
    page: str  # where others see it
    refusal: str  # why the image cannot be deleted while it is used there


def uses(rows):
    """``{upload id: [Use, …]}`` for the uploads ``rows``: one query per upload field, and one for
    the products of colour variants, however many rows."""
    found = fields.where_used(rows)
    variants = [holder for pairs in found.values() for holder, _field in pairs if isinstance(holder, Variant)]
    prefetch_related_objects(variants, "product")
    names = {row.pk: row.filename for row in rows}
    return {pk: [_use(holder, names[pk]) for holder, _field in pairs] for pk, pairs in found.items()}


def _use(holder, name):
    if isinstance(holder, Product):
        return Use(
            label=gettext("On product “%(title)s”") % {"title": holder.title},
            url=reverse("catalog:edit", args=[holder.pk]),
            page=holder.get_absolute_url(),
            refusal=gettext("“%(name)s” is used on product “%(title)s”; remove it there first.")
            % {"name": name, "title": holder.title},
        )
    if isinstance(holder, Variant):
        # Colour variants are edited in the admin only: the seller's link is the product's page.
        product = holder.product
        words = {"name": name, "title": product.title, "variant": holder.name}
        return Use(
            label=gettext("On product “%(title)s”, variant “%(variant)s”") % words,
            url=product.get_absolute_url(),
            page=product.get_absolute_url(),
            refusal=gettext(
                "“%(name)s” is used on product “%(title)s”, variant “%(variant)s”; remove it there first."
            )
            % words,
        )
    if isinstance(holder, SellerProfile):
        return Use(
            label=gettext("Your avatar"),
            url=reverse("catalog:profile"),
            page=reverse("catalog:profile"),
            refusal=gettext("“%(name)s” is your avatar; remove it from your shop first.") % {"name": name},
        )
    words = {"name": name, "kind": holder._meta.verbose_name, "object": holder}
    return Use(
        label=gettext("On %(kind)s “%(object)s”") % words,
        url="",
        page="",
        refusal=gettext("“%(name)s” is used on %(kind)s “%(object)s”; remove it there first.") % words,
    )
