"""The shop's pages show a product's images and a seller's avatar by their variants, and only to
whom may see them: others never see a rejected image, nor a product's image before approval."""

import re

import pytest
from django.urls import reverse

from project.catalog.models import Product, SellerProfile
from tests.catalog import shop
from uploads import services
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(settings, demo_profiles):
    settings.UPLOADS = shop.UPLOADS


@pytest.fixture
def make_image(make_upload):
    return shop.image_maker(make_upload)


@pytest.fixture
def staff(make_user):
    return make_user(is_staff=True)


@pytest.fixture
def product(seller, staff, make_image):
    """A product with an approved image, one awaiting review and a rejected one, in that order."""
    approved, awaiting, rejected = (make_image(seller, profile="product_image") for _ in range(3))
    product = Product.objects.create(seller=seller, title="Red shoe", price="10")
    product.images.set([approved, awaiting, rejected])
    services.decide(approved.pk, staff, Upload.Review.APPROVED)
    services.decide(rejected.pk, staff, Upload.Review.REJECTED, reason="rights")
    return product


def page_of(client, user, url):
    client.force_login(user)
    reply = client.get(url)
    assert reply.status_code == 200
    return reply.content.decode()


def shown_images(page):
    """The upload shown by each image of the product's list, by the variant key in its URL."""
    listed = page.split('<ul class="product-images"')[1].split("</ul>")[0]
    return re.findall(r"<li>(.*?)</li>", listed, re.DOTALL)


class TestProductPage:
    def test_another_seller_sees_only_the_approved_image(self, client, make_user, product):
        approved = product.images.all()[0]

        page = page_of(client, make_user(), product.get_absolute_url())

        (image,) = shown_images(page)
        assert approved.variant("card").key in image
        assert "Awaiting review" not in page and "Rejected" not in page

    def test_the_owner_sees_every_image_and_which_others_do_not_see(self, client, seller, product):
        page = page_of(client, seller, product.get_absolute_url())

        approved, awaiting, rejected = shown_images(page)
        assert '<p class="mark">' not in approved
        assert '<p class="mark">Awaiting review</p>' in awaiting
        assert '<p class="mark">Rejected: The image seems to belong to someone else.</p>' in rejected

    def test_each_image_shows_its_card_variant_and_links_to_its_zoom_variant(self, client, seller, product):
        first = product.images.all()[0]

        (image, *_others) = shown_images(page_of(client, seller, product.get_absolute_url()))

        card, zoom = first.variant("card"), first.variant("zoom")
        link = re.search(
            r'<a href="([^"]+)"><img src="([^"]+)" alt="Red shoe, image 1" width="(\d+)" height="(\d+)"',
            image,
        )
        # The link outlives a signed URL: the app's redirect to the zoom variant, signed when followed.
        assert zoom is not None and link[1] == reverse("uploads:view_variant", args=[first.pk, "zoom"])
        assert card.key in link[2]
        assert (int(link[3]), int(link[4])) == (card.width, card.height)

    def test_an_image_whose_variants_are_not_made_yet_is_a_placeholder(self, client, seller, make_image):
        product = Product.objects.create(seller=seller, title="Cap", price="5")
        product.images.set([make_image(seller, profile="product_image", made=False)])

        (image,) = shown_images(page_of(client, seller, product.get_absolute_url()))

        assert (
            '<span class="placeholder" role="img" aria-label="Cap, image 1">Preview on its way</span>'
            in image
        )

    def test_no_address_on_the_page_is_an_originals(self, client, seller, product):
        page = page_of(client, seller, product.get_absolute_url())

        keys = [image.key for image in product.images.all()]
        assert len(shop.images(page)) == 3
        assert not [url for url in shop.sources(page) for key in keys if key in url]

    def test_the_queries_do_not_grow_with_the_images(self, client, seller, staff, make_image, product):
        client.force_login(seller)
        few = shop.queries(client, product.get_absolute_url())

        more = [make_image(seller, profile="product_image") for _ in range(5)]
        product.images.add(*more)
        services.decide(more[0].pk, staff, Upload.Review.REJECTED, reason="quality")
        services.decide(more[1].pk, staff, Upload.Review.APPROVED)

        assert shop.queries(client, product.get_absolute_url()) == few


class TestProductList:
    def test_each_product_shows_its_first_image_by_its_thumb_variant(self, client, seller, product):
        page = page_of(client, seller, reverse("catalog:list"))

        (thumbnail,) = shop.images(page)
        assert product.images.all()[0].variant("thumb").key in thumbnail

    def test_a_product_whose_thumbnail_is_not_made_shows_no_image(self, client, seller, make_image):
        product = Product.objects.create(seller=seller, title="Cap", price="5")
        product.images.set([make_image(seller, profile="product_image", made=False)])

        page = page_of(client, seller, reverse("catalog:list"))

        assert shop.images(page) == []
        assert '<span class="no-image">No image</span>' in page

    def test_the_queries_do_not_grow_with_the_products(self, client, seller, make_image):
        def add_products(count):
            for number in range(count):
                product = Product.objects.create(seller=seller, title=f"Product {number}", price="1")
                product.images.set([make_image(seller, profile="product_image") for _ in range(2)])

        client.force_login(seller)
        add_products(2)
        few = shop.queries(client, reverse("catalog:list"))
        add_products(8)

        assert shop.queries(client, reverse("catalog:list")) == few


class TestAvatar:
    def test_the_shop_page_shows_the_avatars_variant(self, client, seller, make_image):
        avatar = make_image(seller, profile="avatar")
        SellerProfile.objects.create(user=seller, avatar=avatar)

        page = page_of(client, seller, reverse("catalog:profile"))

        shown = re.search(r'<figure class="avatar">\s*<img src="([^"]+)" alt="Your avatar"', page)
        assert avatar.variant("large").key in shown[1]
        assert avatar.key not in page

    def test_a_rejected_avatar_is_marked_for_its_owner(self, client, seller, staff, make_image):
        avatar = make_image(seller, profile="avatar")
        SellerProfile.objects.create(user=seller, avatar=avatar)
        services.decide(avatar.pk, staff, Upload.Review.REJECTED, reason="content")

        page = page_of(client, seller, reverse("catalog:profile"))

        assert (
            '<figcaption class="mark">Rejected: The image does not show what it is meant to show.</figcaption>'
            in page
        )
