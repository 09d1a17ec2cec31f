"""UploadsField / UploadField in a ModelForm: what a form accepts, keeps, orders and refuses."""

import base64
import copy
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core import serializers
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, connection, transaction
from django.db.models import Prefetch, RestrictedError
from django.utils import timezone

from project.catalog.forms import ProductForm, SellerProfileForm
from project.catalog.models import Product, SellerProfile, Variant
from tests.catalog.conftest import DEMO_PROFILES
from tests.variant_rows import record_variant
from uploads.fields import UploadField, UploadsField
from uploads.middleware import current_user, submitted_by
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def product_form(user, images, *, instance=None, **data):
    data = {
        "title": "Trail shoe",
        "price": "89.90",
        "images": ",".join(str(row.pk) for row in images),
        **data,
    }
    with submitted_by(user):
        form = ProductForm(data, instance=instance or Product(seller=user))
        form.is_valid()
    return form


def save(form, user):
    with submitted_by(user):
        assert form.is_valid(), form.errors
        return form.save()


class TestAttachingUploads:
    def test_own_verified_uploads_are_saved_in_the_order_given(self, seller, make_upload):
        first, second, third = (make_upload(seller) for _ in range(3))

        product = save(product_form(seller, [third, first, second]), seller)

        assert list(Product.objects.get(pk=product.pk).images.all()) == [third, first, second]

    def test_saving_again_reorders_and_detaches(self, seller, make_upload):
        first, second, third = (make_upload(seller) for _ in range(3))
        product = save(product_form(seller, [first, second, third]), seller)

        save(product_form(seller, [third, first], instance=product), seller)

        assert list(product.images.all()) == [third, first]
        assert Upload.objects.filter(pk=second.pk, status="uploaded").exists(), "detaching keeps the upload"

    def test_prefetched_images_keep_their_order(self, seller, make_upload):
        images = [make_upload(seller) for _ in range(4)]
        save(product_form(seller, images[::-1]), seller)

        (product,) = Product.objects.prefetch_related("images")

        assert list(product.images.all()) == images[::-1]

    def test_the_same_id_twice_counts_once(self, seller, make_upload):
        image = make_upload(seller)

        product = save(product_form(seller, [image, image]), seller)

        assert list(product.images.all()) == [image]

    def test_ids_may_also_come_as_repeated_fields(self, seller, make_upload, rf):
        first, second = make_upload(seller), make_upload(seller)
        request = rf.post("/", {"title": "Boot", "price": "10", "images": [str(second.pk), str(first.pk)]})

        with submitted_by(seller):
            form = ProductForm(request.POST, instance=Product(seller=seller))
            assert form.is_valid(), form.errors

        assert form.cleaned_data["images"] == [second, first]


class TestRefusals:
    def assert_refused(self, form, code):
        assert not form.is_valid()
        assert code in [error.code for error in form.errors.as_data()["images"]], form.errors

    def test_another_users_upload_is_refused_like_a_missing_one(self, seller, make_user, make_upload):
        theirs = make_upload(make_user())
        missing = Upload(pk="00000000-0000-4000-8000-000000000000")

        for chosen in (theirs, missing):
            form = product_form(seller, [chosen])
            self.assert_refused(form, "not_found")
            assert form.errors["images"] == ["One of the chosen files does not exist or is not yours."]

    @pytest.mark.parametrize(
        ("status", "code", "message"),
        [
            ("pending", "pending", "“shoe.jpg” has not finished uploading."),
            ("deleted", "gone", "“shoe.jpg” is no longer available."),
            ("expired", "gone", "“shoe.jpg” is no longer available."),
        ],
    )
    def test_an_unverified_upload_is_refused(self, seller, make_upload, status, code, message):
        form = product_form(seller, [make_upload(seller, status=status, filename="shoe.jpg")])

        self.assert_refused(form, code)
        assert form.errors["images"] == [message]

    def test_a_failed_upload_is_refused_with_its_reason(self, seller, make_upload):
        failed = make_upload(
            seller, status="failed", filename="shoe.jpg", failure_reason="The file is not a PNG image."
        )

        form = product_form(seller, [failed])

        assert form.errors["images"] == ["“shoe.jpg” was refused: The file is not a PNG image."]

    def test_an_upload_of_another_profile_is_refused(self, seller, make_upload):
        avatar = make_upload(seller, profile="avatar", filename="me.jpg")

        form = product_form(seller, [avatar])

        self.assert_refused(form, "profile")
        assert form.errors["images"] == ["“me.jpg” was uploaded for something else and cannot be used here."]

    def test_an_upload_in_another_product_is_refused(self, seller, make_upload):
        image = make_upload(seller, filename="shoe.jpg")
        save(product_form(seller, [image]), seller)

        form = product_form(seller, [image], title="Copy")

        self.assert_refused(form, "taken")
        assert form.errors["images"] == ["“shoe.jpg” is already used by product “Trail shoe”."]

    def test_an_upload_held_by_another_kind_of_field_is_refused(self, seller, make_upload):
        image = make_upload(seller)
        product = save(product_form(seller, [make_upload(seller)]), seller)
        Variant.objects.create(product=product, name="Red", image=image)

        self.assert_refused(product_form(seller, [image], title="Copy"), "taken")

    def test_an_attached_upload_of_someone_else_reveals_nothing(self, seller, make_user, make_upload):
        other = make_user()
        theirs = make_upload(other, filename="secret-prototype.jpg")
        save(product_form(other, [theirs], title="Their product"), other)

        form = product_form(seller, [theirs])

        assert form.errors["images"] == ["One of the chosen files does not exist or is not yours."]

    def test_errors_come_in_the_order_of_the_files(self, seller, make_user, make_upload):
        chosen = [
            make_upload(seller, status="pending", filename="a.jpg"),
            make_upload(make_user()),
            make_upload(seller, profile="avatar", filename="c.jpg"),
        ]
        taken = make_upload(seller, filename="d.jpg")
        save(product_form(seller, [taken], title="First"), seller)

        form = product_form(seller, [*chosen, taken])

        codes = [error.code for error in form.errors.as_data()["images"]]
        assert codes == ["pending", "not_found", "profile", "taken"]

    def test_text_that_is_not_an_id_is_refused(self, seller):
        with submitted_by(seller):
            form = ProductForm({"title": "Boot", "price": "1", "images": "../../etc/passwd"})

        assert form.errors["images"] == ["“../../etc/passwd” is not an upload id."]

    def test_at_least_one_image_is_required(self, seller):
        form = product_form(seller, [])

        self.assert_refused(form, "required")
        assert form.errors["images"] == ["Add at least one image."]

    def test_at_most_max_count_images(self, seller, make_upload):
        form = product_form(seller, [make_upload(seller) for _ in range(9)])

        self.assert_refused(form, "max_count")
        assert form.errors["images"] == ["At most 8 files can be attached here; 9 were chosen."]

    def test_every_problem_is_listed_and_nothing_is_saved(self, seller, make_user, make_upload):
        form = product_form(
            seller, [make_upload(seller, status="pending"), make_upload(make_user()), make_upload(seller)]
        )

        assert [error.code for error in form.errors.as_data()["images"]] == ["pending", "not_found"]
        assert not Product.objects.exists()

    def test_a_form_outside_a_request_says_how_to_name_the_user(self, seller, make_upload):
        form = ProductForm({"title": "Boot", "price": "1", "images": str(make_upload(seller).pk)})

        with pytest.raises(ImproperlyConfigured, match="uploads.middleware.current_user"):
            form.is_valid()


class TestEditingSomeoneElsesProduct:
    def test_uploads_already_attached_stay_even_when_another_user_saves(self, seller, make_user, make_upload):
        staff = make_user(is_staff=True)
        images = [make_upload(seller) for _ in range(2)]
        product = save(product_form(seller, images), seller)

        save(product_form(staff, images[::-1], instance=product, title="Renamed"), staff)

        assert list(product.images.all()) == images[::-1]

    def test_the_editor_cannot_bring_in_the_sellers_other_uploads(self, seller, make_user, make_upload):
        staff = make_user(is_staff=True)
        product = save(product_form(seller, [make_upload(seller)]), seller)
        unattached = make_upload(seller)

        form = product_form(staff, [*product.images.all(), unattached], instance=product)

        assert form.errors["images"] == ["One of the chosen files does not exist or is not yours."]


class TestRenderingAfterAnError:
    def test_the_chosen_images_come_back_in_order_with_thumbnails_not_originals(
        self, seller, make_upload, settings
    ):
        images = {**DEMO_PROFILES["product_image"], "VARIANTS": {"thumb": {"size": 320}}}
        settings.UPLOADS = {"PROFILES": {**DEMO_PROFILES, "product_image": images}}
        first = make_upload(seller, filename="front.jpg", sha256=base64.b64encode(b"f" * 32).decode())
        second = make_upload(seller, filename="back.jpg", variants_due=timezone.now())
        thumb = record_variant(first, "thumb", width=320, height=240, size=9_000)
        form = product_form(seller, [second, first], title="")
        assert "title" in form.errors

        with submitted_by(seller):
            html = str(form["images"])

        assert f'value="{second.pk},{first.pk}"' in html
        # back.jpg's thumbnail is on its way; front.jpg's is made.
        assert (
            html.index("Preparing preview…")
            < html.index("back.jpg")
            < html.index(thumb.key)
            < html.index("front.jpg")
        )
        assert re.findall(r'src="[^"?]*/test-uploads/([^"?]+)\?', html) == [thumb.key]
        assert first.key not in html and second.key not in html

    def test_someone_elses_posted_id_is_not_shown(self, seller, make_user, make_upload):
        theirs = make_upload(make_user(), filename="private.jpg")
        form = product_form(seller, [theirs])

        with submitted_by(seller):
            html = str(form["images"])

        assert "private.jpg" not in html
        assert "X-Amz-Signature" not in html
        assert str(theirs.pk) not in html

    def test_the_widget_brings_the_script_its_texts_and_styles(self):
        media = str(ProductForm().media)

        assert '<script src="/uploads/jsi18n/"></script>' in media
        assert 'src="/static/uploads/uploader.js" type="module"' in media
        assert "uploads/uploader.css" in media


class TestOneUploadFields:
    def test_a_single_field_takes_one_upload(self, seller, make_upload):
        avatar = make_upload(seller, profile="avatar")
        profile = SellerProfile.objects.create(user=seller)

        with submitted_by(seller):
            form = SellerProfileForm({"shop_name": "Shoes", "avatar": str(avatar.pk)}, instance=profile)
            assert form.is_valid(), form.errors
            form.save()

        assert SellerProfile.objects.get().avatar == avatar

    def test_a_single_field_refuses_two(self, seller, make_upload):
        two = ",".join(str(make_upload(seller, profile="avatar").pk) for _ in range(2))

        with submitted_by(seller):
            form = SellerProfileForm({"avatar": two}, instance=SellerProfile(user=seller))

        assert form.errors["avatar"] == ["Only one file can be attached here."]

    def test_it_may_be_left_empty(self, seller):
        with submitted_by(seller):
            form = SellerProfileForm({"shop_name": "x", "avatar": ""}, instance=SellerProfile(user=seller))
            assert form.is_valid(), form.errors

        assert form.cleaned_data["avatar"] is None

    def test_the_database_holds_an_upload_in_one_row_only(self, seller, make_user, make_upload):
        avatar = make_upload(seller, profile="avatar")
        SellerProfile.objects.create(user=seller, avatar=avatar)

        with pytest.raises(IntegrityError), transaction.atomic():
            SellerProfile.objects.create(user=make_user(), avatar=avatar)


class TestTheOrderedManager:
    def test_add_appends_and_set_replaces_in_the_order_given(self, seller, make_upload):
        a, b, c, d = (make_upload(seller) for _ in range(4))
        product = Product.objects.create(seller=seller, title="Boot", price=1)

        product.images.add(c, a)
        product.images.add(b, a)
        assert list(product.images.all()) == [c, a, b]

        product.images.set([d, b, c])
        assert list(product.images.all()) == [d, b, c]

    def test_a_custom_prefetch_keeps_the_order(self, seller, make_upload):
        images = [make_upload(seller) for _ in range(3)]
        product = Product.objects.create(seller=seller, title="Boot", price=1)
        product.images.set(images[::-1])

        (found,) = Product.objects.prefetch_related(
            Prefetch("images", queryset=Upload.objects.filter(status="uploaded"))
        )

        assert list(found.images.all()) == images[::-1]

    def test_dumpdata_and_loaddata_keep_galleries_in_order(self, seller, make_upload):
        images = [make_upload(seller) for _ in range(3)]
        product = Product.objects.create(seller=seller, title="Boot", price=1)
        product.images.set([images[2], images[0], images[1]])
        dumped = serializers.serialize("json", [product])
        product.images.set([])

        for restored in serializers.deserialize("json", dumped):
            restored.save()

        assert list(product.images.all()) == [images[2], images[0], images[1]]


class TestDeletingWhatIsAttached:
    def test_an_attached_upload_cannot_be_deleted_from_under_its_row(self, seller, make_upload):
        image, avatar = make_upload(seller), make_upload(seller, profile="avatar")
        Product.objects.create(seller=seller, title="Boot", price=1).images.set([image])
        SellerProfile.objects.create(user=seller, avatar=avatar)

        for upload in (image, avatar):
            with pytest.raises(RestrictedError):
                upload.delete()

    def test_deleting_a_seller_takes_their_products_and_uploads_together(self, seller, make_upload):
        Product.objects.create(seller=seller, title="Boot", price=1).images.set([make_upload(seller)])

        seller.delete()

        assert not Product.objects.exists() and not Upload.objects.exists()

    def test_deleting_an_editor_does_not_strip_a_sellers_gallery(self, seller, make_user, make_upload):
        editor = make_user(is_staff=True)
        Product.objects.create(seller=seller, title="Boot", price=1).images.set([make_upload(editor)])

        with pytest.raises(RestrictedError):
            editor.delete()


class TestFormsAsDjangoUsesThem:
    def test_a_form_validated_again_or_copied_is_not_its_own_rival(self, seller, make_upload):
        data = {"title": "Boot", "price": "1", "images": str(make_upload(seller).pk)}

        with submitted_by(seller):
            first = ProductForm(data, instance=Product(seller=seller))
            assert first.is_valid(), first.errors
            again = ProductForm(data, instance=Product(seller=seller))  # a wizard's last step
            assert again.is_valid(), again.errors
            copied = copy.deepcopy(first)
            copied.full_clean()
            assert copied.errors == {}

    def test_plain_dict_data_may_hold_a_list_of_ids(self, seller, make_upload):
        first, second = make_upload(seller), make_upload(seller)

        with submitted_by(seller):
            form = ProductForm({"title": "Boot", "price": "1", "images": [str(second.pk), str(first.pk)]})
            assert form.is_valid(), form.errors

        assert form.cleaned_data["images"] == [second, first]

    def test_the_same_ids_written_differently_are_no_change(self, seller, make_upload):
        image = make_upload(seller)
        product = save(product_form(seller, [image]), seller)

        with submitted_by(seller):
            form = ProductForm(
                {"title": "Trail shoe", "price": "89.90", "images": str(image.pk).upper()}, instance=product
            )
            assert form.is_valid(), form.errors

        assert form.changed_data == []

    def test_the_user_is_read_when_the_form_asks(self, seller, make_upload, rf):
        """A view that authenticates the user itself, after the middleware ran, still counts."""
        image = make_upload(seller)

        def view(request):
            request.user = seller  # e.g. the view's own token check
            form = ProductForm({"title": "Boot", "price": "1", "images": str(image.pk)})
            return form.is_valid()

        request = rf.post("/")
        request.user = AnonymousUser()

        assert current_user(view)(request) is True

    def test_the_fields_decide_their_target_and_choices(self):
        with pytest.raises(TypeError, match="decides 'limit_choices_to' itself"):
            UploadsField("avatar", limit_choices_to={"status": "failed"})
        with pytest.raises(TypeError, match="decides 'to' itself"):
            UploadField(to="auth.User")


def changed(field, **attributes):
    new = copy.copy(field)
    new.__dict__.update(attributes)
    return new


@pytest.mark.django_db(transaction=True)  # SQLite's schema editor refuses to run inside a transaction
def test_a_new_profile_or_max_count_alters_no_column():
    avatar, images = SellerProfile._meta.get_field("avatar"), Product._meta.get_field("images")

    with connection.schema_editor(collect_sql=True) as editor:
        editor.alter_field(SellerProfile, avatar, changed(avatar, profile="default"))
        editor.alter_field(Product, images, changed(images, profile="default", max_count=3))

    assert editor.collected_sql == []
