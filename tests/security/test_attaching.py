"""Attaching uploads to rows: nobody attaches, sees or frees an upload that is not theirs to use.

Every attack goes through the demo's real pages and the admin, so the ``current_user`` middleware
names the submitting user. ``alice`` is the seller whose uploads are the prize; ``mallory`` is
another seller and ``editor`` a staff member who may change products (but was given nothing on
uploads). An attack is refused when the reply says no, nothing changed in the database, and the
page that comes back carries none of the prize: no file name, no key, no id, no signed URL.
"""

import base64
import contextlib
import datetime
import hashlib
import itertools
import re
import threading
import time
import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from project.catalog.models import Product, SellerProfile, Variant
from tests.conftest import ApiClient
from tests.variant_rows import record_variant
from uploads import attachments, keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db

PROFILES = {
    "product_image": {"ALLOWED_TYPES": ["image/jpeg", "image/png"], "MIN_WIDTH": 500, "MIN_HEIGHT": 500},
    "avatar": {"ALLOWED_TYPES": ["image/jpeg", "image/png"]},
}
NOT_FOUND = "One of the chosen files does not exist or is not yours."
ONE_ONLY = "Only one file can be attached here."
SIGNED = "X-Amz-Signature="
MADE_UP = "7c1e4a52-9d0b-4f5e-8a3c-2b6d9e0f1a4b"


@pytest.fixture(autouse=True)
def catalog_profiles(settings, app_defaults):
    """The catalog's fields name these profiles (the suite otherwise starts from the app's defaults)."""
    settings.UPLOADS = {"PROFILES": PROFILES}


@pytest.fixture
def upload_of(db):
    """A row as ``complete`` leaves it (or in ``status``); nothing here needs the bytes in S3."""
    numbers = itertools.count(1)

    def make(owner, *, status=Upload.Status.UPLOADED, profile="product_image", filename=None, **extra):
        filename = filename or f"{owner.username}-secret-{next(numbers)}.jpg"
        return Upload.objects.create(
            owner=owner,
            profile=profile,
            key=keys.build_key(owner.pk, filename, "image/jpeg", profile=profile),
            filename=filename,
            content_type="image/jpeg",
            size=200_000,
            width=900,
            height=900,
            status=status,
            expires_at=timezone.now() + datetime.timedelta(minutes=10),
            verified_at=timezone.now() if status == Upload.Status.UPLOADED else None,
            **extra,
        )

    return make


def catalog_permissions():
    return Permission.objects.filter(content_type__app_label="catalog")


@pytest.fixture
def alice(make_user):
    """The victim; staff as well, so she can use the admin's Variant inline on her own products."""
    user = make_user("alice", is_staff=True)
    user.user_permissions.set(catalog_permissions())
    return user


@pytest.fixture
def mallory(make_user):
    return make_user("mallory")


@pytest.fixture
def editor(make_user):
    """Staff who may add and change products, but not a superuser and given nothing on uploads."""
    user = make_user("editor", is_staff=True)
    user.user_permissions.set(catalog_permissions())
    return user


def logged_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def ids(items):
    return ",".join(str(getattr(item, "pk", item)) for item in items)


def product_of(owner, images, title="Trail shoe"):
    """A product holding ``images``, stored as a saved form would store it."""
    product = Product.objects.create(seller=owner, title=title, price="10.00")
    Product._meta.get_field("images").save_form_data(product, images)
    return product


def holders(upload):
    """Every row that holds ``upload``: (model, pk) pairs, across every upload field."""
    found = [("product", pk) for pk in Product.objects.filter(images=upload).values_list("pk", flat=True)]
    found += [("variant", pk) for pk in Variant.objects.filter(image=upload).values_list("pk", flat=True)]
    found += [
        ("profile", pk) for pk in SellerProfile.objects.filter(avatar=upload).values_list("pk", flat=True)
    ]
    return found


def create(client, images, **data):
    data = {"title": "Trail shoe", "price": "89.90", "images": ids(images), **data}
    return client.post(reverse("catalog:create"), data)


def edit(client, product, images, **data):
    url = reverse("catalog:edit", args=[product.pk])
    return client.post(url, {"title": product.title, "price": "89.90", "images": ids(images), **data})


def save_avatar(client, value, **data):
    return client.post(reverse("catalog:profile"), {"shop_name": "Shop", "avatar": value, **data})


def errors(reply, name):
    return list(reply.context["form"].errors.get(name, []))


def admin_data(seller, images, *, new_variants=(), variants=(), title="Boot"):
    """The admin's product form: ``variants`` are existing (variant, image) pairs, ``new_variants`` new ones."""
    data = {
        "seller": seller.pk,
        "title": title,
        "price": "12.00",
        "images": ids(images),
        "variants-TOTAL_FORMS": str(len(variants) + len(new_variants)),
        "variants-INITIAL_FORMS": str(len(variants)),
        "variants-MIN_NUM_FORMS": "0",
        "variants-MAX_NUM_FORMS": "1000",
    }
    for number, (variant, image) in enumerate(variants):
        data |= {
            f"variants-{number}-id": str(variant.pk),
            f"variants-{number}-product": str(variant.product_id),
            f"variants-{number}-name": variant.name,
            f"variants-{number}-image": ids([image] if image else []),
        }
    for number, (name, image) in enumerate(new_variants, start=len(variants)):
        data |= {f"variants-{number}-name": name, f"variants-{number}-image": ids([image] if image else [])}
    return data


def admin_add(client, seller, images, **options):
    return client.post(reverse("admin:catalog_product_add"), admin_data(seller, images, **options))


def admin_change(client, product, images, **options):
    url = reverse("admin:catalog_product_change", args=[product.pk])
    return client.post(url, admin_data(product.seller, images, title=product.title, **options))


def admin_errors(reply):
    """The product form's errors and every inline form's, as plain strings."""
    product = reply.context["adminform"].form
    variants = reply.context["inline_admin_formsets"][0].formset
    return (
        {name: list(messages) for name, messages in product.errors.items()},
        [{name: list(messages) for name, messages in errors.items()} for errors in variants.errors],
    )


def error_codes(form, name):
    return [error.code for error in form.errors.as_data().get(name, [])]


def leaks(page, upload):
    """How ``page`` names ``upload``, if it does: its file name, key or id (in any common spelling)."""
    names = {
        "file name": upload.filename,
        "key": upload.key,
        "id": str(upload.pk),
        "id (hex)": upload.pk.hex,
        "id (upper case)": str(upload.pk).upper(),
    }
    return [what for what, text in names.items() if text in page]


# --- Someone else's upload id, posted to every form that takes uploads -------------------------


class TestAnotherSellersUploadCannotBeAttached:
    def test_create_refuses_it_and_stores_nothing(self, alice, mallory, upload_of):
        prize = upload_of(alice)

        reply = create(logged_in(mallory), [prize])

        assert reply.status_code == 200
        assert errors(reply, "images") == [NOT_FOUND]
        assert not Product.objects.exists()
        assert holders(prize) == []

    def test_edit_refuses_it_and_the_product_keeps_its_images(self, alice, mallory, upload_of):
        prize, own = upload_of(alice), upload_of(mallory)
        product = product_of(mallory, [own])

        reply = edit(logged_in(mallory), product, [own, prize], title="Renamed")

        assert errors(reply, "images") == [NOT_FOUND]
        product.refresh_from_db()
        assert product.title == "Trail shoe"
        assert list(product.images.all()) == [own]
        assert holders(prize) == []

    def test_mixed_with_valid_ids_the_whole_choice_is_refused(self, alice, mallory, upload_of):
        prize = upload_of(alice)
        own = [upload_of(mallory), upload_of(mallory)]

        reply = create(logged_in(mallory), [own[0], prize, own[1]])

        assert errors(reply, "images") == [NOT_FOUND]
        assert not Product.objects.exists()
        assert [holders(row) for row in [*own, prize]] == [[], [], []]

    def test_duplicates_of_it_give_one_error_and_no_product(self, alice, mallory, upload_of):
        prize = upload_of(alice)

        reply = create(logged_in(mallory), [prize, prize, str(prize.pk).upper(), f"{{{prize.pk}}}"])

        assert errors(reply, "images") == [NOT_FOUND]
        assert not Product.objects.exists()

    def test_the_avatar_form_refuses_it(self, alice, mallory, upload_of):
        prize = upload_of(alice, profile="avatar")

        reply = save_avatar(logged_in(mallory), str(prize.pk))

        assert errors(reply, "avatar") == [NOT_FOUND]
        assert SellerProfile.objects.get(user=mallory).avatar is None
        assert holders(prize) == []

    def test_staff_cannot_add_it_to_a_product_in_the_admin(self, alice, editor, upload_of):
        prize = upload_of(alice)

        reply = admin_add(logged_in(editor), alice, [prize])

        assert reply.status_code == 200
        assert admin_errors(reply)[0] == {"images": [NOT_FOUND]}
        assert not Product.objects.exists()

    def test_staff_cannot_put_it_in_a_variant_inline(self, alice, editor, upload_of):
        prize, own = upload_of(alice), upload_of(editor)

        reply = admin_add(logged_in(editor), alice, [own], new_variants=[("Red", prize)])

        assert reply.status_code == 200
        assert admin_errors(reply) == ({}, [{"image": [NOT_FOUND]}])
        assert not Product.objects.exists() and not Variant.objects.exists()

    def test_staff_keep_a_sellers_attached_images_but_cannot_bring_in_her_others(
        self, alice, editor, upload_of
    ):
        attached, loose = upload_of(alice), upload_of(alice)
        product = product_of(alice, [attached])
        staff = logged_in(editor)

        refused = admin_change(staff, product, [attached, loose])
        kept = admin_change(staff, product, [attached], new_variants=[("Red", None)])

        assert admin_errors(refused)[0] == {"images": [NOT_FOUND]}
        assert kept.status_code == 302
        assert list(product.images.all()) == [attached]
        assert holders(loose) == []

    def test_another_sellers_edit_page_is_not_found_and_a_post_there_changes_nothing(
        self, alice, mallory, upload_of
    ):
        images = [upload_of(alice)]
        product = product_of(alice, images)
        own = upload_of(mallory)
        thief = logged_in(mallory)

        assert thief.get(reverse("catalog:edit", args=[product.pk])).status_code == 404
        assert edit(thief, product, [own], title="Mine now").status_code == 404
        product.refresh_from_db()
        assert (product.title, product.seller, list(product.images.all())) == ("Trail shoe", alice, images)
        assert holders(own) == []


# --- The error must not tell a made-up id from someone else's --------------------------------


def foreign_upload(kind, alice, upload_of):
    """One of alice's uploads, in every state an attacker might find it in."""
    if kind == "verified, loose":
        return upload_of(alice)
    if kind in ("pending", "expired", "deleted"):
        return upload_of(alice, status=kind)
    if kind == "failed":
        return upload_of(alice, status="failed", failure_reason="The file is not a JPEG image.")
    if kind == "of another profile":
        return upload_of(alice, profile="avatar")
    image = upload_of(alice)
    if kind == "in her product":
        product_of(alice, [image])
    elif kind == "in her variant":
        Variant.objects.create(product=product_of(alice, [upload_of(alice)]), name="Red", image=image)
    return image


FOREIGN_KINDS = [
    "verified, loose",
    "pending",
    "expired",
    "deleted",
    "failed",
    "of another profile",
    "in her product",
    "in her variant",
]


class TestTheErrorRevealsNothingAboutOtherUsersUploads:
    @pytest.mark.parametrize("kind", FOREIGN_KINDS)
    def test_on_the_product_form_it_is_the_same_error_as_for_a_made_up_id(
        self, alice, mallory, upload_of, kind
    ):
        prize = foreign_upload(kind, alice, upload_of)
        thief = logged_in(mallory)

        made_up = create(thief, [MADE_UP])
        real = create(thief, [prize])

        assert errors(real, "images") == errors(made_up, "images") == [NOT_FOUND]
        assert leaks(real.content.decode(), prize) == []

    @pytest.mark.parametrize("kind", FOREIGN_KINDS)
    def test_in_the_admin_it_is_the_same_error_as_for_a_made_up_id(self, alice, editor, upload_of, kind):
        prize = foreign_upload(kind, alice, upload_of)
        staff = logged_in(editor)

        made_up = admin_add(staff, alice, [MADE_UP])
        real = admin_add(staff, alice, [prize])

        assert admin_errors(real) == admin_errors(made_up) == ({"images": [NOT_FOUND]}, [])
        assert leaks(real.content.decode(), prize) == []

    def test_on_the_avatar_form_her_avatar_in_use_looks_like_a_made_up_id(self, alice, mallory, upload_of):
        prize = upload_of(alice, profile="avatar")
        SellerProfile.objects.create(user=alice, avatar=prize)
        thief = logged_in(mallory)

        made_up = save_avatar(thief, MADE_UP)
        real = save_avatar(thief, str(prize.pk))

        assert errors(real, "avatar") == errors(made_up, "avatar") == [NOT_FOUND]
        assert leaks(real.content.decode(), prize) == []

    def test_the_api_answers_not_found_not_in_use_for_her_attached_upload(self, alice, mallory, upload_of):
        prize = upload_of(alice)
        product_of(alice, [prize])

        reply = ApiClient(mallory).delete(reverse("uploads:detail", args=[prize.pk]))

        assert reply.status_code == 404
        assert reply.json()["error"]["code"] == "not_found"
        assert Upload.objects.get(pk=prize.pk).status == "uploaded"


# --- How ids may be written ------------------------------------------------------------------


def spellings(upload):
    text = str(upload.pk)
    return {
        "padded": f"  {text}\t",
        "upper case": text.upper(),
        "braces": f"{{{text}}}",
        "urn": f"urn:uuid:{text}",
        "no hyphens": upload.pk.hex,
    }


class TestHowIdsAreWritten:
    @pytest.mark.parametrize("spelling", ["padded", "upper case", "braces", "urn", "no hyphens"])
    def test_an_own_upload_in_another_spelling_is_the_same_upload(self, mallory, upload_of, spelling):
        image = upload_of(mallory)

        reply = create(logged_in(mallory), [spellings(image)[spelling]])

        assert reply.status_code == 302
        assert list(Product.objects.get().images.all()) == [image]

    def test_every_spelling_of_one_upload_at_once_counts_once(self, mallory, upload_of):
        image = upload_of(mallory)

        reply = create(logged_in(mallory), [image, *spellings(image).values()])

        assert reply.status_code == 302
        assert list(Product.objects.get().images.all()) == [image]

    @pytest.mark.parametrize(
        "spelling", ["padded", "upper case", "braces", "urn", "no hyphens", "arabic digits"]
    )
    def test_another_sellers_upload_in_any_spelling_is_refused_and_not_shown(
        self, alice, mallory, upload_of, spelling
    ):
        prize = upload_of(alice)
        # int(..., 16) takes any Unicode decimal digit, so "٣" reads as 3: still the same UUID.
        arabic = str(prize.pk).translate(str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩"))
        written = {**spellings(prize), "arabic digits": arabic}[spelling]

        reply = create(logged_in(mallory), [written], title="")

        assert errors(reply, "images") == [NOT_FOUND]
        page = reply.content.decode()
        assert leaks(page, prize) == []
        assert SIGNED not in page

    def test_the_field_repeated_works_like_commas(self, mallory, upload_of):
        first, second = upload_of(mallory), upload_of(mallory)
        data = {"title": "Boot", "price": "1", "images": [str(second.pk), f" {first.pk} ,"]}

        reply = logged_in(mallory).post(reverse("catalog:create"), data)

        assert reply.status_code == 302
        assert list(Product.objects.get().images.all()) == [second, first]

    @pytest.mark.parametrize("value", [",,,", " , ,\t, ", ""])
    def test_only_separators_is_an_empty_choice(self, mallory, value):
        reply = logged_in(mallory).post(
            reverse("catalog:create"), {"title": "Boot", "price": "1", "images": value}
        )

        assert error_codes(reply.context["form"], "images") == ["required"]
        assert not Product.objects.exists()

    @pytest.mark.parametrize(
        "text",
        [
            "42",
            "../../etc/passwd",
            "1' OR '1'='1",
            "x'); DELETE FROM uploads_upload; --",
            '"><script>alert(1)</script>',
            "ünïcödé-ïd",
            "\u202egpj.exe",
            "0" * 31,
            "g" * 32,
            "{" * 40 + "}",
        ],
    )
    def test_text_that_is_no_uuid_is_a_field_error_shown_escaped(self, mallory, upload_of, text):
        own = upload_of(mallory)

        reply = create(logged_in(mallory), [own, text])

        assert reply.status_code == 200
        assert error_codes(reply.context["form"], "images") == ["invalid"]
        page = reply.content.decode()
        assert "<script>alert(1)</script>" not in page
        assert not Product.objects.exists()
        assert Upload.objects.count() == 1

    def test_an_absurdly_long_id_is_cut_in_the_message(self, mallory):
        reply = create(logged_in(mallory), ["A" * 100_000])

        (message,) = errors(reply, "images")
        assert len(message) < 100
        assert message.endswith("is not an upload id.")


class TestHugeChoices:
    def test_ten_thousand_ids_are_refused_quickly_by_count_before_any_lookup(
        self, mallory, django_assert_max_num_queries
    ):
        many = [str(uuid.uuid4()) for _ in range(10_000)]
        client = logged_in(mallory)

        started = time.monotonic()
        with django_assert_max_num_queries(12):
            reply = create(client, many)
        elapsed = time.monotonic() - started

        assert reply.status_code == 200
        assert errors(reply, "images") == ["At most 8 files can be attached here; 10000 were chosen."]
        assert elapsed < 3
        assert not Product.objects.exists()

    def test_ten_thousand_copies_of_one_own_id_are_one_image(self, mallory, upload_of):
        image = upload_of(mallory)

        reply = create(logged_in(mallory), [image] * 10_000)

        assert reply.status_code == 302
        assert list(Product.objects.get().images.all()) == [image]

    def test_ten_thousand_repeated_fields_are_a_bad_request_not_a_server_error(self, mallory):
        client = logged_in(mallory, raise_request_exception=False)
        data = {"title": "Boot", "price": "1", "images": [str(uuid.uuid4()) for _ in range(10_000)]}

        started = time.monotonic()
        reply = client.post(reverse("catalog:create"), data)

        assert reply.status_code == 400
        assert time.monotonic() - started < 3
        assert not Product.objects.exists()

    def test_ten_thousand_ids_for_an_avatar_are_one_too_many(self, mallory):
        reply = save_avatar(logged_in(mallory), ids(uuid.uuid4() for _ in range(10_000)))

        assert errors(reply, "avatar") == [ONE_ONLY]

    def test_ten_thousand_ids_for_a_variant_are_one_too_many(self, alice, upload_of):
        many = ids(uuid.uuid4() for _ in range(10_000))

        reply = admin_add(logged_in(alice), alice, [upload_of(alice)], new_variants=[("Red", many)])

        assert admin_errors(reply) == ({}, [{"image": [ONE_ONLY]}])
        assert not Product.objects.exists()

    def test_max_count_is_allowed_and_one_more_is_refused(self, mallory, upload_of):
        images = [upload_of(mallory) for _ in range(9)]
        client = logged_in(mallory)

        refused = create(client, images)
        accepted = create(client, images[:8])

        assert errors(refused, "images") == ["At most 8 files can be attached here; 9 were chosen."]
        assert accepted.status_code == 302
        assert list(Product.objects.get().images.all()) == images[:8]

    def test_a_single_field_given_two_own_ids_is_refused(self, mallory, upload_of):
        two = [upload_of(mallory, profile="avatar"), upload_of(mallory, profile="avatar")]

        reply = save_avatar(logged_in(mallory), ids(two))

        assert errors(reply, "avatar") == [ONE_ONLY]
        assert [holders(row) for row in two] == [[], []]


# --- An upload belongs to one row: no second product, no second field --------------------------


class TestAnAttachedUploadStaysWhereItIs:
    def test_her_own_gallery_image_cannot_go_into_her_second_product(self, alice, upload_of):
        image = upload_of(alice, filename="cover.jpg")
        first = product_of(alice, [image])

        reply = create(logged_in(alice), [image], title="Second")

        assert error_codes(reply.context["form"], "images") == ["taken"]
        assert "cover.jpg" in errors(reply, "images")[0], "her own upload may be named"
        assert holders(image) == [("product", first.pk)]

    def test_her_own_gallery_image_cannot_be_added_to_her_other_existing_product(self, alice, upload_of):
        image, other_image = upload_of(alice), upload_of(alice)
        first, second = product_of(alice, [image]), product_of(alice, [other_image], title="Second")

        reply = edit(logged_in(alice), second, [other_image, image])

        assert error_codes(reply.context["form"], "images") == ["taken"]
        assert holders(image) == [("product", first.pk)]

    def test_a_gallery_image_cannot_become_a_variant_image(self, alice, upload_of):
        image = upload_of(alice)
        first = product_of(alice, [image])

        reply = admin_add(logged_in(alice), alice, [upload_of(alice)], new_variants=[("Red", image)])

        variant_form = reply.context["inline_admin_formsets"][0].formset.forms[0]
        assert error_codes(variant_form, "image") == ["taken"]
        assert holders(image) == [("product", first.pk)]

    def test_a_variant_image_cannot_become_a_gallery_image(self, alice, upload_of):
        image = upload_of(alice)
        variant = Variant.objects.create(
            product=product_of(alice, [upload_of(alice)]), name="Red", image=image
        )

        reply = create(logged_in(alice), [image], title="Second")

        assert error_codes(reply.context["form"], "images") == ["taken"]
        assert holders(image) == [("variant", variant.pk)]

    def test_moving_a_gallery_image_into_a_variant_of_the_same_product_in_one_save_is_refused(
        self, alice, upload_of
    ):
        keep, move = upload_of(alice), upload_of(alice)
        product = product_of(alice, [keep, move])

        reply = admin_change(logged_in(alice), product, [keep], new_variants=[("Red", move)])

        assert reply.status_code == 200
        assert error_codes(reply.context["inline_admin_formsets"][0].formset.forms[0], "image") == ["taken"]
        assert holders(move) == [("product", product.pk)]

    def test_one_new_upload_in_the_gallery_and_a_variant_of_one_admin_save_is_refused(self, alice, upload_of):
        twice = upload_of(alice, filename="twice.jpg")

        reply = admin_add(logged_in(alice), alice, [twice], new_variants=[("Red", twice)])

        assert (reply.status_code, holders(twice)) == (200, []), (
            "one upload chosen for two fields is a form error"
        )
        assert "is also chosen in another field of this form." in reply.content.decode()

    def test_one_new_upload_in_two_variants_of_one_admin_save_is_a_form_error_not_a_crash(
        self, alice, upload_of
    ):
        twice = upload_of(alice)
        client = logged_in(alice, raise_request_exception=False)

        reply = admin_add(client, alice, [upload_of(alice)], new_variants=[("Red", twice), ("Blue", twice)])

        assert reply.status_code == 200, f"got {reply.status_code}; the second variant must get a field error"
        assert "is also chosen in another field of this form." in reply.content.decode()
        assert not Product.objects.exists() and not Variant.objects.exists()

    def test_her_avatar_stays_when_she_saves_her_profile_again_with_it(self, alice, upload_of):
        avatar = upload_of(alice, profile="avatar", filename="me.jpg")
        held_by = SellerProfile.objects.create(user=alice, avatar=avatar)

        kept = save_avatar(logged_in(alice), str(avatar.pk), shop_name="Renamed")

        assert kept.status_code == 302
        assert holders(avatar) == [("profile", held_by.pk)]


# --- What a page shows after an error: the viewer's own and the object's, nothing else ----------


class TestWhatAReRenderedFormShows:
    def test_the_create_form_shows_her_own_images_and_not_the_posted_foreign_one(
        self, alice, mallory, upload_of, card_variants
    ):
        prize = upload_of(alice)
        with_card(prize)
        own = upload_of(mallory, filename="mine.jpg")
        with_card(own)

        reply = create(logged_in(mallory), [own, prize])

        page = reply.content.decode()
        assert f'value="{own.pk}"' in page
        assert "mine.jpg" in page
        assert page.count(SIGNED) == 1
        assert leaks(page, prize) == []

    def test_the_edit_form_shows_the_products_images_and_not_the_posted_foreign_one(
        self, alice, mallory, upload_of, card_variants
    ):
        prize = upload_of(alice)
        held = [upload_of(mallory, filename="held-1.jpg"), upload_of(mallory, filename="held-2.jpg")]
        for row in [prize, *held]:
            with_card(row)
        product = product_of(mallory, held)

        reply = edit(logged_in(mallory), product, [held[1], prize, held[0]], price="-1")

        page = reply.content.decode()
        assert f'value="{held[1].pk},{held[0].pk}"' in page
        assert page.index("held-2.jpg") < page.index("held-1.jpg")
        assert page.count(SIGNED) == 2
        assert leaks(page, prize) == []

    def test_the_admin_change_form_shows_the_sellers_images_to_staff_but_not_anothers(
        self, alice, mallory, editor, upload_of
    ):
        prize = upload_of(mallory)
        held = upload_of(alice, filename="held.jpg")
        product = product_of(alice, [held])

        reply = admin_change(logged_in(editor), product, [held, prize])

        page = reply.content.decode()
        assert "held.jpg" in page
        assert leaks(page, prize) == []

    def test_the_admin_add_page_does_not_show_an_upload_named_in_its_query_string(
        self, alice, editor, upload_of
    ):
        prize = upload_of(alice)

        page = (
            logged_in(editor)
            .get(reverse("admin:catalog_product_add") + f"?images={prize.pk}")
            .content.decode()
        )

        assert 'id="id_images_uploader"' in page
        assert leaks(page, prize) == [], (
            "the admin's ?images= initial value is not something the object holds"
        )
        assert SIGNED not in page

    def test_a_foreign_id_posted_to_the_avatar_form_is_not_shown(self, alice, mallory, upload_of):
        prize = upload_of(alice, profile="avatar")

        page = save_avatar(logged_in(mallory), str(prize.pk)).content.decode()

        assert leaks(page, prize) == []
        assert SIGNED not in page

    def test_a_foreign_id_posted_to_a_variant_inline_is_not_shown(self, alice, editor, upload_of):
        prize = upload_of(alice)

        page = admin_add(
            logged_in(editor), alice, [upload_of(editor)], new_variants=[("Red", prize)]
        ).content.decode()

        assert leaks(page, prize) == []

    def test_her_own_image_of_another_status_or_profile_is_not_shown_as_uploaded(
        self, mallory, upload_of, card_variants
    ):
        pending = upload_of(mallory, status="pending", filename="pending.jpg")
        avatar = upload_of(mallory, profile="avatar", filename="avatar.jpg")
        good = upload_of(mallory, filename="good.jpg")
        for row in (pending, good):
            with_card(row)

        page = create(logged_in(mallory), [pending, avatar, good]).content.decode()

        assert f'value="{good.pk}"' in page
        assert page.count(SIGNED) == 1
        assert f'data-upload-id="{pending.pk}"' not in page
        assert f'data-upload-id="{avatar.pk}"' not in page


@pytest.fixture
def card_variants(settings):
    """Product images with one variant, ``card``, which the product page shows (never the original)."""
    product_image = {**PROFILES["product_image"], "VARIANTS": {"card": {"size": 800}}}
    settings.UPLOADS = {"PROFILES": {**PROFILES, "product_image": product_image}}


def with_card(row):
    """``row`` as the variant task leaves it: a digest, and its card made."""
    row.sha256 = base64.b64encode(hashlib.sha256(row.key.encode()).digest()).decode()
    row.save(update_fields=["sha256"])
    return record_variant(row, "card", width=800, height=800, size=50_000).key


def signed_urls(page):
    """The distinct signed URLs in a page (an image and its link may share one)."""
    return set(re.findall(r'"(https?://[^"]*X-Amz-Signature=[^"]*)"', page))


class TestTheProductPage:
    def test_another_seller_sees_the_products_images_and_nothing_unattached(
        self, alice, mallory, upload_of, card_variants
    ):
        shown = [upload_of(alice), upload_of(alice)]
        cards = [with_card(row) for row in shown]
        product = product_of(alice, shown)
        loose = upload_of(alice)
        elsewhere = upload_of(alice)
        Variant.objects.create(product=product, name="Red", image=elsewhere)

        page = logged_in(mallory).get(product.get_absolute_url()).content.decode()

        assert len(signed_urls(page)) == 2
        assert all(card in page for card in cards)
        assert not any(row.key in page for row in shown)  # a variant, never the original
        assert leaks(page, loose) == []
        assert 'href="{}"'.format(reverse("catalog:edit", args=[product.pk])) not in page

    def test_another_sellers_list_does_not_show_her_products(self, alice, mallory, upload_of):
        image = upload_of(alice)
        product_of(alice, [image], title="Alice's boot")

        page = logged_in(mallory).get(reverse("catalog:list")).content.decode()

        assert "Alice&#x27;s boot" not in page and "Alice's boot" not in page
        assert image.key not in page


# --- Uploads that are not (or no longer) verified --------------------------------------------


class TestStatusTricks:
    @pytest.mark.parametrize(
        ("status", "message"),
        [
            ("pending", "“mine.jpg” has not finished uploading."),
            ("expired", "“mine.jpg” is no longer available."),
            ("deleted", "“mine.jpg” is no longer available."),
            ("failed", "“mine.jpg” was refused: Not an image."),
        ],
    )
    def test_her_own_unverified_upload_is_refused_on_every_form(self, alice, upload_of, status, message):
        extra = {"failure_reason": "Not an image."} if status == "failed" else {}
        image = upload_of(alice, status=status, filename="mine.jpg", **extra)
        avatar = upload_of(alice, status=status, filename="mine.jpg", profile="avatar", **extra)
        client = logged_in(alice)

        assert errors(create(client, [image]), "images") == [message]
        assert errors(save_avatar(client, str(avatar.pk)), "avatar") == [message]
        inline = admin_add(client, alice, [upload_of(alice)], new_variants=[("Red", image)])
        assert admin_errors(inline) == ({}, [{"image": [message]}])
        assert holders(image) == holders(avatar) == []

    def test_an_avatar_upload_cannot_go_into_the_gallery_nor_an_image_into_the_avatar(self, alice, upload_of):
        avatar = upload_of(alice, profile="avatar", filename="me.jpg")
        image = upload_of(alice, filename="shoe.jpg")
        client = logged_in(alice)

        assert errors(create(client, [avatar]), "images") == [
            "“me.jpg” was uploaded for something else and cannot be used here."
        ]
        assert errors(save_avatar(client, str(image.pk)), "avatar") == [
            "“shoe.jpg” was uploaded for something else and cannot be used here."
        ]
        assert holders(avatar) == holders(image) == []

    def test_an_attached_image_marked_deleted_later_blocks_a_resave_until_it_is_removed(
        self, alice, upload_of
    ):
        # What happens, documented: the row holds it still, the form refuses it, the page omits it.
        kept, lost = upload_of(alice), upload_of(alice, filename="lost.jpg")
        product = product_of(alice, [kept, lost])
        Upload.objects.filter(pk=lost.pk).update(
            status=Upload.Status.DELETED
        )  # e.g. by hand, in the database
        client = logged_in(alice)

        form_page = client.get(reverse("catalog:edit", args=[product.pk])).content.decode()
        resaved = edit(client, product, [kept, lost], title="Renamed")
        without = edit(client, product, [kept], title="Renamed")

        assert f'value="{kept.pk}"' in form_page, "the form offers only what can still be saved"
        assert errors(resaved, "images") == ["“lost.jpg” is no longer available."]
        assert without.status_code == 302
        assert list(product.images.all()) == [kept]

    def test_the_product_page_signs_no_url_for_an_attached_image_that_is_no_longer_uploaded(
        self, alice, upload_of, card_variants
    ):
        kept, lost = upload_of(alice), upload_of(alice)
        with_card(kept), with_card(lost)
        product = product_of(alice, [kept, lost])
        Upload.objects.filter(pk=lost.pk).update(status=Upload.Status.DELETED)

        page = logged_in(alice).get(product.get_absolute_url()).content.decode()

        assert len(signed_urls(page)) == 1
        assert lost.key not in page


# --- The API's DELETE and attached uploads ----------------------------------------------------


class TestDeletingAttachedUploads:
    @pytest.mark.parametrize("holder", ["gallery", "variant", "avatar"])
    def test_an_upload_any_field_holds_is_in_use_and_stays(self, alice, upload_of, holder):
        image = upload_of(alice, profile="avatar" if holder == "avatar" else "product_image")
        if holder == "gallery":
            product_of(alice, [image])
        elif holder == "variant":
            Variant.objects.create(product=product_of(alice, [upload_of(alice)]), name="Red", image=image)
        else:
            SellerProfile.objects.create(user=alice, avatar=image)
        before = holders(image)

        reply = ApiClient(alice).delete(reverse("uploads:detail", args=[image.pk]))

        assert reply.status_code == 409
        assert reply.json()["error"]["code"] == "in_use"
        assert Upload.objects.get(pk=image.pk).status == "uploaded"
        assert holders(image) == before != []

    def test_once_the_product_is_saved_without_it_it_can_be_deleted(self, alice, upload_of, s3):
        image, other = upload_of(alice), upload_of(alice)
        product = product_of(alice, [image, other])
        api = ApiClient(alice)
        assert api.delete(reverse("uploads:detail", args=[image.pk])).status_code == 409

        assert edit(logged_in(alice), product, [other]).status_code == 302
        reply = api.delete(reverse("uploads:detail", args=[image.pk]))

        assert reply.status_code == 200
        assert Upload.objects.get(pk=image.pk).status == "deleted"
        assert list(product.images.all()) == [other]

    def test_a_deleted_upload_cannot_be_attached_again(self, alice, upload_of, s3):
        image = upload_of(alice, filename="gone.jpg")
        assert ApiClient(alice).delete(reverse("uploads:detail", args=[image.pk])).status_code == 200

        reply = create(logged_in(alice), [image])

        assert errors(reply, "images") == ["“gone.jpg” is no longer available."]


# --- CSRF on the forms that attach -------------------------------------------------------------


class TestCsrf:
    def test_the_product_forms_refuse_a_post_without_the_token(self, alice, upload_of):
        image = upload_of(alice)
        product = product_of(alice, [upload_of(alice)])
        client = logged_in(alice, enforce_csrf_checks=True)
        data = {"title": "Forged", "price": "1", "images": str(image.pk)}

        created = client.post(reverse("catalog:create"), data)
        edited = client.post(reverse("catalog:edit", args=[product.pk]), data)
        profile = client.post(reverse("catalog:profile"), {"shop_name": "Forged", "avatar": ""})

        assert (created.status_code, edited.status_code, profile.status_code) == (403, 403, 403)
        assert Product.objects.count() == 1
        assert Product.objects.get().title == "Trail shoe"
        assert holders(image) == []

    def test_with_the_token_the_same_post_works(self, alice, upload_of):
        image = upload_of(alice)
        client = logged_in(alice, enforce_csrf_checks=True)
        client.get(reverse("catalog:create"))

        token = client.cookies["csrftoken"].value
        data = {"title": "Real", "price": "1", "images": str(image.pk), "csrfmiddlewaretoken": token}

        reply = client.post(reverse("catalog:create"), data)

        assert reply.status_code == 302
        assert holders(image) == [("product", Product.objects.get().pk)]


# --- Two saves at once ---------------------------------------------------------------------------


def both_checked_then_go(monkeypatch, upload, parties=2):
    """The first time each of ``parties`` threads asks ``attachments.attached`` about ``upload``, hold it
    until all have asked: every one sees the upload free, as requests arriving together would."""
    # A party that never arrives is waiting for the other's lock, which is the point: go on alone.
    barrier = threading.Barrier(parties, timeout=3)
    waited = set()
    original = attachments.attached

    def attached_then_wait(upload_ids):
        upload_ids = list(upload_ids)
        found = original(upload_ids)
        if upload.pk in upload_ids and threading.get_ident() not in waited:
            waited.add(threading.get_ident())
            with contextlib.suppress(threading.BrokenBarrierError):
                barrier.wait()
        return found

    monkeypatch.setattr(attachments, "attached", attached_then_wait)


def run_together(*calls):
    replies = [None] * len(calls)

    def run(number, call):
        try:
            replies[number] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(number, call)) for number, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return replies


@pytest.mark.django_db(transaction=True)
class TestSimultaneousSaves:
    def test_two_new_products_racing_for_one_upload_one_wins_and_the_other_gets_a_form_error(
        self, alice, upload_of, monkeypatch
    ):
        image = upload_of(alice, filename="contested.jpg")
        first, second = (logged_in(alice, raise_request_exception=False) for _ in range(2))
        both_checked_then_go(monkeypatch, image)

        replies = run_together(
            lambda: create(first, [image], title="First"), lambda: create(second, [image], title="Second")
        )

        outcome = ([reply.status_code for reply in replies], Product.objects.count(), len(holders(image)))
        assert sorted(outcome[0]) == [200, 302], f"(replies, products, holders) = {outcome!r}"
        loser = next(reply for reply in replies if reply.status_code == 200).content.decode()
        error = re.search(r'<div class="error"[^>]* id="id_images_errors?">(.*?)</div>', loser, re.S)
        assert error and "contested.jpg" in error[1], "the loser is told the image is taken"
        assert Product.objects.count() == 1, "the loser must leave no product behind"
        assert len(holders(image)) == 1

    def test_a_gallery_and_a_variant_racing_for_one_upload_do_not_both_get_it(
        self, alice, upload_of, monkeypatch
    ):
        image = upload_of(alice)
        product = product_of(alice, [upload_of(alice)])
        gallery, admin = (logged_in(alice, raise_request_exception=False) for _ in range(2))
        both_checked_then_go(monkeypatch, image)

        run_together(
            lambda: create(gallery, [image], title="Second"),
            lambda: admin_change(admin, product, list(product.images.all()), new_variants=[("Red", image)]),
        )

        assert len(holders(image)) == 1, f"attached twice: {holders(image)}"

    def test_an_upload_deleted_while_a_form_attaches_it_is_not_left_attached_and_deleted(
        self, alice, upload_of, monkeypatch, s3
    ):
        image = upload_of(alice)
        page, api = logged_in(alice, raise_request_exception=False), ApiClient(alice)
        both_checked_then_go(monkeypatch, image)

        replies = run_together(
            lambda: create(page, [image]), lambda: api.delete(reverse("uploads:detail", args=[image.pk]))
        )

        status = Upload.objects.get(pk=image.pk).status
        assert not (status == "deleted" and holders(image)), (
            f"form {replies[0].status_code}, delete {replies[1].status_code}: the product holds a deleted upload"
        )
