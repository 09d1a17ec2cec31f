"""Every place that shows an upload shows a variant by name (or a placeholder until it is made),
never the original in a thumbnail's place, and never a rejected image to anyone but its owner
and staff: the {% upload_url %} tag, the form widget's rows, and the API's variants."""

import base64
import datetime
import hashlib
import re
import secrets
from urllib.parse import quote

import pytest
import requests
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template, TemplateSyntaxError
from django.test import RequestFactory
from django.utils import timezone

from tests.conftest import post_to_s3
from tests.fuzzy import ISO_TIME, UUID, Matches
from tests.images import image_bytes
from tests.variant_rows import record_variant
from uploads import keys, services, variants
from uploads.middleware import submitted_by
from uploads.models import Upload
from uploads.selection import Selection
from uploads.widgets import UploadWidget

pytestmark = pytest.mark.django_db

PROFILES = {
    # Shown to others only once a reviewer approved them.
    "product_image": {
        "VARIANTS": {"card": {"size": 800}, "thumb": {"size": 320}},
        "REVIEW": "before_publish",
    },
    # Shown at once, hidden again once rejected.
    "avatar": {"VARIANTS": {"small": {"size": 128, "fit": "crop"}}, "REVIEW": "after_publish"},
    # No variants, no review.
    "document": {},
}


@pytest.fixture(autouse=True)
def profiles(settings, app_defaults):
    settings.UPLOADS = {"PROFILES": PROFILES}


@pytest.fixture
def make_upload(seller):
    """A verified upload as ``complete`` leaves it (no S3: these tests only sign URLs)."""

    def make(owner=None, *, profile="product_image", **fields):
        owner = owner or seller
        number = secrets.token_hex(4)
        row = {
            "owner": owner,
            "profile": profile,
            "key": keys.build_key(owner.pk, f"photo-{number}.jpg", "image/jpeg", profile=profile),
            "filename": f"photo-{number}.jpg",
            "content_type": "image/jpeg",
            "size": 2_400_000,
            "width": 3000,
            "height": 2000,
            "sha256": base64.b64encode(secrets.token_bytes(32)).decode(),
            "status": Upload.Status.UPLOADED,
            "verified_at": timezone.now(),
            "expires_at": timezone.now() + datetime.timedelta(minutes=10),
        }
        return Upload.objects.create(**{**row, **fields})

    return make


def make_variant(upload, name):
    """The ``Variant`` row the task would record for ``upload``'s variant ``name``."""
    width = variants.specs(upload.profile)[name].size[0]
    height = width * upload.height // upload.width
    return record_variant(upload, name, width=width, height=height, size=width * height // 10)


def signed(key, content_type="image/webp"):
    """A presigned GET of ``key`` (signed locally: S3 is never asked), served as ``content_type``."""
    query = rf"\?response-content-type={quote(content_type, safe='')}&.*X-Amz-Signature=[0-9a-f]{{64}}"
    return Matches(rf"http://127\.0\.0\.1:9/test-uploads/{re.escape(key)}{query}")


def render(source, viewer=None, **context):
    """Render ``source`` as a page seen by ``viewer`` (None: a page rendered without a request)."""
    if viewer is not None:
        request = RequestFactory().get("/")
        request.user = viewer
        context["request"] = request
    return Template("{% load uploads %}" + source).render(Context(context))


@pytest.fixture
def stranger(make_user):
    return make_user()


@pytest.fixture
def staff(make_user):
    return make_user(is_staff=True)


class TestTheUploadUrlTag:
    def test_a_variant_is_given_by_name(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)
        card, thumb = make_variant(image, "card"), make_variant(image, "thumb")

        assert render('{% upload_url image "card" %}', seller, image=image) == signed(card.key)
        assert render('{% upload_url image "thumb" %}', seller, image=image) == signed(thumb.key)

    def test_without_a_name_it_is_the_original(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)
        make_variant(image, "card")

        html = render("{% upload_url image %}", seller, image=image)

        assert html == signed(image.key, "image/jpeg")

    def test_it_can_be_kept_in_a_variable(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)
        card = make_variant(image, "card")

        html = render('{% upload_url image "card" as url %}<img src="{{ url }}">', seller, image=image)

        assert html == Matches(rf'<img src="http://127\.0\.0\.1:9/test-uploads/{re.escape(card.key)}\?.*">')

    def test_a_variant_not_made_yet_is_empty_even_for_the_owner(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)
        make_variant(image, "thumb")

        assert render('[{% upload_url image "card" %}]', seller, image=image) == "[]"

    def test_a_variant_of_the_same_bytes_uploaded_by_someone_else_is_shared(
        self, seller, stranger, make_upload
    ):
        mine = make_upload(review=Upload.Review.APPROVED)
        theirs = make_upload(stranger, review=Upload.Review.APPROVED, sha256=mine.sha256)
        card = make_variant(mine, "card")

        assert render('{% upload_url image "card" %}', stranger, image=theirs) == signed(card.key)

    def test_a_rejected_upload_is_shown_to_nobody_but_its_owner_and_staff(
        self, seller, stranger, staff, make_upload
    ):
        image = make_upload(profile="avatar", review=Upload.Review.REJECTED)
        small = make_variant(image, "small")
        page = '[{% upload_url image %}][{% upload_url image "small" %}][{% upload_thumbnail image %}]'

        assert render(page, stranger, image=image) == "[][][]"
        assert render(page, AnonymousUser(), image=image) == "[][][]"
        assert render(page, None, image=image) == "[][][]"
        for allowed in (seller, staff):
            original, variant, thumbnail = render(page, allowed, image=image)[1:-1].split("][")
            assert original == signed(image.key, "image/jpeg")
            assert variant == thumbnail == signed(small.key)

    def test_an_after_publish_upload_is_shown_to_everyone_until_it_is_rejected(
        self, stranger, staff, make_upload
    ):
        image = make_upload(profile="avatar")
        small = make_variant(image, "small")

        assert render('{% upload_url image "small" %}', stranger, image=image) == signed(small.key)

        services.decide(image.pk, staff, Upload.Review.REJECTED, reason="text")
        image.refresh_from_db()

        assert render('[{% upload_url image "small" %}]', stranger, image=image) == "[]"

    def test_a_before_publish_upload_is_shown_to_strangers_once_approved(
        self, seller, stranger, staff, make_upload
    ):
        image = make_upload()
        card = make_variant(image, "card")
        page = '{% upload_url image "card" %}'

        assert render(page, stranger, image=image) == ""
        assert render(page, None, image=image) == ""
        assert render(page, seller, image=image) == signed(card.key)

        services.decide(image.pk, staff, Upload.Review.APPROVED)
        image.refresh_from_db()

        assert render(page, stranger, image=image) == signed(card.key)
        assert render(page, None, image=image) == signed(card.key)

    def test_an_unverified_upload_is_empty(self, seller, make_upload):
        image = make_upload(status=Upload.Status.PENDING)

        assert (
            render('[{% upload_url image %}][{% upload_url image "card" %}]', seller, image=image) == "[][]"
        )

    def test_a_variant_name_the_profile_does_not_define_says_which_it_does(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)

        with pytest.raises(TemplateSyntaxError) as raised:
            render('{% upload_url image "crad" %}', seller, image=image)

        assert str(raised.value) == (
            "{% upload_url %}: the upload profile 'product_image' has no variant 'crad'; its variants are card, thumb."
        )

    def test_a_variant_of_a_profile_without_variants_is_an_error_too(self, seller, make_upload):
        document = make_upload(profile="document")

        with pytest.raises(TemplateSyntaxError) as raised:
            render('{% upload_url document "thumb" %}', seller, document=document)

        assert str(raised.value) == (
            "{% upload_url %}: the upload profile 'document' has no variant 'thumb'; it has no VARIANTS."
        )

    def test_the_thumbnail_tag_gives_the_smallest_variant_and_never_the_original(self, seller, make_upload):
        image = make_upload(review=Upload.Review.APPROVED)
        page = "{% upload_thumbnail image %}"

        make_variant(image, "card")
        assert render(page, seller, image=image) == ""

        thumb = make_variant(image, "thumb")

        assert render(page, seller, image=Upload.objects.get(pk=image.pk)) == signed(thumb.key)

    def test_the_thumbnail_tag_takes_only_uploads(self):
        with pytest.raises(TemplateSyntaxError) as raised:
            render("{% upload_thumbnail product %}", product="shoe")

        assert str(raised.value) == (
            "{% upload_thumbnail %} takes an Upload (an UploadField's value, or one of an UploadsField's), "
            "not str 'shoe'."
        )


def widget_html(viewer, uploads, *, profile="product_image", attached=()):
    widget = UploadWidget(profile=profile, multiple=True)
    with submitted_by(viewer):
        return widget.render("images", Selection.of([row.pk for row in uploads], attached=list(attached)))


def listed_rows(html):
    """The widget's rows, each with its signed URLs written as ``<signed KEY>``."""
    rows = re.findall(r"<li .*?</li>", html, flags=re.DOTALL)
    url = r'src="http://127\.0\.0\.1:9/test-uploads/([^"?]+)\?[^"]*"'
    return [re.sub(url, r'src="<signed \1>"', row) for row in rows]


def sources(html):
    return re.findall(r'src="([^"]*)"', html)


def review_of(row):
    """A row's review state and what it says of it."""
    found = re.search(r'data-review-state="(\w+)".*<p class="uploader__review">(.*?)</p>', row, re.DOTALL)
    return found.groups()


class TestTheWidgetsRows:
    def test_a_row_shows_the_thumbnail_variant(self, seller, make_upload):
        image = make_upload(filename="front.jpg", review=Upload.Review.APPROVED)
        make_variant(image, "card")
        thumb = make_variant(image, "thumb")

        (row,) = listed_rows(widget_html(seller, [image]))

        assert row == (
            f'<li class="uploader__file" data-upload-id="{image.pk}" data-state="done" data-review-state="published">\n'
            f'      <img class="uploader__thumb" src="<signed {thumb.key}>" alt="front.jpg" width="64" height="64"'
            ' loading="lazy" decoding="async">\n'
            '      <div class="uploader__body">\n'
            '        <span class="uploader__name" id="images_file_1">front.jpg</span>\n'
            '        <p class="uploader__status" role="status">Uploaded</p>\n'
            '        <p class="uploader__details">3000 × 2000 · 2.3 MB</p>\n'
            '        <p class="uploader__review">Approved</p>\n'
            "      </div>\n"
            '      <div class="uploader__actions"></div>\n'
            "    </li>"
        )

    def test_a_row_whose_thumbnail_is_on_its_way_shows_a_placeholder_that_says_so(self, seller, make_upload):
        image = make_upload(filename="side.jpg", variants_due=timezone.now())
        make_variant(image, "card")  # the largest first: the thumbnail is not made yet

        (row,) = listed_rows(widget_html(seller, [image]))

        assert row.splitlines()[1] == (
            '      <span class="uploader__thumb uploader__placeholder">'
            '<span class="uploader__hidden">Preparing preview…</span></span>'
        )

    def test_a_row_that_will_have_no_thumbnail_says_so(self, seller, make_upload):
        document = make_upload(profile="document", filename="scan.jpg")
        finished = make_upload(filename="broken.jpg", variants_due=None)  # the task made none

        for row in listed_rows(
            widget_html(seller, [document], profile="document") + widget_html(seller, [finished])
        ):
            assert row.splitlines()[1] == (
                '      <span class="uploader__thumb uploader__placeholder">'
                '<span class="uploader__hidden">No preview</span></span>'
            )

    def test_the_original_is_never_a_thumbnail(self, seller, make_upload):
        made = make_upload(review=Upload.Review.APPROVED)
        make_variant(made, "card")
        thumb = make_variant(made, "thumb")
        coming = make_upload(variants_due=timezone.now())
        largest_only = make_upload()
        make_variant(largest_only, "card")

        html = widget_html(seller, [made, coming, largest_only])

        assert len(listed_rows(html)) == 3
        assert sources(html) == [signed(thumb.key)]
        for row in (made, coming, largest_only):
            assert row.key not in html

    def test_each_row_says_where_its_review_stands_with_the_latest_reason(self, seller, staff, make_upload):
        waiting = make_upload(filename="waiting.jpg")
        approved = make_upload(filename="approved.jpg")
        services.decide(approved.pk, staff, Upload.Review.APPROVED)
        rejected = make_upload(filename="rejected.jpg")
        services.decide(rejected.pk, staff, Upload.Review.REJECTED, reason="rights")
        services.decide(rejected.pk, staff, Upload.Review.APPROVED)
        services.decide(
            rejected.pk, staff, Upload.Review.REJECTED, reason="quality", note="Too dark to see the laces."
        )

        rows = listed_rows(widget_html(seller, [waiting, approved, rejected]))

        assert [review_of(row) for row in rows] == [
            ("awaiting_review", "Awaiting review"),
            ("published", "Approved"),
            (
                "rejected",
                "Rejected: The image is blurred, too dark or too small to show the product. Too dark to see the laces.",
            ),
        ]

    def test_a_rejected_row_keeps_its_thumbnail_for_its_owner(self, seller, staff, make_upload):
        image = make_upload(review=Upload.Review.REJECTED)
        thumb = make_variant(image, "thumb")

        (row,) = listed_rows(widget_html(seller, [image]))

        assert f'src="<signed {thumb.key}>"' in row

    def test_an_attached_rejected_upload_shows_no_thumbnail_to_anyone_but_its_owner_and_staff(
        self, seller, stranger, staff, make_upload
    ):
        image = make_upload(review=Upload.Review.REJECTED)
        thumb = make_variant(image, "thumb")

        for viewer in (stranger, None):
            html = widget_html(viewer, [image], attached=[image.pk])
            assert "X-Amz-Signature" not in html and thumb.key not in html
            assert '<span class="uploader__hidden">No preview</span>' in html
        assert sources(widget_html(staff, [image], attached=[image.pk])) == [signed(thumb.key)]

    def test_a_profile_without_review_says_nothing_of_it(self, seller, make_upload):
        html = widget_html(seller, [make_upload(profile="document")], profile="document")

        assert "uploader__review" not in html

    def test_staff_editing_a_sellers_form_see_the_attached_rows_and_their_rejection(
        self, seller, staff, make_upload
    ):
        image = make_upload()
        thumb = make_variant(image, "thumb")
        services.decide(image.pk, staff, Upload.Review.REJECTED, reason="text")

        (row,) = listed_rows(widget_html(staff, [image], attached=[image.pk]))

        assert f'src="<signed {thumb.key}>"' in row
        assert review_of(row) == (
            "rejected",
            "Rejected: The image carries contact details, prices or advertising.",
        )

    @pytest.mark.parametrize("count", [2, 8])
    def test_rendering_asks_the_same_three_queries_for_any_number_of_rows(
        self, seller, staff, make_upload, django_assert_num_queries, count
    ):
        images = []
        for number in range(count):
            image = make_upload()
            make_variant(image, "card")
            make_variant(image, "thumb")
            verdict = Upload.Review.REJECTED if number % 2 else Upload.Review.APPROVED
            services.decide(image.pk, staff, verdict, reason="quality" if number % 2 else "")
            images.append(image)

        # The rows, their variants, the rejections' latest decisions.
        with django_assert_num_queries(3):
            html = widget_html(seller, images)

        assert len(listed_rows(html)) == count
        assert html.count("X-Amz-Signature=") == count
        assert html.count("Rejected: ") == count // 2


class Positive:
    """Equal to any whole number above zero."""

    def __eq__(self, other):
        return isinstance(other, int) and not isinstance(other, bool) and other > 0

    def __repr__(self):
        return "Positive()"


POSITIVE = Positive()


def digest(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


@pytest.mark.django_db(transaction=True)  # the variant task runs once the verification is committed
def test_a_completed_upload_replies_with_every_variant_served_as_webp_from_s3(api, s3, run_tasks, settings):
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 320}, "card": {"size": 800}}}
    data = image_bytes("image/jpeg", 1200, 900, noise=True)
    created = api.post(
        "/uploads/api/uploads/",
        {"filename": "shoe.jpg", "content_type": "image/jpeg", "size": len(data), "sha256": digest(data)},
    ).json()
    assert post_to_s3(created, data).status_code == 204

    reply = api.complete(created["id"]).json()

    key = r"\S+/variants/[0-9a-f]{64}/[0-9a-f]{16}\.webp"
    variant_url = (
        rf"{re.escape(s3.meta.endpoint_url)}/test-uploads/{key}\?response-content-type=image%2Fwebp&.*"
    )
    assert reply["variants"] == {
        "thumb": {"url": Matches(variant_url), "width": 320, "height": 240, "size": POSITIVE},
        "card": {"url": Matches(variant_url), "width": 800, "height": 600, "size": POSITIVE},
    }
    assert {key: reply[key] for key in ("id", "status", "state", "verified_at")} == {
        "id": UUID,
        "status": "uploaded",
        "state": "published",
        "verified_at": ISO_TIME,
    }
    assert reply["url"] not in [variant["url"] for variant in reply["variants"].values()]
    for variant in reply["variants"].values():
        served = requests.get(variant["url"], timeout=10)
        assert served.status_code == 200
        assert served.headers["Content-Type"] == "image/webp"
        assert (served.content[:4], served.content[8:12]) == (b"RIFF", b"WEBP")
        assert len(served.content) == variant["size"]
    detail = api.get(f"/uploads/api/uploads/{created['id']}/").json()
    assert set(detail["variants"]) == {"thumb", "card"}
