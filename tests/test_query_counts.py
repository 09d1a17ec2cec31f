"""Database queries per API call and in the admin changelist: fixed numbers that do not grow with rows."""

import base64
import hashlib

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import post_to_s3
from tests.images import image_bytes
from uploads import attachments, keys, variants
from uploads.models import Upload, Variant

pytestmark = pytest.mark.django_db


def many_uploads(owner, count):
    Upload.objects.bulk_create(
        Upload(
            owner=owner,
            key=keys.build_key(owner.pk, "row.jpg", "image/jpeg"),
            filename=f"row {n}.jpg",
            content_type="image/jpeg",
            size=1000,
            status="uploaded",
            width=10,
            height=10,
            sha256=base64.b64encode(hashlib.sha256(str(n).encode()).digest()).decode(),
            expires_at=timezone.now(),
        )
        for n in range(count)
    )


# Session + user lookups by the auth middleware come first in every count.
@pytest.mark.parametrize("rows", [10, 10_000])
def test_each_api_call_makes_a_fixed_number_of_queries(api, seller, s3, rows, django_assert_num_queries):
    many_uploads(seller, rows)
    data = image_bytes()

    with django_assert_num_queries(3):  # session, user, INSERT
        created = api.create("a.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)
    path = f"/uploads/api/uploads/{created['id']}/"
    with django_assert_num_queries(6):  # session, user, SAVEPOINT, SELECT … FOR UPDATE, UPDATE, RELEASE
        assert api.complete(created["id"]).status_code == 200
    with django_assert_num_queries(3):  # session, user, SELECT
        assert api.get(path).status_code == 200
    with django_assert_num_queries(4):  # session, user, COUNT, SELECT one page
        assert api.get("/uploads/api/uploads/").json()["count"] == rows + 1
    # session, user, SAVEPOINT, SELECT … FOR UPDATE, one "attached?" per upload field of the project's
    # models (the demo has three), UPDATE, RELEASE
    with django_assert_num_queries(6 + len(attachments.upload_fields())):
        assert api.delete(path).status_code == 200


@pytest.mark.parametrize("view", ["table", "grid"])
@pytest.mark.parametrize("rows", [10, 10_000])
def test_the_admin_changelist_makes_the_same_number_of_queries_for_10_and_10000_uploads(
    seller, make_user, settings, rows, view, django_assert_num_queries
):
    # Every row awaits review (the list's default) and has a digest; every other one has its thumbnail.
    settings.UPLOADS = {"VARIANTS": {"thumb": {"size": 320}}, "REVIEW": "before_publish"}
    many_uploads(seller, rows)
    spec = variants.specs("default")["thumb"]
    made = Upload.objects.order_by("-created_at", "-pk").values_list("sha256", flat=True)[
        :rows:2
    ]  # as the list
    Variant.objects.bulk_create(
        Variant(
            source=sha256,
            spec=spec.fingerprint(),
            key=variants.key(sha256, spec),
            content_type="image/webp",
            width=10,
            height=10,
            size=100,
        )
        for sha256 in made
    )
    staff = Client()
    staff.force_login(make_user("reviewer", is_staff=True, is_superuser=True))

    # session, user, count, full count, page, the page's variants, the date hierarchy's range and
    # dates, the type and profile filters' choices
    with django_assert_num_queries(10):
        response = staff.get("/admin/uploads/upload/", {"view": view} if view == "grid" else {})
    assert response.status_code == 200
    page = min(rows, 100)
    assert response.content.decode().count("/variants/") == page // 2
    assert response.content.decode().count("uploads-placeholder") == page // 2
