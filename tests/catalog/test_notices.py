"""A reviewer's decision reaches the seller: a notice in the page header, and an email."""

import logging

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.urls import reverse
from django.utils import translation

from project.catalog.models import Notice, Product
from tests.catalog import shop
from uploads import services
from uploads.models import Upload

pytestmark = pytest.mark.django_db


class BrokenMail(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("The mail server is down.")


@pytest.fixture(autouse=True)
def demo_settings(settings, demo_profiles):
    settings.UPLOADS = shop.UPLOADS


@pytest.fixture
def make_image(make_upload):
    return shop.image_maker(make_upload)


@pytest.fixture
def maria(make_user):
    return make_user("maria", email="maria@example.com")


@pytest.fixture
def staff(make_user):
    return make_user(is_staff=True)


@pytest.fixture
def decide(staff, django_capture_on_commit_callbacks):
    """Decide as a reviewer does, the signal sent once the decision is committed."""

    def decide(image, verdict, **why):
        with django_capture_on_commit_callbacks(execute=True):
            services.decide(image.pk, staff, verdict, **why)

    return decide


@pytest.fixture
def shoe(maria, make_image):
    image = make_image(maria, profile="product_image", filename="shoe.jpg")
    product = Product.objects.create(seller=maria, title="Red shoe", price="10")
    product.images.set([image])
    return image


class TestTellingTheSeller:
    def test_a_rejection_leaves_a_notice_linking_to_where_to_replace_it_and_an_email(
        self, maria, shoe, decide, mailoutbox
    ):
        decide(shoe, Upload.Review.REJECTED, reason="text", note="A phone number on the box.")

        text = (
            "Your image “shoe.jpg” was rejected: The image carries contact details, prices or advertising. "
            "A phone number on the box."
        )
        product = Product.objects.get()
        assert list(Notice.objects.values_list("user", "text", "link", "read")) == [
            (maria.pk, text, reverse("catalog:edit", args=[product.pk]), False)
        ]
        (email,) = mailoutbox
        assert (email.subject, email.body, email.to) == (
            "Your image was rejected",
            text,
            ["maria@example.com"],
        )

    def test_an_approval_leaves_a_notice_linking_to_the_product_and_an_email(
        self, maria, shoe, decide, mailoutbox
    ):
        decide(shoe, Upload.Review.APPROVED)

        text = "Your image “shoe.jpg” was approved and is now shown in the shop."
        notice = Notice.objects.get()
        assert (notice.text, notice.link) == (text, Product.objects.get().get_absolute_url())
        assert [(email.subject, email.body) for email in mailoutbox] == [("Your image was approved", text)]

    def test_a_notice_about_an_image_nothing_uses_links_to_the_library_filtered(
        self, maria, make_image, decide
    ):
        image = make_image(maria, profile="product_image")

        decide(image, Upload.Review.REJECTED, reason="quality")

        assert Notice.objects.get().link == "/?state=rejected"

    def test_a_seller_without_an_email_address_gets_the_notice_only(
        self, make_user, make_image, decide, mailoutbox
    ):
        image = make_image(make_user(), profile="product_image")

        decide(image, Upload.Review.APPROVED)

        assert Notice.objects.count() == 1
        assert mailoutbox == []

    def test_mail_that_cannot_go_is_logged_and_the_decision_and_notice_stay(
        self, settings, shoe, decide, caplog
    ):
        settings.EMAIL_BACKEND = f"{__name__}.BrokenMail"

        with caplog.at_level(logging.ERROR, logger="project.catalog.notices"):
            decide(shoe, Upload.Review.REJECTED, reason="rights")

        shoe.refresh_from_db()
        assert shoe.review == "rejected"
        assert Notice.objects.count() == 1
        assert [record.getMessage() for record in caplog.records] == [
            f"Could not email maria@example.com about the review of upload {shoe.pk}."
        ]

    def test_the_notice_is_in_the_sites_language_not_the_reviewers(self, shoe, decide):
        with translation.override("de"):
            decide(shoe, Upload.Review.REJECTED, reason="rights")

        assert Notice.objects.get().text == (
            "Your image “shoe.jpg” was rejected: The image seems to belong to someone else."
        )


class TestReadingNotices:
    def test_the_header_counts_the_unread_notices(self, client, maria, shoe, decide):
        decide(shoe, Upload.Review.REJECTED, reason="rights")
        decide(shoe, Upload.Review.APPROVED)
        client.force_login(maria)

        page = client.get(reverse("catalog:list")).content.decode()

        assert f'<a href="{reverse("catalog:notices")}" class="notices-link">Notices (2 new)</a>' in page

    def test_the_notices_page_lists_them_newest_first_with_their_links(self, client, maria, shoe, decide):
        decide(shoe, Upload.Review.REJECTED, reason="rights")
        decide(shoe, Upload.Review.APPROVED)
        client.force_login(maria)

        page = client.get(reverse("catalog:notices")).content.decode()

        product = Product.objects.get()
        approved = page.index(
            f'<a href="{product.get_absolute_url()}">'
            "Your image “shoe.jpg” was approved and is now shown in the shop.</a>"
        )
        rejected = page.index(
            f'<a href="{reverse("catalog:edit", args=[product.pk])}">'
            "Your image “shoe.jpg” was rejected: The image seems to belong to someone else.</a>"
        )
        assert approved < rejected

    def test_marking_them_read_empties_the_count(self, client, maria, shoe, decide):
        decide(shoe, Upload.Review.APPROVED)
        client.force_login(maria)

        reply = client.post(reverse("catalog:notices_read"), follow=True)

        assert not Notice.objects.filter(read=False).exists()
        assert (
            f'<a href="{reverse("catalog:notices")}" class="notices-link" aria-current="page">Notices</a>'
            in (reply.content.decode())
        )

    def test_a_seller_sees_only_their_own_notices(self, client, make_user, shoe, decide):
        decide(shoe, Upload.Review.APPROVED)
        client.force_login(make_user())

        page = client.get(reverse("catalog:notices")).content.decode()

        assert "shoe.jpg" not in page
        assert "No notices yet." in page

    def test_marking_read_takes_a_post(self, client, maria):
        client.force_login(maria)

        assert client.get(reverse("catalog:notices_read")).status_code == 405
