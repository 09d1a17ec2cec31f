"""GET the user's uploads, GET one with a viewing URL, DELETE one with its object."""

import pytest
import requests

from tests.conftest import ApiClient
from tests.images import image_bytes
from uploads.models import Upload
from uploads.signals import upload_deleted

pytestmark = pytest.mark.django_db


def test_list_shows_only_the_users_own_uploads_newest_first(api, s3, make_user):
    ids = [api.create(f"{n}.jpg").json()["id"] for n in range(3)]
    ApiClient(make_user()).create("not-mine.jpg")

    body = api.get("/uploads/api/uploads/").json()

    assert [row["id"] for row in body["results"]] == ids[::-1]
    assert (body["count"], body["page"], body["pages"], body["next"], body["previous"]) == (
        3,
        1,
        1,
        None,
        None,
    )


def test_list_is_paginated(api, s3, settings):
    settings.UPLOADS = {"PAGE_SIZE": 2}
    for n in range(5):
        api.create(f"{n}.jpg")

    first = api.get("/uploads/api/uploads/").json()
    last = api.get("/uploads/api/uploads/?page=3").json()

    assert (first["count"], first["pages"], len(first["results"])) == (5, 3, 2)
    assert first["next"] == "http://testserver/uploads/api/uploads/?page=2"
    assert (len(last["results"]), last["next"], last["previous"]) == (
        1,
        None,
        "http://testserver/uploads/api/uploads/?page=2",
    )


@pytest.mark.parametrize("page", ["9", "abc", "0"])
def test_list_page_out_of_range_returns_400(api, page):
    response = api.get(f"/uploads/api/uploads/?page={page}")

    assert response.status_code == 400
    assert response.json() == {
        "error": {"code": "invalid", "message": f"There is no page '{page}'.", "field": "page"}
    }


def test_detail_of_a_verified_upload_has_a_working_short_lived_url(api, uploaded):
    created = uploaded()
    api.complete(created["id"])

    body = api.get(f"/uploads/api/uploads/{created['id']}/").json()
    image = requests.get(body["url"], timeout=10)

    assert body["status"] == "uploaded"
    assert "X-Amz-Expires=300" in body["url"]
    assert image.status_code == 200
    assert image.content == image_bytes()
    assert image.headers["Content-Type"] == "image/jpeg"


def test_detail_of_a_pending_upload_has_no_url(api, s3):
    created = api.create().json()

    body = api.get(f"/uploads/api/uploads/{created['id']}/").json()

    assert (body["status"], body["url"]) == ("pending", None)


def test_delete_removes_the_object_and_hides_the_upload(api, uploaded, s3):
    created = uploaded()
    api.complete(created["id"])

    response = api.delete(f"/uploads/api/uploads/{created['id']}/")

    assert (response.status_code, response.json()) == (200, {})
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=created["key"]).get("KeyCount", 0) == 0
    assert Upload.objects.get(pk=created["id"]).status == "deleted"
    assert api.get(f"/uploads/api/uploads/{created['id']}/").status_code == 404
    assert api.get("/uploads/api/uploads/").json()["count"] == 0


def test_delete_cancels_a_pending_upload_whose_file_never_arrived(api, s3):
    created = api.create().json()

    assert api.delete(f"/uploads/api/uploads/{created['id']}/").status_code == 200
    assert api.complete(created["id"]).status_code == 404


def test_delete_tells_the_project_through_the_upload_deleted_signal(
    api, uploaded, django_capture_on_commit_callbacks
):
    created = uploaded()
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append((instance.pk, instance.status))

    upload_deleted.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            api.delete(f"/uploads/api/uploads/{created['id']}/")
    finally:
        upload_deleted.disconnect(receiver)

    assert [(str(pk), status) for pk, status in seen] == [(created["id"], "deleted")]
