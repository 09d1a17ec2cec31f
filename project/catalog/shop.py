"""What the shop's pages show of products' images and a seller's avatar, to one viewer: only what
the viewer may see, always by a variant (a placeholder until it is made), never the original."""

from dataclasses import dataclass

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext

from project.catalog.models import Product
from uploads import publishing, services
from uploads.models import Upload


@dataclass(frozen=True)
class Picture:
    upload: Upload
    url: str | None  # the variant the page shows; None until it is made
    width: int | None
    height: int | None
    zoom: str | None  # a larger variant, for a link
    mark: str  # "" when published; else what its owner (or staff) is told: "Awaiting review", …


def products():
    """Products with their images and the images' variants: the same queries for any number."""
    return Product.objects.prefetch_related(Prefetch("images", queryset=Upload.objects.with_variants()))


def pictures(uploads, viewer, variant, *, zoom=None):
    """The ``uploads`` that ``viewer`` may see, each by its ``variant`` (and ``zoom``), marked
    when others do not see it."""
    visible = [row for row in uploads if row is not None and publishing.may_view(row, viewer)]
    rejections = services.latest_decisions(visible, rejected_only=True)
    return [_picture(row, viewer, variant, zoom, rejections.get(row.pk)) for row in visible]


def _picture(row, viewer, variant, zoom, rejection):
    made = row.variant(variant)
    return Picture(
        upload=row,
        url=services.visible_url(row, viewer, variant),
        width=made.width if made else None,
        height=made.height if made else None,
        # A link a shopper may follow minutes later: the app's redirect to a fresh signed URL.
        zoom=reverse("uploads:view_variant", args=[row.pk, zoom]) if zoom and row.variant(zoom) else None,
        mark=review_mark(row, rejection),
    )


def cover(product, viewer):
    """The thumbnail URL of the first of the product's images the viewer may see, or None."""
    first = next((row for row in product.images.all() if publishing.may_view(row, viewer)), None)
    return services.thumbnail_url(first, viewer) if first else None


def review_mark(row, rejection=None):
    """What an unpublished image's owner is told of it ("" for a published one); ``rejection`` is
    its latest decision, when it was rejected."""
    state = publishing.state(row)
    if state == publishing.REJECTED:
        reason = services.reason_text(rejection) if rejection else ""
        return (
            gettext("Rejected: %(reason)s") % {"reason": reason}
            if reason
            else gettext("Rejected by a reviewer")
        )
    if state == publishing.AWAITING_REVIEW:
        return gettext("Awaiting review")
    return ""
