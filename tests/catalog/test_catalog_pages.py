"""The demo's seller pages and the admin, through real requests (the middleware names the user)."""

import base64
import hashlib
import re

import pytest
from django.core import checks
from django.test import Client, override_settings
from django.urls import reverse

from project.catalog.models import Product, SellerProfile
from tests.catalog import shop
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def browser(client, seller):
    client.force_login(seller)
    return client


def create(browser, images, language=None, **data):
    return browser.post(
        reverse("catalog:create"),
        {"title": "Trail shoe", "price": "89.90", "images": ",".join(str(i.pk) for i in images), **data},
        headers={"accept-language": language} if language else None,
    )


class TestSellerPages:
    def test_a_product_is_created_with_its_images_in_order(self, browser, seller, make_upload):
        front, back = make_upload(seller), make_upload(seller)

        reply = create(browser, [back, front])

        product = Product.objects.get()
        assert reply.status_code == 302 and reply["Location"] == product.get_absolute_url()
        assert list(product.images.all()) == [back, front]

    def test_the_product_page_shows_the_images_through_short_lived_urls(
        self, browser, seller, make_upload, settings
    ):
        settings.UPLOADS = shop.UPLOADS
        make_image = shop.image_maker(make_upload)
        create(
            browser,
            [make_image(seller, profile="product_image"), make_image(seller, profile="product_image")],
        )

        page = browser.get(Product.objects.get().get_absolute_url()).content.decode()

        urls = re.findall(r'<img src="([^"]+)"', page)
        assert len(urls) == 2
        # Signed at the start of the current VIEW_EXPIRES window for twice as long: the same URL
        # all window long (cached), and still good VIEW_EXPIRES seconds after the page was made.
        assert all("X-Amz-Expires=600" in url and "X-Amz-Signature=" in url for url in urls)
        # The zoom is a link a shopper may follow later: the app's redirect to a fresh URL.
        links = re.findall(r'<a href="([^"]+)"><img', page)
        assert [link.startswith("/uploads/view/") and link.endswith("/zoom/") for link in links] == [
            True,
            True,
        ]

    def test_a_form_error_keeps_the_uploaded_images(self, browser, seller, make_upload):
        images = [make_upload(seller, filename="front.jpg"), make_upload(seller, filename="back.jpg")]

        reply = create(browser, images, price="-3")

        assert reply.status_code == 200
        page = reply.content.decode()
        assert "Ensure this value is greater than or equal to 0." in page
        assert f'value="{images[0].pk},{images[1].pk}"' in page
        assert "front.jpg" in page and "back.jpg" in page
        assert not Product.objects.exists()

    def test_a_price_with_a_comma_is_read_in_german_and_refused_in_english(
        self, browser, seller, make_upload
    ):
        english = create(browser, [make_upload(seller)], price="24,90", language="en")
        assert "Enter a number." in english.content.decode()

        german = create(browser, [make_upload(seller)], price="24,90", language="de")

        assert german.status_code == 302
        assert str(Product.objects.get().price) == "24.90"

    def test_another_sellers_upload_is_a_field_error(self, browser, make_user, make_upload):
        reply = create(browser, [make_upload(make_user())])

        assert "One of the chosen files does not exist or is not yours." in reply.content.decode()
        assert not Product.objects.exists()

    def test_only_the_seller_edits_a_product(self, browser, seller, make_user, make_upload, client):
        create(browser, [make_upload(seller)])
        client.force_login(make_user())

        assert client.get(reverse("catalog:edit", args=[Product.objects.get().pk])).status_code == 404


class TestDeletingAnAttachedUpload:
    def test_the_api_refuses_and_keeps_it(self, browser, api, seller, make_upload):
        image = make_upload(seller)
        create(browser, [image])

        reply = api.delete(reverse("uploads:detail", args=[image.pk]))

        assert reply.status_code == 409
        assert reply.json()["error"] == {
            "code": "in_use",
            "message": "This file is attached to something; remove it there first.",
        } | {k: v for k, v in reply.json()["error"].items() if k not in ("code", "message")}
        image.refresh_from_db()
        assert image.status == "uploaded"

    def test_a_detached_upload_can_be_deleted(self, browser, api, seller, make_upload, s3):
        image, other = make_upload(seller), make_upload(seller)
        create(browser, [image])
        edit = reverse("catalog:edit", args=[Product.objects.get().pk])
        browser.post(edit, {"title": "x", "price": "1", "images": str(other.pk)})

        assert api.delete(reverse("uploads:detail", args=[image.pk])).status_code == 200
        image.refresh_from_db()
        assert image.status == "deleted"


class TestTheSamePhotoInTwoProducts:
    def test_an_attached_upload_is_not_offered_as_a_duplicate(self, browser, api, seller, s3):
        from tests.conftest import post_to_s3
        from tests.images import image_bytes

        data = image_bytes("image/jpeg", 600, 600)
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        declared = {"filename": "mug.jpg", "content_type": "image/jpeg", "size": len(data), "sha256": digest}
        declared["profile"] = "product_image"
        first = api.post("/uploads/api/uploads/", declared).json()
        post_to_s3(first, data)
        api.complete(first["id"])
        assert api.post("/uploads/api/uploads/", declared).json()["duplicate"] is True  # not attached yet

        create(browser, [Upload.objects.get(pk=first["id"])])
        again = api.post("/uploads/api/uploads/", declared)

        assert again.status_code == 201
        assert again.json()["duplicate"] is False
        assert again.json()["id"] != first["id"]


class TestAdmin:
    @pytest.fixture
    def staff(self, client, make_user):
        admin = make_user(is_staff=True, is_superuser=True)
        client.force_login(admin)
        return admin

    def test_the_add_page_renders_the_uploader_for_fields_and_inlines(self, client, staff):
        page = client.get(reverse("admin:catalog_product_add")).content.decode()

        assert 'id="id_images_uploader" data-uploader data-field data-multiple' in page
        assert 'name="variants-__prefix__-image"' in page, (
            "the inline's template form carries an uploader too"
        )
        assert "related-widget-wrapper" not in page.split('id="id_images_uploader"')[1].split("</ul>")[0]
        assert '<script src="/uploads/jsi18n/"></script>' in page

    def test_staff_save_a_product_with_their_uploads_and_an_inline(self, client, staff, seller, make_upload):
        images = [make_upload(staff), make_upload(staff)]
        red = make_upload(staff)

        reply = client.post(
            reverse("admin:catalog_product_add"),
            {
                "seller": seller.pk,
                "title": "Boot",
                "price": "12.00",
                "images": f"{images[1].pk},{images[0].pk}",
                "variants-TOTAL_FORMS": "1",
                "variants-INITIAL_FORMS": "0",
                "variants-0-name": "Red",
                "variants-0-image": str(red.pk),
            },
        )

        assert reply.status_code == 302, reply.content.decode()[:3000]
        product = Product.objects.get()
        assert list(product.images.all()) == images[::-1]
        assert product.variants.get().image == red


class TestChecks:
    def test_an_unknown_profile_is_an_error(self, settings):
        settings.UPLOADS = {}

        ids = {error.id for error in checks.run_checks() if error.id.startswith("uploads.")}

        assert "uploads.E040" in ids

    def test_the_middleware_is_required(self, settings):
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "uploads.middleware.current_user"]

        errors = [error for error in checks.run_checks() if error.id == "uploads.E041"]

        assert len(errors) == 1
        assert "after AuthenticationMiddleware" in errors[0].hint

    def test_the_middleware_must_come_after_authentication(self, settings):
        ours = "uploads.middleware.current_user"
        settings.MIDDLEWARE = [ours, *(m for m in settings.MIDDLEWARE if m != ours)]

        assert [error.id for error in checks.run_checks() if error.id.startswith("uploads.")] == [
            "uploads.E043"
        ]


class TestTranslations:
    def test_the_script_catalogue_speaks_the_browsers_language(self, client):
        german = client.get(reverse("uploads:jsi18n"), headers={"accept-language": "de"}).content.decode()
        english = client.get(reverse("uploads:jsi18n"), headers={"accept-language": "en"}).content.decode()

        assert '"Move up": "Nach oben"' in german
        assert '"Wait for %(count)s image to finish uploading, then save."' in german
        assert "Nach oben" not in english

    @override_settings(LANGUAGE_CODE="de")
    def test_the_widget_and_the_form_errors_are_translated(self, browser, make_user, make_upload):
        reply = create(browser, [make_upload(make_user())])
        page = reply.content.decode()

        assert "Bilder auswählen" in page
        assert "Eine der gewählten Dateien existiert nicht oder gehört nicht Ihnen." in page


class TestReviewingAnAttachedUpload:
    def test_the_upload_page_links_to_what_holds_it(self, client, browser, seller, make_user, make_upload):
        image, avatar = make_upload(seller), make_upload(seller, profile="avatar")
        create(browser, [image])
        SellerProfile.objects.create(user=seller, avatar=avatar)
        client.force_login(make_user(is_staff=True, is_superuser=True))
        product = Product.objects.get()

        image_page = client.get(reverse("admin:uploads_upload_change", args=[image.pk])).content.decode()
        avatar_page = client.get(reverse("admin:uploads_upload_change", args=[avatar.pk])).content.decode()
        loose_page = client.get(
            reverse("admin:uploads_upload_change", args=[make_upload(seller).pk])
        ).content.decode()

        link = reverse("admin:catalog_product_change", args=[product.pk])
        assert f'<a href="{link}">product “Trail shoe” (images)</a>' in image_page
        assert "seller profile “seller” (avatar)" in avatar_page
        # The field's row by its class, whatever whitespace the admin's templates put around it.
        loose = re.search(
            r'class="[^"]*field-attached_to.*?<div class="readonly">(.*?)</div>', loose_page, re.DOTALL
        )
        assert loose[1] == "nothing"


class TestDeletingInTheAdmin:
    @pytest.fixture
    def staff(self, make_user):
        client = Client()  # the seller's browser is the other client
        client.force_login(make_user(is_staff=True, is_superuser=True))
        return client

    def stored(self, s3, seller, make_upload):
        upload = make_upload(seller)
        s3.put_object(Bucket="test-uploads", Key=upload.key, Body=b"x")
        return upload

    def test_an_unattached_upload_goes_with_its_object(
        self, staff, s3, seller, make_upload, django_capture_on_commit_callbacks
    ):
        upload = self.stored(s3, seller, make_upload)

        with django_capture_on_commit_callbacks(execute=True):
            reply = staff.post(reverse("admin:uploads_upload_delete", args=[upload.pk]), {"post": "yes"})

        assert reply.status_code == 302
        assert not Upload.objects.filter(pk=upload.pk).exists()
        assert s3.list_objects_v2(Bucket="test-uploads", Prefix=upload.key).get("KeyCount") == 0

    def test_an_attached_upload_is_refused_and_kept(self, staff, browser, s3, seller, make_upload):
        upload = self.stored(s3, seller, make_upload)
        create(browser, [upload])

        page = staff.get(reverse("admin:uploads_upload_delete", args=[upload.pk])).content.decode()
        staff.post(reverse("admin:uploads_upload_delete", args=[upload.pk]), {"post": "yes"})

        assert "would require deleting the following protected related objects" in page
        assert Upload.objects.filter(pk=upload.pk).exists()
        assert s3.list_objects_v2(Bucket="test-uploads", Prefix=upload.key).get("KeyCount") == 1

    def test_the_bulk_action_deletes_the_objects_too(
        self, staff, s3, seller, make_upload, django_capture_on_commit_callbacks
    ):
        uploads = [self.stored(s3, seller, make_upload) for _ in range(2)]

        with django_capture_on_commit_callbacks(execute=True):
            staff.post(
                reverse("admin:uploads_upload_changelist") + "?state=all",
                {"action": "delete_selected", "_selected_action": [u.pk for u in uploads], "post": "yes"},
            )

        assert not Upload.objects.exists()
        for upload in uploads:
            assert s3.list_objects_v2(Bucket="test-uploads", Prefix=upload.key).get("KeyCount") == 0
