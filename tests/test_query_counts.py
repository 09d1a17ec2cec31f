"""Database queries per API call and in the admin changelist: fixed numbers that do not grow with rows."""

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import post_to_s3
from tests.images import image_bytes
from uploads import fields, keys
from uploads.models import Upload

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
    with django_assert_num_queries(6 + len(fields._registry)):
        assert api.delete(path).status_code == 200


@pytest.mark.parametrize("rows", [10, 10_000])
def test_the_admin_changelist_makes_the_same_number_of_queries_for_10_and_10000_uploads(
    seller, make_user, rows, django_assert_num_queries
):
    many_uploads(seller, rows)
    staff = Client()
    staff.force_login(make_user("reviewer", is_staff=True, is_superuser=True))

    with django_assert_num_queries(9):  # session, user, counts, page, the type and profile filters' choices
        assert staff.get("/admin/uploads/upload/").status_code == 200
