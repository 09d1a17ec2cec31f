"""Links to an image that outlive a signed URL: /uploads/view/<id>/<variant>/ redirects to a fresh
one, for whoever may see the image, and answers 404 to anyone else."""

import base64
import datetime
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from tests.variant_rows import record_variant
from uploads import keys
from uploads.models import Upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def reviewed_with_a_zoom(settings):
    settings.UPLOADS = {"VARIANTS": {"zoom": {"size": 2000}}, "REVIEW": "before_publish"}


@pytest.fixture
def image(seller):
    row = Upload.objects.create(
        owner=seller,
        key=keys.build_key(seller.pk, "boot.jpg", "image/jpeg"),
        filename="boot.jpg",
        content_type="image/jpeg",
        size=1000,
        status="uploaded",
        width=3000,
        height=2000,
        sha256=base64.b64encode(hashlib.sha256(b"boot").digest()).decode(),
        expires_at=timezone.now(),
        verified_at=timezone.now(),
    )
    record_variant(row, "zoom", width=2000, height=1333, size=90_000)
    return row


def follow(client, row, variant="zoom"):
    return client.get(f"/uploads/view/{row.pk}/{variant}/")


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_owner_is_sent_to_a_fresh_signed_url_of_the_variant(seller, image):
    reply = follow(logged_in(seller), image)

    assert reply.status_code == 302 and reply["Cache-Control"] == "private, no-store"
    assert image.variant("zoom").key in reply["Location"] and "X-Amz-Signature=" in reply["Location"]


def test_the_same_link_followed_later_is_signed_again(seller, image, monkeypatch):
    first = follow(logged_in(seller), image)["Location"]
    later = timezone.now() + datetime.timedelta(hours=1)
    monkeypatch.setattr("uploads.services.timezone.now", lambda: later)

    again = follow(logged_in(seller), image)["Location"]

    assert again != first and "X-Amz-Date=" + later.strftime("%Y%m%d") in again


def test_others_see_nothing_before_approval_and_everything_after(seller, make_user, image):
    stranger = logged_in(make_user())

    assert follow(stranger, image).status_code == 404
    assert follow(Client(), image).status_code == 404
    Upload.objects.filter(pk=image.pk).update(review="approved")
    assert follow(stranger, image).status_code == 302
    assert follow(Client(), image).status_code == 302


def test_a_rejected_image_is_for_its_owner_and_staff_only(seller, make_user, image):
    Upload.objects.filter(pk=image.pk).update(review="rejected")

    assert follow(logged_in(make_user()), image).status_code == 404
    assert follow(logged_in(make_user(is_staff=True)), image).status_code == 302
    assert follow(logged_in(seller), image).status_code == 302


def test_a_variant_not_made_or_not_named_is_not_found(seller, image):
    assert follow(logged_in(seller), image, "thumb").status_code == 404
    assert follow(logged_in(seller), image, "no-such-variant").status_code == 404


def test_only_get_and_head(seller, image):
    assert logged_in(seller).post(f"/uploads/view/{image.pk}/zoom/").status_code == 405
