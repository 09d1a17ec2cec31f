"""POST .../<id>/complete/: S3 must really hold the declared image before a row says so."""

import pytest

from tests.conftest import post_to_s3
from tests.fuzzy import ISO_TIME, Matches
from tests.images import image_bytes, jpeg_with_metadata
from uploads import keys
from uploads import s3 as app_s3
from uploads.models import Upload
from uploads.signals import upload_failed, upload_verified

pytestmark = pytest.mark.django_db


def object_exists(s3, key):
    return s3.list_objects_v2(Bucket="test-uploads", Prefix=key).get("KeyCount", 0) == 1


@pytest.mark.parametrize(
    ("content_type", "size"),
    [
        ("image/jpeg", (640, 480)),
        ("image/png", (31, 17)),
        ("image/gif", (5, 9)),
        ("image/webp", (300, 200)),
        ("image/avif", (96, 64)),
    ],
)
def test_complete_verifies_a_real_image_and_records_its_dimensions(api, s3, content_type, size):
    data = image_bytes(content_type, *size)
    created = api.create("photo.img", content_type, len(data)).json()
    assert post_to_s3(created, data).status_code == 204

    response = api.complete(created["id"])

    assert response.status_code == 200
    assert response.json() == {
        "id": created["id"],
        "status": "uploaded",
        "profile": "default",
        "filename": "photo.img",
        "content_type": content_type,
        "size": len(data),
        # Sent without a digest: the verified bytes were copied to a key no policy names.
        "key": keys.verified_key(created["key"]),
        "etag": Matches(r"[0-9a-f]{32}"),
        "sha256": "",
        "width": size[0],
        "height": size[1],
        "url": Matches(
            rf"{s3.meta.endpoint_url}/test-uploads/{keys.verified_key(created['key'])}\?.*X-Amz-Signature=.*"
        ),
        "failure_reason": "",
        "review": "unreviewed",
        "review_reason": "",
        # No review configured: published once verified. No variants configured: none to come.
        "state": "published",
        "variants": {},
        # Sent in one POST; its policy's expiry as the create call gave it.
        "multipart": None,
        "created_at": ISO_TIME,
        "expires_at": created["expires_at"],
        "verified_at": ISO_TIME,
    }
    row = Upload.objects.get(pk=created["id"])
    assert (row.status, row.width, row.height) == ("uploaded", *size)
    assert (object_exists(s3, row.key), object_exists(s3, created["key"])) == (True, False)


def test_complete_reads_dimensions_of_a_large_jpeg_from_its_first_bytes(api, s3, settings):
    data = image_bytes("image/jpeg", 2000, 1500, noise=True)
    assert len(data) > 1.5 * 2**20
    settings.UPLOADS = {"SNIFF_BYTES": 64 * 1024}
    created = api.create("big.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)

    body = api.complete(created["id"]).json()

    assert (body["status"], body["width"], body["height"]) == ("uploaded", 2000, 1500)


def test_complete_reads_further_when_metadata_fills_the_first_window(api, s3):
    data = jpeg_with_metadata(300 * 1024, 640, 480)
    created = api.create("camera.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)

    body = api.complete(created["id"]).json()

    assert (body["status"], body["width"], body["height"]) == ("uploaded", 640, 480)


@pytest.mark.parametrize(
    "data",
    [image_bytes("image/webp", 300, 200, lossless=True), image_bytes("image/webp", 300, 200, mode="RGBA")],
    ids=["lossless-vp8l", "extended-vp8x"],
)
def test_complete_reads_every_kind_of_webp_header(api, s3, data):
    created = api.create("a.webp", "image/webp", len(data)).json()
    post_to_s3(created, data)

    body = api.complete(created["id"]).json()

    assert (body["status"], body["width"], body["height"]) == ("uploaded", 300, 200)


@pytest.fixture
def s3_requests(s3):
    """How many HTTP requests the app's boto3 client sends to S3."""
    seen = []

    def count(request, **kwargs):
        seen.append(request.method)

    client = app_s3.client()
    client.meta.events.register("before-send.s3.*", count)
    yield seen
    client.meta.events.unregister("before-send.s3.*", count)


def test_complete_of_a_large_image_reads_once_then_keeps_a_copy_no_policy_can_write(api, s3, s3_requests):
    data = image_bytes("image/jpeg", 2000, 1500, noise=True)
    created = api.create("big.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)
    s3_requests.clear()

    assert api.complete(created["id"]).status_code == 200
    assert s3_requests == ["GET", "PUT", "DELETE"]  # ranged read, server-side copy, the signed key's delete


def test_complete_reads_a_second_time_only_when_metadata_fills_the_first_window(api, s3, s3_requests):
    data = jpeg_with_metadata(300 * 1024)
    created = api.create("camera.jpg", "image/jpeg", len(data)).json()
    post_to_s3(created, data)
    s3_requests.clear()

    assert api.complete(created["id"]).status_code == 200
    assert s3_requests == ["GET", "GET", "PUT", "DELETE"]


def test_complete_twice_gives_the_same_answer(api, uploaded):
    created = uploaded()

    first = api.complete(created["id"])
    second = api.complete(created["id"])

    assert (first.status_code, second.status_code) == (200, 200)
    without_url = [{k: v for k, v in r.json().items() if k != "url"} for r in (first, second)]
    assert without_url[0] == without_url[1]


def test_complete_before_the_file_arrives_returns_409_and_leaves_the_row_pending(api, s3):
    created = api.create().json()

    response = api.complete(created["id"])

    assert response.status_code == 409
    assert response.json() == {
        "error": {
            "code": "object_missing",
            "message": "The file has not arrived in storage yet; upload it first, then complete.",
            "field": None,
        }
    }
    assert Upload.objects.get(pk=created["id"]).status == "pending"


def test_complete_after_a_409_succeeds_once_the_file_is_there(api, s3):
    data = image_bytes()
    created = api.create("a.jpg", "image/jpeg", len(data)).json()
    assert api.complete(created["id"]).status_code == 409
    post_to_s3(created, data)

    assert api.complete(created["id"]).json()["status"] == "uploaded"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"<!doctype html><script>alert(1)</script>",
            "The file is not a JPEG image: its contents show it is not an image we accept.",
        ),
        (image_bytes("image/png"), "The file is not a JPEG image: its contents show it is a PNG image."),
        (b"\xff\xd8\xff\xe0" + b"\0" * 60, "The file starts like a JPEG image but could not be read as one."),
        (
            image_bytes("image/jpeg", 300, 300)[:900],
            "The file starts like a JPEG image but could not be read as one.",
        ),
    ],
    ids=["html", "png-bytes", "broken-jpeg", "truncated-jpeg"],
)
def test_complete_with_bytes_that_are_not_the_declared_image_returns_422_and_deletes_the_object(
    api, s3, data, reason
):
    created = api.create("a.jpg", "image/jpeg", len(data)).json()
    assert post_to_s3(created, data).status_code == 204

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json() == {"error": {"code": "verification_failed", "message": reason, "field": None}}
    row = Upload.objects.get(pk=created["id"])
    assert (row.status, row.failure_reason) == ("failed", reason)
    assert not object_exists(s3, created["key"])


def test_complete_decodes_a_small_file_whole_so_a_forged_header_does_not_pass(api, s3):
    # An AVIF file type box and a size property, then junk: the header alone looks like 640 × 480.
    forged = (
        b"\x00\x00\x00\x14ftypavif\x00\x00\x00\x00avif"
        + b"\x00\x00\x00\x14ispe\x00\x00\x00\x00"
        + (640).to_bytes(4, "big")
        + (480).to_bytes(4, "big")
        + b"this is not image data at all " * 3
    )
    created = api.create("a.avif", "image/avif", len(forged)).json()
    post_to_s3(created, forged)

    response = api.complete(created["id"])

    assert response.status_code == 422
    assert response.json() == {
        "error": {
            "code": "verification_failed",
            "message": "The file starts like an AVIF image but could not be read as one.",
            "field": None,
        }
    }


def test_complete_of_a_failed_upload_answers_the_same_422_again(api, s3):
    data = b"not an image at all"
    created = api.create("a.gif", "image/gif", len(data)).json()
    post_to_s3(created, data)

    first = api.complete(created["id"])
    second = api.complete(created["id"])

    assert (first.status_code, second.status_code) == (422, 422)
    assert first.json() == second.json()


def test_complete_of_an_unknown_id_returns_404(api):
    response = api.complete("00000000-0000-0000-0000-000000000001")

    assert response.status_code == 404


def test_signals_tell_the_project_about_verified_and_failed_uploads(
    api, s3, uploaded, django_capture_on_commit_callbacks
):
    seen = []

    def receiver(signal, sender, instance, **kwargs):
        seen.append((signal, instance.status))

    upload_verified.connect(receiver)
    upload_failed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            api.complete(uploaded()["id"])
            api.complete(uploaded(data=b"GIF89a-but-not-really", content_type="image/gif")["id"])
    finally:
        upload_verified.disconnect(receiver)
        upload_failed.disconnect(receiver)

    assert seen == [(upload_verified, "uploaded"), (upload_failed, "failed")]


def test_complete_while_s3_is_unreachable_returns_503_and_keeps_the_row_pending(api):
    # The default test settings point S3 at a closed port.
    created = api.create().json()

    response = api.complete(created["id"])

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json() == {
        "error": {
            "code": "storage_unavailable",
            "message": "The file storage is not answering right now; try again in a moment.",
            "field": None,
        }
    }
    assert Upload.objects.get(pk=created["id"]).status == "pending"


def test_complete_of_an_upload_the_clean_up_expired_returns_410(api, s3):
    created = api.create().json()
    Upload.objects.filter(pk=created["id"]).update(status="expired")

    response = api.complete(created["id"])

    assert response.status_code == 410
    assert response.json() == {
        "error": {
            "code": "upload_expired",
            "message": "This upload's permission expired before the file arrived; start the upload again.",
            "field": None,
        }
    }
