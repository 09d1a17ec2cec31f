"""The file's SHA-256, declared at create, pinned in the policy, enforced by S3, compared at complete."""

import base64
import hashlib

import pytest
from django.test import Client

from tests.conftest import ApiClient, post_to_s3
from tests.images import image_bytes
from uploads.models import Upload

pytestmark = pytest.mark.django_db


def digest(data):
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def create(api, data, name="shoe.png", content_type="image/png"):
    return api.post(
        "/uploads/api/uploads/",
        {"filename": name, "content_type": content_type, "size": len(data), "sha256": digest(data)},
    )


def test_the_policy_pins_the_declared_digest(api, s3):
    data = image_bytes("image/png")

    fields = create(api, data).json()["upload"]["fields"]

    assert (fields["x-amz-checksum-algorithm"], fields["x-amz-checksum-sha256"]) == ("SHA256", digest(data))


def test_s3_refuses_other_bytes_of_the_same_size_with_bad_digest(api, s3):
    data = image_bytes("image/png")
    created = create(api, data).json()
    other = bytearray(data)
    other[-20] ^= 0xFF

    reply = post_to_s3(created, bytes(other))

    assert reply.status_code == 400
    assert "<Code>BadDigest</Code>" in reply.text
    assert s3.list_objects_v2(Bucket="test-uploads", Prefix=created["key"]).get("KeyCount", 0) == 0


def test_complete_records_the_digest_s3_stored(api, s3):
    data = image_bytes("image/png")
    created = create(api, data).json()
    assert post_to_s3(created, data).status_code == 204

    body = api.complete(created["id"]).json()

    assert (body["status"], body["sha256"]) == ("uploaded", digest(data))
    assert Upload.objects.get(pk=created["id"]).sha256 == digest(data)


def test_complete_with_a_digest_costs_a_head_and_one_ranged_get(api, s3):
    from uploads import s3 as app_s3

    data = image_bytes("image/png", 600, 400, noise=True)
    created = create(api, data).json()
    post_to_s3(created, data)
    sent = []

    def count(request, **kwargs):
        sent.append(request.method)

    app_s3.client().meta.events.register("before-send.s3.*", count)
    try:
        assert api.complete(created["id"]).status_code == 200
    finally:
        app_s3.client().meta.events.unregister("before-send.s3.*", count)
    assert sent == ["HEAD", "GET"]


def test_a_policy_reused_after_verification_cannot_change_the_file(api, s3):
    data = image_bytes("image/png")
    created = create(api, data).json()
    post_to_s3(created, data)
    api.complete(created["id"])
    swapped = bytearray(data)
    swapped[-20] ^= 0xFF

    reply = post_to_s3(created, bytes(swapped))

    assert reply.status_code == 400
    stored = s3.get_object(Bucket="test-uploads", Key=created["key"])["Body"].read()
    assert stored == data


def test_the_same_seller_uploading_the_same_file_again_gets_the_existing_upload(api, s3):
    data = image_bytes("image/png")
    first = create(api, data).json()
    post_to_s3(first, data)
    api.complete(first["id"])

    again = create(api, data, name="copy of shoe.png")

    assert again.status_code == 200
    body = again.json()
    assert (body["id"], body["status"], body["duplicate"], body["upload"]) == (
        first["id"],
        "uploaded",
        True,
        None,
    )
    assert body["url"].startswith(s3.meta.endpoint_url)
    assert Upload.objects.count() == 1


def test_another_seller_uploading_the_same_file_gets_an_upload_of_their_own(api, s3, make_user):
    data = image_bytes("image/png")
    first = create(api, data).json()
    post_to_s3(first, data)
    api.complete(first["id"])

    other = create(ApiClient(make_user()), data)

    assert other.status_code == 201
    assert other.json()["duplicate"] is False


def test_the_admin_shows_files_shared_by_several_sellers(api, s3, make_user):
    data = image_bytes("image/png")
    for client in (api, ApiClient(make_user("other-seller"))):
        created = create(client, data).json()
        post_to_s3(created, data)
        client.complete(created["id"])
    lone = image_bytes("image/png", 10, 10)
    created = create(api, lone).json()
    post_to_s3(created, lone)
    api.complete(created["id"])
    staff = Client()
    staff.force_login(make_user("reviewer", is_staff=True, is_superuser=True))

    shared = staff.get("/admin/uploads/upload/", {"shared": "yes", "state": "all"}).context["cl"].result_list
    alone = staff.get("/admin/uploads/upload/", {"shared": "no", "state": "all"}).context["cl"].result_list

    assert sorted(u.owner.username for u in shared) == ["other-seller", "seller"]
    assert [u.sha256 for u in alone] == [digest(lone)]


def test_a_digest_can_be_required(api, settings):
    settings.UPLOADS = {"REQUIRE_CHECKSUM": True}

    response = api.create()

    assert response.status_code == 400
    assert response.json() == {
        "error": {
            "code": "invalid",
            "message": "The field 'sha256' is required: the file's SHA-256 digest, base64-encoded.",
            "field": "sha256",
        }
    }


@pytest.mark.parametrize("value", ["abc", 42, base64.b64encode(b"x" * 31).decode(), "!" * 44])
def test_a_malformed_digest_is_refused(api, value):
    response = api.post(
        "/uploads/api/uploads/",
        {"filename": "a.png", "content_type": "image/png", "size": 5, "sha256": value},
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "sha256"
