"""The seller's image library (the home page): their images a page at a time, by state, each by
its thumbnail variant, saying what a reviewer decided and where it is used; and deleting one."""

import re

import pytest
from django.urls import reverse

from project.catalog.models import Product, SellerProfile
from project.catalog.models import Variant as Colour
from tests.catalog import shop
from uploads import services
from uploads.models import Upload

pytestmark = pytest.mark.django_db

LIBRARY = reverse("home")


@pytest.fixture(autouse=True)
def demo_settings(settings, demo_profiles):
    settings.UPLOADS = shop.UPLOADS


@pytest.fixture
def make_image(make_upload):
    return shop.image_maker(make_upload)


@pytest.fixture
def browser(client, seller):
    client.force_login(seller)
    return client


@pytest.fixture
def staff(make_user):
    return make_user(is_staff=True)


def on_product(image, title="Red shoe"):
    product = Product.objects.create(seller=image.owner, title=title, price="10")
    product.images.set([image])
    return product


def listed(page):
    """The file names the library lists, in order."""
    return re.findall(r'<span class="name" id="image-[^"]+">([^<]+)</span>', page)


def get(browser, url=LIBRARY):
    reply = browser.get(url)
    assert reply.status_code == 200
    return reply.content.decode()


def delete(browser, image, next_url=LIBRARY):
    return browser.post(reverse("delete_image"), {"upload": str(image.pk), "next": next_url}, follow=True)


def messages(reply):
    return [str(message) for message in reply.context["messages"]]


class TestPaging:
    def test_thirty_images_make_a_page_of_24_and_one_of_6_newest_first(self, browser, seller, make_image):
        names = [
            make_image(seller, profile="default", filename=f"photo-{n:02}.jpg").filename for n in range(30)
        ]

        first, second = get(browser), get(browser, "/?page=2")

        assert listed(first) == names[::-1][:24]
        assert listed(second) == names[::-1][24:]
        assert '<a href="?page=2" rel="next">Next page</a>' in first
        assert '<a href="?page=1" rel="prev">Previous page</a>' in second

    def test_the_page_links_keep_the_filter(self, browser, seller, make_image):
        for _ in range(25):
            make_image(seller, profile="default")

        page = get(browser, "/?state=published")

        assert '<a href="?state=published&amp;page=2" rel="next">Next page</a>' in page

    def test_a_page_past_the_end_shows_the_last_one(self, browser, seller, make_image):
        image = make_image(seller, profile="default")

        assert listed(get(browser, "/?page=7")) == [image.filename]

    def test_the_uploader_stays_on_the_page(self, browser):
        assert "data-uploader" in get(browser)


class TestStates:
    @pytest.fixture
    def one_of_each(self, seller, staff, make_image):
        awaiting = make_image(seller, profile="product_image", filename="awaiting.jpg")
        on_product(awaiting)
        published = make_image(seller, profile="default", filename="published.jpg")
        rejected = make_image(seller, profile="product_image", filename="rejected.jpg")
        on_product(rejected)
        services.decide(
            rejected.pk, staff, Upload.Review.REJECTED, reason="text", note="A phone number on the box."
        )
        failed = make_image(
            seller,
            profile="default",
            filename="failed.png",
            status="failed",
            failure_reason="Not a PNG image.",
        )
        return {"awaiting_review": awaiting, "published": published, "rejected": rejected, "failed": failed}

    @pytest.mark.parametrize("state", ["awaiting_review", "published", "rejected", "failed"])
    def test_a_filter_shows_the_images_in_its_state_only(self, browser, one_of_each, state):
        assert listed(get(browser, f"/?state={state}")) == [one_of_each[state].filename]

    def test_all_is_every_state_and_an_unknown_filter_is_all(self, browser, one_of_each):
        every = ["failed.png", "rejected.jpg", "published.jpg", "awaiting.jpg"]

        assert listed(get(browser)) == every
        assert listed(get(browser, "/?state=deleted")) == every

    def test_each_image_says_its_state_and_a_rejection_its_reason(self, browser, one_of_each):
        page = get(browser)

        assert '<small class="state state--awaiting_review">Awaiting review</small>' in page
        assert '<small class="state state--published">Published</small>' in page
        assert (
            '<small class="state state--rejected">Rejected: The image carries contact details, prices or '
            "advertising. A phone number on the box.</small>"
        ) in page
        assert '<small class="state state--failed">Failed: Not a PNG image.</small>' in page

    def test_the_filter_marks_where_the_seller_is(self, browser, one_of_each):
        page = get(browser, "/?state=rejected")

        assert '<a href="?state=rejected" aria-current="page">Rejected</a>' in page
        assert '<a href="?state=failed">Failed</a>' in page


class TestWhatIsListed:
    def test_leftovers_of_forms_never_saved_are_not_there(self, browser, seller, make_image):
        on_product(make_image(seller, profile="product_image", filename="kept.jpg"))
        make_image(seller, profile="product_image", filename="dropped-into-a-form.jpg")
        make_image(seller, profile="avatar", filename="avatar-never-saved.jpg")
        make_image(seller, profile="default", filename="library.jpg")

        assert listed(get(browser)) == ["library.jpg", "kept.jpg"]

    def test_another_sellers_images_are_not_there(self, browser, seller, make_user, make_image):
        make_image(make_user(), profile="default", filename="theirs.jpg")
        make_image(seller, profile="default", filename="mine.jpg")

        assert listed(get(browser)) == ["mine.jpg"]

    def test_each_image_says_where_it_is_used(self, browser, seller, make_image):
        shoe = on_product(make_image(seller, profile="product_image"))
        boot = Product.objects.create(seller=seller, title="Boot", price="20")
        Colour.objects.create(product=boot, name="Red", image=make_image(seller, profile="product_image"))
        SellerProfile.objects.create(user=seller, avatar=make_image(seller, profile="avatar"))

        page = get(browser)

        assert f'<a href="/products/{shoe.pk}/edit/">On product “Red shoe”</a>' in page
        assert f'<a href="/products/{boot.pk}/">On product “Boot”, variant “Red”</a>' in page
        assert '<a href="/products/profile/">Your avatar</a>' in page

    def test_thumbnails_are_variants_or_placeholders_never_originals(self, browser, seller, make_image):
        made = make_image(seller, profile="default", filename="made.jpg")
        waiting = make_image(seller, profile="default", filename="waiting.jpg", made=False)

        page = get(browser)

        (thumbnail,) = shop.images(page)
        assert "/variants/" in thumbnail and "X-Amz-Signature=" in thumbnail
        assert made.variant("thumb").key in thumbnail
        assert (
            '<span class="placeholder" role="img" aria-label="waiting.jpg">Preview on its way</span>' in page
        )
        assert not [url for url in shop.sources(page) for row in (made, waiting) if row.key in url]


class TestDeleting:
    def test_an_image_a_product_holds_is_refused_with_where_it_is_and_kept(self, browser, seller, make_image):
        image = make_image(seller, profile="product_image", filename="shoe.jpg")
        on_product(image)

        reply = delete(browser, image)

        assert messages(reply) == ["“shoe.jpg” is used on product “Red shoe”; remove it there first."]
        assert '<li class="message message--error" role="alert">' in reply.content.decode()
        image.refresh_from_db()
        assert image.status == "uploaded"

    def test_the_avatar_is_refused_too(self, browser, seller, make_image):
        avatar = make_image(seller, profile="avatar", filename="me.jpg")
        SellerProfile.objects.create(user=seller, avatar=avatar)

        reply = delete(browser, avatar)

        assert messages(reply) == ["“me.jpg” is your avatar; remove it from your shop first."]
        avatar.refresh_from_db()
        assert avatar.status == "uploaded"

    def test_an_unused_image_goes_with_its_object(self, browser, seller, make_image, s3):
        image = make_image(seller, profile="default", filename="old.jpg")
        s3.put_object(Bucket="test-uploads", Key=image.key, Body=b"x")

        reply = delete(browser, image)

        assert messages(reply) == ["Deleted “old.jpg”."]
        assert listed(reply.content.decode()) == []
        image.refresh_from_db()
        assert image.status == "deleted"
        assert s3.list_objects_v2(Bucket="test-uploads", Prefix=image.key).get("KeyCount") == 0

    def test_the_seller_comes_back_to_the_page_and_filter_they_were_on(self, browser, seller, make_image, s3):
        image = make_image(seller, profile="default")

        reply = browser.post(
            reverse("delete_image"), {"upload": str(image.pk), "next": "/?state=published&page=2"}
        )

        assert reply.status_code == 302 and reply["Location"] == "/?state=published&page=2"

    def test_a_next_address_on_another_site_is_not_followed(self, browser, seller, make_image, s3):
        image = make_image(seller, profile="default")

        reply = browser.post(
            reverse("delete_image"), {"upload": str(image.pk), "next": "https://evil.example/"}
        )

        assert reply["Location"] == LIBRARY

    def test_another_sellers_image_is_not_deleted(self, browser, make_user, make_image):
        theirs = make_image(make_user(), profile="default")

        reply = delete(browser, theirs)

        assert messages(reply) == ["That image does not exist any more."]
        theirs.refresh_from_db()
        assert theirs.status == "uploaded"

    def test_an_id_that_is_no_upload_is_answered_the_same(self, browser):
        reply = browser.post(reverse("delete_image"), {"upload": "not-an-id"}, follow=True)

        assert messages(reply) == ["That image does not exist any more."]

    def test_deleting_takes_a_post(self, browser, seller, make_image):
        image = make_image(seller, profile="default")

        assert browser.get(reverse("delete_image"), {"upload": str(image.pk)}).status_code == 405

    def test_every_image_has_its_own_delete_form(self, browser, seller, make_image):
        image = make_image(seller, profile="default")

        page = get(browser)

        assert f'<input type="hidden" name="upload" value="{image.pk}">' in page
        assert (
            f'<button type="submit" aria-describedby="image-{image.pk}">Delete permanently</button>' in page
        )
        assert 'name="csrfmiddlewaretoken"' in page


class TestQueries:
    def stock(self, seller, staff, make_image, count):
        """``count`` images of every kind the library shows: a library image, a product's image
        awaiting review, a rejected one, a failed upload, a colour variant's image."""
        for number in range(count):
            kind = number % 5
            if kind == 0:
                make_image(seller, profile="default")
            elif kind in (1, 2):
                image = make_image(seller, profile="product_image")
                on_product(image, title=f"Product {number}")
                if kind == 2:
                    services.decide(image.pk, staff, Upload.Review.REJECTED, reason="quality")
            elif kind == 3:
                make_image(seller, profile="default", status="failed", failure_reason="Not an image.")
            else:
                product = Product.objects.create(seller=seller, title=f"Product {number}", price="1")
                Colour.objects.create(
                    product=product, name="Blue", image=make_image(seller, profile="product_image")
                )

    def test_the_library_asks_the_same_queries_for_5_images_as_for_30(
        self, browser, seller, staff, make_image
    ):
        SellerProfile.objects.create(user=seller, avatar=make_image(seller, profile="avatar"))
        self.stock(seller, staff, make_image, 5)
        few = shop.queries(browser, LIBRARY)

        self.stock(seller, staff, make_image, 25)
        many = shop.queries(browser, LIBRARY)

        assert len(listed(get(browser))) == 24
        assert many == few
